"""``matchcast serve``: run the API under uvicorn.

Paths given here are exported as ``MATCHCAST_*`` variables, so that every uvicorn worker
(a separate process) builds the same app through ``create_app_from_env``.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn
from uvicorn.config import LOGGING_CONFIG

from matchcast.app.metrics_processes import shared_metrics_folder
from matchcast.app.protocol import PROTOCOL_PATH
from matchcast.config import get_settings
from matchcast.tasks.supervisor import supervised_worker

logger = logging.getLogger(__name__)

APP_FACTORY = "matchcast.app.main:create_app_from_env"


def main(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes.", min=1)] = 1,
    predictions: Annotated[
        Path | None, typer.Option(help="predictions.parquet (default MATCHCAST_PREDICTIONS_PATH).")
    ] = None,
    model_metadata: Annotated[
        Path | None, typer.Option(help="model.json (default MATCHCAST_MODEL_METADATA_PATH).")
    ] = None,
    matches: Annotated[
        Path | None, typer.Option(help="matches.parquet (default MATCHCAST_MATCHES_PATH).")
    ] = None,
    access_log: Annotated[
        bool, typer.Option(help="Log every request as JSON (default MATCHCAST_ACCESS_LOG).")
    ] = False,
    local_worker: Annotated[
        bool,
        typer.Option(help="Without MATCHCAST_BROKER_URL, start the local job worker beside it."),
    ] = True,
) -> None:
    """Serve the forecasts over HTTP until interrupted."""
    overrides = {
        "MATCHCAST_PREDICTIONS_PATH": predictions,
        "MATCHCAST_MODEL_METADATA_PATH": model_metadata,
        "MATCHCAST_MATCHES_PATH": matches,
    }
    for name, value in overrides.items():
        if value is not None:
            os.environ[name] = str(value)
    if access_log:
        os.environ["MATCHCAST_ACCESS_LOG"] = "true"
    get_settings.cache_clear()
    settings = get_settings()  # fail fast on bad settings, before forking workers
    base = f"http://{host}:{port}"
    logger.info(
        "serving %s on %s (%d worker%s): docs %s/docs, forecasts %s/predict/{match_id}, "
        "matches %s/matches, health %s/readyz, metrics %s/metrics",
        settings.predictions_path, base, workers, "" if workers == 1 else "s",
        base, base, base, base, base,
    )  # fmt: skip
    # Without a broker, jobs run in a supervised local worker process, never in the API;
    # the supervisor migrates the store before the worker starts (the two never race on
    # the schema) and restarts the worker if it dies. uvicorn re-raises SIGTERM after its
    # shutdown, so this process may end without leaving the block: the worker also stops
    # by itself once its parent is gone.
    with contextlib.ExitStack() as stack:
        if local_worker and not settings.broker_url:
            stack.enter_context(supervised_worker(settings.database_url))
            # every uvicorn worker then reports the worker's liveness (/readyz, /metrics)
            os.environ["MATCHCAST_LOCAL_WORKER_SUPERVISED"] = "true"
            get_settings.cache_clear()
        # Several workers share their metrics through files (one view at /metrics); set
        # after the job worker started, which keeps its own.
        stack.enter_context(shared_metrics_folder(workers))
        uvicorn.run(
            APP_FACTORY,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            # Our protocol adds the head size limit and head/body read timeouts (protocol.py).
            http=PROTOCOL_PATH,
            timeout_keep_alive=settings.keep_alive_s,
            limit_concurrency=settings.limit_concurrency,
            h11_max_incomplete_event_size=settings.max_header_bytes,  # if run with h11
            server_header=False,
            access_log=False,  # ours is JSON, with latency and request id (MATCHCAST_ACCESS_LOG)
            log_config=log_config(),
            log_level="info",
        )


def log_config() -> dict[str, Any]:
    """uvicorn's logging set-up plus one JSON line per request on ``matchcast.access``."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["json"] = {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
        "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
    }
    config["handlers"]["json"] = {
        "formatter": "json",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stdout",
    }
    config["loggers"]["matchcast.access"] = {
        "handlers": ["json"],
        "level": "INFO",
        "propagate": False,
    }
    return config
