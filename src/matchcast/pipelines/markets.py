"""DVC stage ``markets``: goal markets benchmarked on the test seasons; scoreline model fitted."""

from __future__ import annotations

import logging
import pickle
import time
from pathlib import Path
from typing import Any

import pandas as pd
import typer

from matchcast.config import get_settings
from matchcast.data.as_of import read_as_of
from matchcast.data.io import atomic_write_bytes, write_json, write_parquet
from matchcast.data.params import load_data_params, load_section
from matchcast.data.sources.fetch import Fetcher
from matchcast.data.sources.goal_prices import read_goal_prices
from matchcast.models.market_run import MarketsParams, run_markets
from matchcast.models.test_period import find_test_seasons

logger = logging.getLogger(__name__)


def main(
    params: Path = typer.Option(Path("params.yaml"), help="Params file (markets, data, evaluate)."),
    features: Path = typer.Option(..., help="Features parquet (with goals)."),
    test_predictions: Path = typer.Option(..., help="The 1X2 model's test forecasts (parquet)."),
    cache: Path = typer.Option(..., help="The ingest stage's URL cache folder."),
    model_out: Path = typer.Option(..., help="Served scoreline model (pickle)."),
    report_out: Path = typer.Option(..., "--report", help="Goal-market benchmark (JSON)."),
    test_markets_out: Path = typer.Option(
        ..., "--test-markets", help="The scored test forecasts: O/U 2.5 and AH (parquet)."
    ),
    as_of_path: Path = typer.Option(
        Path("data/interim/as_of.json"), "--as-of", help="The run's as_of (from ingest)."
    ),
) -> None:
    """Score over/under 2.5 and Asian handicap against the closing line; fit the served model."""
    started = time.perf_counter()
    settings = get_settings()
    data = load_data_params(params, settings.football_data)
    knobs = MarketsParams.model_validate(load_section(params, "markets") or {})
    n_test = int(load_section(params, "evaluate").get("test_seasons", 2))
    frame = pd.read_parquet(features)
    as_of = read_as_of(as_of_path).as_of.isoformat()
    seasons = find_test_seasons(frame, as_of, n_test)
    fetcher = Fetcher(cache, timeout_s=settings.http_timeout_s, retries=settings.http_retries)
    prices = read_goal_prices(data.football_data, fetcher, data.leagues, seasons)
    result = run_markets(frame, pd.read_parquet(test_predictions), prices, seasons, as_of, knobs)
    report: dict[str, Any] = {**result.report, "seconds": round(time.perf_counter() - started, 1)}
    atomic_write_bytes(model_out, pickle.dumps(result.model))
    write_json(report, report_out)
    write_parquet(result.test_markets, test_markets_out)
