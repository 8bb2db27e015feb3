"""Assemble the API: routers, middleware and a lifespan that loads and watches the files.

``create_app(config)`` is the factory tests use; ``create_app_from_env()`` is the one
uvicorn calls (``matchcast serve``), reading ``MATCHCAST_*`` settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response

from matchcast.app.auth import AdminGate
from matchcast.app.batch_follower import start_follower
from matchcast.app.cache import RedisCache
from matchcast.app.metrics import Metrics, MetricsMiddleware
from matchcast.app.middleware import (
    REQUEST_ID_HEADER,
    AccessLog,
    BodyLimit,
    Methods,
    SecurityHeaders,
    new_request_id,
    valid_request_id,
)
from matchcast.app.openapi import document_common_answers, validation_error
from matchcast.app.ratelimit import RateLimit, RateLimiter
from matchcast.app.readiness import register_serving_checks
from matchcast.app.routes import admin, dashboard, docs, health, jobs, matches, model, predict
from matchcast.app.runtime import Runtime, ServeConfig
from matchcast.app.state import StateHolder, watch
from matchcast.config import get_settings
from matchcast.tasks.client import JobClient
from matchcast.tasks.liveness import WorkerLivenessCollector

logger = logging.getLogger(__name__)

DESCRIPTION = """\
Calibrated home/draw/away forecasts for scheduled football matches.

Forecasts are computed offline by the `batch_inference` DVC stage and served one match at
a time from memory: find ids with `GET /matches`, fetch a forecast with
`GET /predict/{match_id}` (ETag + Cache-Control; poll with If-None-Match). There is no
HTTP batch endpoint by design (ADR-0006); bulk consumers read the predictions parquet.
"""


def create_app(config: ServeConfig) -> FastAPI:
    """Build the API for one worker.

    Args:
        config: Files to serve, reload interval, optional Redis, admin key and CORS.

    Returns:
        The FastAPI application; files load in its lifespan.
    """
    metrics = Metrics()
    runtime = Runtime(
        config=config, holder=StateHolder(config.files, config.http_max_age_s), metrics=metrics
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        follower = start_follower(runtime)
        loaded = await asyncio.to_thread(runtime.holder.refresh)
        runtime.note_reload(loaded)
        # Everything alive now (imports, the loaded files) lives as long as the process:
        # keep it out of the cyclic collector, whose full pass over it would otherwise
        # pause a request for tens of milliseconds.
        gc.freeze()
        reason = runtime.holder.state.not_ready_reason
        if reason:
            logger.warning("starting without forecasts: %s", reason)
        if config.redis_url:
            runtime.cache = RedisCache(config.redis_url, config.redis_timeout_s, metrics)
        watcher = None
        if config.reload_interval_s > 0:
            watcher = asyncio.create_task(
                watch(runtime.holder, config.reload_interval_s, runtime.note_reload)
            )
        try:
            yield
        finally:
            if follower is not None:
                await asyncio.to_thread(follower.stop)
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
            if runtime.cache is not None:
                await runtime.cache.close()
            if limiter is not None:
                await limiter.close()
            if runtime.jobs is not None:
                runtime.jobs.close()

    app = FastAPI(
        title="matchcast",
        version="0.1.0",
        summary="Football 1X2 forecasts",
        description=DESCRIPTION,
        lifespan=lifespan,
        # Prometheus metrics are ours (metrics.py); FastAPI's OpenTelemetry hooks would
        # only add a per-request check to the hot path.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
        docs_url=None,  # served from the local bundle (routes/docs.py), not a CDN
        redoc_url=None,
    )
    app.state.runtime = runtime
    if config.jobs is not None:
        runtime.jobs = JobClient(config.jobs)  # connects on first use
    register_serving_checks(runtime.readiness, runtime.holder, runtime.jobs)
    if runtime.jobs is not None and runtime.jobs.config.local_worker_expected:
        jobs_client = runtime.jobs
        metrics.add_collector(WorkerLivenessCollector(lambda: jobs_client.engine))
    routers = (
        predict.router,
        matches.router,
        model.router,
        health.router,
        admin.router,
        jobs.router,
    )
    for router in (*routers, dashboard.router, docs.router):
        app.include_router(router)
    docs.mount_assets(app)
    app.add_exception_handler(RequestValidationError, _validation_error)
    document_common_answers(app, config.max_body_bytes)
    limiter = (
        RateLimiter(
            config.rate_limit.per_s,
            config.rate_limit.burst,
            config.rate_limit.redis_url,
            config.redis_timeout_s,
        )
        if config.rate_limit.enabled
        else None
    )
    # Added innermost first: a request meets them in the reverse order (CORS first).
    app.add_middleware(Methods, routes=app.router.routes)
    app.add_middleware(BodyLimit, max_bytes=config.max_body_bytes)
    app.add_middleware(AdminGate, keys=config.admin_keys, metrics=metrics)
    if limiter is not None:
        app.add_middleware(RateLimit, limiter=limiter, metrics=metrics)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    if config.access_log:
        app.add_middleware(AccessLog)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(
        CorrelationIdMiddleware,
        header_name=REQUEST_ID_HEADER,
        generator=new_request_id,
        validator=valid_request_id,
    )
    if config.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(config.cors_origins),
            allow_methods=["GET", "HEAD"],
            allow_headers=["If-None-Match", REQUEST_ID_HEADER],
            expose_headers=["ETag", REQUEST_ID_HEADER, "Retry-After"],
        )
    return app


async def _validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    return validation_error(error)


def create_app_from_env() -> FastAPI:
    """Build the API from ``MATCHCAST_*`` settings (the uvicorn factory)."""
    return create_app(ServeConfig.from_settings(get_settings()))
