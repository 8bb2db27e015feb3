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

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from matchcast.app.cache import RedisCache
from matchcast.app.metrics import Metrics, MetricsMiddleware
from matchcast.app.readiness import register_serving_checks
from matchcast.app.routes import admin, dashboard, health, jobs, matches, model, predict
from matchcast.app.runtime import Runtime, ServeConfig
from matchcast.app.state import StateHolder, watch
from matchcast.config import get_settings
from matchcast.tasks.client import JobClient

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
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
            if runtime.cache is not None:
                await runtime.cache.close()
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
    )
    app.state.runtime = runtime
    if config.jobs is not None:
        runtime.jobs = JobClient(config.jobs)  # connects on first use
    register_serving_checks(runtime.readiness, runtime.holder, runtime.jobs)
    routers = (
        predict.router,
        matches.router,
        model.router,
        health.router,
        admin.router,
        jobs.router,
    )
    for router in (*routers, dashboard.router):
        app.include_router(router)
    if config.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(config.cors_origins),
            allow_methods=["GET"],
            allow_headers=["If-None-Match"],
            expose_headers=["ETag"],
        )
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app


def create_app_from_env() -> FastAPI:
    """Build the API from ``MATCHCAST_*`` settings (the uvicorn factory)."""
    return create_app(ServeConfig.from_settings(get_settings()))
