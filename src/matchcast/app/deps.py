"""Dependencies of the routes, exported as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from matchcast.app.runtime import Runtime


async def get_runtime(request: Request) -> Runtime:
    """Return the runtime of the app that received the request."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
