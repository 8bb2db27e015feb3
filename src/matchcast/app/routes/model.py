"""``GET /model``: the champion behind the served forecasts and its evaluation."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from starlette.responses import Response

from matchcast.app.deps import RuntimeDep
from matchcast.app.schemas import ErrorDetail, ModelInfo

router = APIRouter(tags=["model"])


@router.get(
    "/model",
    response_model=ModelInfo,
    summary="The champion model and its evaluation against the market",
    responses={503: {"model": ErrorDetail, "description": "Model metadata not loaded yet."}},
)
async def get_model(runtime: RuntimeDep) -> Response:
    """Return name, version, alias, run id, training data version and test metrics."""
    body = runtime.holder.state.model_body
    if body is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "model metadata is not loaded yet")
    return Response(body, media_type="application/json")
