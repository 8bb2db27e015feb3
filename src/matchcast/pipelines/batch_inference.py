"""DVC stage ``batch_inference``: forecasts for the scheduled matches, from the champion.

Loads ``models:/matchcast-1x2@champion``, predicts the point-in-time features of every
scheduled match (after ``data.as_of``, plus any fixtures) dated within
``forecast.horizon_days`` of ``as_of``, attaches fair odds, the
market's pre-match odds, the top reasons and the model's provenance, and writes
``predictions.parquet`` and ``model.json`` atomically. The run is logged to MLflow and the
forecasts are appended to the store's prediction log, to be scored when results arrive.

Two more files are published for clients: ``finished.parquet``, the last forecast logged
before kick-off of every match finished in the last ``batch_inference.finished_window_days``
before ``as_of``, with its result and whether it was right; and ``evaluation.json``, the
champion's test evaluation. The API serves these files and computes nothing (ADR-0006);
their layout is :mod:`matchcast.data.prediction_contract`.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path
from typing import Annotated

import typer

from matchcast.config import get_settings
from matchcast.data.as_of import read_as_of
from matchcast.data.params import load_section
from matchcast.models import registry
from matchcast.models.batch import BatchParams, ForecastParams, run_batch_inference

logger = logging.getLogger(__name__)


def main(
    features: Annotated[Path, typer.Option(help="Features parquet (finished and scheduled rows).")],
    matches: Annotated[Path, typer.Option(help="Canonical match table (status, pre-match odds).")],
    out: Annotated[Path, typer.Option(help="Predictions parquet to write.")],
    model_out: Annotated[Path, typer.Option(help="Champion metadata JSON to write.")],
    finished_out: Annotated[
        Path | None,
        typer.Option(help="Parquet of recently finished matches' logged forecasts to write."),
    ] = None,
    evaluation_out: Annotated[
        Path | None, typer.Option(help="JSON of the champion's test evaluation to write.")
    ] = None,
    params: Annotated[Path, typer.Option(help="Params file (batch_inference, forecast).")] = Path(
        "params.yaml"
    ),
    moved_out: Annotated[
        Path | None, typer.Option(help="Parquet of match ids that moved or were withdrawn.")
    ] = None,
    as_of_path: Annotated[
        Path, typer.Option("--as-of", help="The run's as_of (from ingest).")
    ] = Path("data/interim/as_of.json"),
    model_name: Annotated[str, typer.Option(help="Registered model name.")] = registry.MODEL_NAME,
    alias: Annotated[str, typer.Option(help="Registry alias to serve.")] = registry.CHAMPION,
    log_to_store: Annotated[
        bool, typer.Option(help="Append the forecasts to the SQL prediction log.")
    ] = True,
    scoreline_model: Annotated[
        Path | None,
        typer.Option(help="Scoreline model of the markets stage; without it no markets."),
    ] = None,
    market_aware_model: Annotated[
        Path | None,
        typer.Option(help="Model of the market_aware stage; without it no market-aware forecasts."),
    ] = None,
    markets_report: Annotated[
        Path | None, typer.Option(help="reports/markets.json: its value block goes to /model.")
    ] = None,
    market_aware_report: Annotated[
        Path | None, typer.Option(help="reports/market_aware.json: its comparison goes to /model.")
    ] = None,
) -> None:
    """Forecast every scheduled match with the registry's champion."""
    started = time.perf_counter()
    settings = get_settings()
    resolved = read_as_of(as_of_path)
    as_of = resolved.as_of.isoformat()
    knobs = BatchParams.model_validate(load_section(params, "batch_inference") or {})
    horizon = ForecastParams.model_validate(load_section(params, "forecast") or {})
    result = run_batch_inference(
        features,
        matches,
        out,
        model_out,
        as_of=as_of,
        tracking_uri=settings.mlflow_tracking_uri,
        artifact_root=settings.mlflow_artifact_root,
        database_url=settings.database_url,
        model_name=model_name,
        alias=alias,
        finished_out=finished_out,
        evaluation_out=evaluation_out,
        params=knobs,
        append_log=log_to_store,
        mode=resolved.to_dict(),
        moved_out=moved_out,
        scoreline_path=scoreline_model,
        market_aware_path=market_aware_model,
        reports={
            name: path
            for name, path in (("markets", markets_report), ("market_aware", market_aware_report))
            if path is not None
        },
        forecast=horizon,
    )
    logger.info(
        "batch_inference done in %.1fs: %d forecasts, run %s, %s rows logged at %s",
        time.perf_counter() - started,
        len(result.predictions),
        result.run_id,
        result.logged,
        dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
