"""DVC stage ``evaluate``: score the model, the baselines and the market on the test period.

The test period (the last ``evaluate.test_seasons`` complete seasons before ``data.as_of``)
is touched once, here. Every forecaster is scored on exactly the same matches.
"""

from __future__ import annotations

import logging
import pickle
import time
from pathlib import Path
from typing import Any

import pandas as pd
import typer

from matchcast.data.as_of import read_as_of
from matchcast.data.io import write_csv, write_json, write_parquet
from matchcast.data.params import load_section
from matchcast.models.comparators import EvaluateParams, baseline_forecasts, market_forecasts
from matchcast.models.evaluation import evaluate, headline
from matchcast.models.test_period import split_period
from matchcast.models.tuning import predict_by_season

logger = logging.getLogger(__name__)


def main(
    params: Path = typer.Option(Path("params.yaml"), help="Params file (evaluate:)."),
    as_of_path: Path = typer.Option(
        Path("data/interim/as_of.json"), "--as-of", help="The run's as_of (from ingest)."
    ),
    features: Path = typer.Option(..., help="Features parquet."),
    matches: Path = typer.Option(..., help="Canonical match table (odds, goals)."),
    season_models: Path = typer.Option(
        ..., help="Walk-forward models from the train stage (season -> model)."
    ),
    metrics_out: Path = typer.Option(
        ..., "--metrics", help="Headline figures (JSON): test, market, gap, per season."
    ),
    report_out: Path = typer.Option(
        ..., "--report", help="Full report (JSON): also per league, baselines, market methods."
    ),
    calibration_out: Path = typer.Option(..., "--calibration", help="Reliability table (CSV)."),
    predictions_out: Path = typer.Option(..., "--predictions", help="Test predictions (parquet)."),
) -> None:
    """Score model, baselines and market on the same test matches."""
    started = time.perf_counter()
    eval_params = EvaluateParams.model_validate(load_section(params, "evaluate"))
    as_of = read_as_of(as_of_path).as_of.isoformat()
    frame = pd.read_parquet(features)
    table = pd.read_parquet(matches)
    train, test, seasons = split_period(
        frame, as_of, eval_params.test_seasons, eval_params.test_from
    )
    test = test.reset_index(drop=True)
    # Each test season is predicted by a model fitted strictly before it.
    fitted = pickle.loads(season_models.read_bytes())
    probs = predict_by_season(fitted, test)
    market, sources = market_forecasts(test, table, eval_params.market_methods)
    baselines = baseline_forecasts(train, test, table, eval_params)
    result = evaluate(
        test,
        probs,
        market,
        baselines,
        market_sources=[str(s) for s in sources],
        bins=eval_params.calibration_bins,
        big_five=eval_params.big_five,
    )
    report: dict[str, Any] = {**result.report, "test_seasons": seasons}
    report["seconds"] = round(time.perf_counter() - started, 1)
    write_json(report, report_out)
    write_json(headline(report), metrics_out)
    write_csv(result.calibration, calibration_out)
    write_parquet(result.predictions, predictions_out)
    bench = report["benchmark"]
    logger.info(
        "test n=%d log-loss %.4f; against %s %s: gap %+.4f ± %.4f log-loss, %+.4f ± %.4f RPS",
        report["test"]["n"],
        report["test"]["log_loss"],
        bench["kind"],
        bench["name"],
        bench["gap"].get("log_loss") or float("nan"),
        bench["gap"].get("log_loss_se") or float("nan"),
        bench["gap"].get("rps") or float("nan"),
        bench["gap"].get("rps_se") or float("nan"),
    )
