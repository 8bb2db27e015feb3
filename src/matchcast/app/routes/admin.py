"""``POST /admin/reload``: swap in the files on disk now (the watcher also does it by itself)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, HTTPException, status
from starlette.responses import Response

from matchcast.app.auth import CHALLENGE, RequireKey
from matchcast.app.deps import RuntimeDep
from matchcast.app.schemas import ErrorDetail, ReloadResult

UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {
        "model": ErrorDetail,
        "description": "Missing or wrong X-API-Key, or no key configured.",
        "headers": {"WWW-Authenticate": {"description": CHALLENGE, "schema": {"type": "string"}}},
    }
}

router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[RequireKey])


@router.post(
    "/reload",
    response_model=ReloadResult,
    summary="Reload predictions, model metadata and match table from disk",
    responses={
        **UNAUTHORIZED,
        409: {
            "model": ErrorDetail,
            "description": "A file is invalid; the previous version stays.",
        },
    },
)
async def reload_files(runtime: RuntimeDep) -> Response:
    """Load every file again and swap the new state in atomically."""
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
