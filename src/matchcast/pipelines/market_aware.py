"""DVC stage ``market_aware``: the market-aware 1X2 forecast benchmarked and fitted (ADR-0019)."""

from __future__ import annotations

import logging
import pickle
import time
from pathlib import Path
from typing import Any

import pandas as pd
import typer

from matchcast.data.as_of import read_as_of
from matchcast.data.io import atomic_write_bytes, write_json, write_parquet
from matchcast.data.params import load_section
from matchcast.models.market_aware import MarketAwareParams
from matchcast.models.market_aware_run import ODDS_COLUMNS, run_market_aware
from matchcast.models.test_period import find_test_seasons

logger = logging.getLogger(__name__)


def main(
    params: Path = typer.Option(Path("params.yaml"), help="Params file (market_aware, evaluate)."),
    features: Path = typer.Option(..., help="Features parquet (with results)."),
    matches: Path = typer.Option(..., help="Canonical match table (pre-match, closing odds)."),
    test_predictions: Path = typer.Option(..., help="The 1X2 model's test forecasts (parquet)."),
    model_out: Path = typer.Option(..., help="Served market-aware model (pickle)."),
    report_out: Path = typer.Option(..., "--report", help="Four-forecaster comparison (JSON)."),
    test_out: Path = typer.Option(..., "--test-forecasts", help="Scored test forecasts (parquet)."),
    as_of_path: Path = typer.Option(
        Path("data/interim/as_of.json"), "--as-of", help="The run's as_of (from ingest)."
    ),
) -> None:
    """Score football-only, market-aware, pre-match and closing on the same test matches."""
    started = time.perf_counter()
    knobs = MarketAwareParams.model_validate(load_section(params, "market_aware") or {})
    evaluate = load_section(params, "evaluate")
    frame = pd.read_parquet(features)
    as_of = read_as_of(as_of_path).as_of.isoformat()
    seasons = find_test_seasons(frame, as_of, int(evaluate.get("test_seasons", 2)))
    groups = {"big_five": evaluate.get("big_five", []), **knobs.groups}
    result = run_market_aware(
        frame,
        pd.read_parquet(matches, columns=list(ODDS_COLUMNS)),
        pd.read_parquet(test_predictions),
        seasons,
        as_of,
        knobs,
        groups,
    )
    report: dict[str, Any] = {**result.report, "seconds": round(time.perf_counter() - started, 1)}
    atomic_write_bytes(model_out, pickle.dumps(result.model))
    write_json(report, report_out)
    write_parquet(result.test_forecasts, test_out)
