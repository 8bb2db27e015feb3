"""Operations: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from matchcast.app.deps import RuntimeDep
from matchcast.app.runtime import PrebuiltResponse
from matchcast.app.schemas import ErrorDetail, Health, Readiness, ReadinessCheck

router = APIRouter(tags=["operations"])

_HEALTH_BODY = b'{"status":"ok"}'
_HEALTH_HEADERS = (
    (b"content-type", b"application/json"),
    (b"content-length", str(len(_HEALTH_BODY)).encode()),
)


@router.get("/healthz", response_model=Health, summary="Liveness")
async def healthz() -> Response:
    """Answer while the process is alive (a constant answer: no state is read)."""
    return PrebuiltResponse(_HEALTH_BODY, list(_HEALTH_HEADERS))


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Readiness",
    responses={
        503: {"model": Readiness, "description": "Not ready; `reason` says why."},
        404: {
            "model": ErrorDetail,
            "description": "No readiness check of that name (the known ones listed).",
        },
    },
)
async def readyz(
    runtime: RuntimeDep,
    check: Annotated[
        list[str] | None,
        Query(
            max_length=16,
            description="Evaluate only these checks (repeatable), e.g. `check=serving` for a "
            "load balancer: a replica that serves forecasts stays in while the job store "
            "is down.",
        ),
    ] = None,
) -> Response:
    """200 when every readiness check passes (forecasts and model metadata loaded, the
    last reload succeeded, the job store answers, ...), else 503 with each reason."""
    if check is not None:
        unknown = sorted(set(check) - set(runtime.readiness.names))
        if unknown:
            known = ", ".join(runtime.readiness.names)
            # Like an unknown job name: the name is any string to the schema, so it is a
            # lookup that finds nothing (404), not a malformed request (422).
            raise HTTPException(
                status.HTTP_404_NOT_FOUND,
                f"unknown readiness check {', '.join(map(repr, unknown))}; known: {known}",
            )
    report = await runtime.readiness.evaluate(check)
    state = runtime.holder.state
    answer = Readiness(
        ready=report.ready,
        reason=report.reason,
        checks={
            name: ReadinessCheck(ok=result.ok, reason=result.reason)
            for name, result in report.results.items()
        },
        n_predictions=0 if state.predictions is None else len(state.predictions),
        data_version=None if state.predictions is None else state.predictions.data_version,
        model_version=None if state.model is None else state.model.version,
        matches_loaded=state.catalog is not None,
    )
    code = status.HTTP_200_OK if report.ready else status.HTTP_503_SERVICE_UNAVAILABLE
    return Response(answer.model_dump_json(), status_code=code, media_type="application/json")


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}},
)
async def metrics(runtime: RuntimeDep) -> Response:
    """Requests and latency by route and status, forecasts served, cache, model, data age."""
    # In a thread: a collector may read the store (the job worker's heartbeat).
    body = await asyncio.to_thread(generate_latest, runtime.metrics.exposition)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
