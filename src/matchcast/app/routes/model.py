"""``GET /model``: the champion behind the served forecasts and its evaluation."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from starlette.responses import Response

from matchcast.app.deps import RuntimeDep
from matchcast.app.monitoring import LiveQualityReport
from matchcast.app.schemas import ErrorDetail, ModelEvaluation, ModelInfo
from matchcast.app.state import EVALUATION, LIVE_QUALITY

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


@router.get(
    "/model/evaluation",
    response_model=ModelEvaluation,
    summary="The champion's test evaluation: scores, baselines, per league, reliability",
    responses={404: {"model": ErrorDetail, "description": "No evaluation file is loaded."}},
)
async def get_evaluation(runtime: RuntimeDep) -> Response:
    """Return the champion's test scores against the market and the baselines, per league,
    and its reliability table, as the batch stage published them (evaluation.json)."""
    state = runtime.holder.state
    body = state.evaluation_body
    if body is None:
        error = state.errors.get(EVALUATION)
        path = runtime.config.files.evaluation
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"no model evaluation loaded from {path}: {error}"
            if error
            else f"no model evaluation published (expected {path}; the batch_inference "
            "stage writes it with --evaluation-out)",
        )
    return Response(body, media_type="application/json")


@router.get(
    "/model/live-quality",
    response_model=LiveQualityReport,
    summary="Live quality: logged forecasts scored against later results, model vs market",
    responses={404: {"model": ErrorDetail, "description": "No live-quality report is loaded."}},
)
async def get_live_quality(runtime: RuntimeDep) -> Response:
    """Return the monitor stage's live-quality report: log-loss, RPS, calibration error
    and hit rate of the forecasts made before kick-off, and of the market on the same
    matches, overall, by league, by ISO week and by month."""
    state = runtime.holder.state
    body = state.live_quality_body
    if body is None:
        path = runtime.config.files.live_quality
        error = state.errors.get(LIVE_QUALITY)
        if path is None:
            detail = "live quality is not configured (MATCHCAST_LIVE_QUALITY_PATH is empty)"
        elif error:
            detail = f"no live-quality report loaded from {path}: {error}"
        else:
            detail = (
                f"no live-quality report yet (expected {path}; the monitor stage writes it "
                "with --live-quality-out)"
            )
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail)
    return Response(body, media_type="application/json")
