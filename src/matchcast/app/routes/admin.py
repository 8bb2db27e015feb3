"""``POST /admin/reload``: swap in the files on disk now (the watcher also does it by itself)."""

from __future__ import annotations

import asyncio
import hmac
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, status
from starlette.responses import Response

from matchcast.app.deps import RuntimeDep
from matchcast.app.schemas import ErrorDetail, ReloadResult

router = APIRouter(prefix="/admin", tags=["admin"])


def check_key(configured: str | None, given: str | None) -> None:
    """Raise 401 unless ``given`` equals the configured key (compared in constant time)."""
    if configured is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "admin endpoints are disabled: MATCHCAST_API_KEY is not set",
        )
    if given is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing X-API-Key header")
    if not hmac.compare_digest(configured.encode(), given.encode()):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid X-API-Key")


@router.post(
    "/reload",
    response_model=ReloadResult,
    summary="Reload predictions, model metadata and match table from disk",
    responses={
        401: {"model": ErrorDetail, "description": "Missing or wrong X-API-Key."},
        409: {
            "model": ErrorDetail,
            "description": "A file is invalid; the previous version stays.",
        },
    },
)
async def reload_files(
    runtime: RuntimeDep,
    x_api_key: Annotated[
        str | None, Header(description="The MATCHCAST_API_KEY.", max_length=512)
    ] = None,
) -> Response:
    """Load every file again and swap the new state in atomically."""
    check_key(runtime.config.api_key, x_api_key)
    changed = await asyncio.to_thread(runtime.holder.refresh, True)
    runtime.note_reload(changed)
    state = runtime.holder.state
    if state.errors:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            "kept the previous version of: "
            + "; ".join(f"{name} ({error})" for name, error in sorted(state.errors.items())),
        )
    answer = ReloadResult(
        reloaded=changed,
        n_predictions=0 if state.predictions is None else len(state.predictions),
        data_version=None if state.predictions is None else state.predictions.data_version,
    )
    return Response(answer.model_dump_json(), media_type="application/json")
