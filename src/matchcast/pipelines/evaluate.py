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

import numpy as np
import pandas as pd
import typer
from pydantic import BaseModel, ConfigDict, Field

from matchcast.data import columns as C
from matchcast.data.as_of import read_as_of
from matchcast.data.io import write_csv, write_json, write_parquet
from matchcast.data.params import load_section
from matchcast.models import metrics
from matchcast.models.baselines import ClassPrior
from matchcast.models.dixon_coles_walk_forward import dixon_coles_walk_forward
from matchcast.models.evaluation import BIG_FIVE, evaluate, headline
from matchcast.models.market import market_probabilities, market_triple
from matchcast.models.tuning import predict_by_season
from matchcast.pipelines.train import split_period

logger = logging.getLogger(__name__)


class DixonColesBaseline(BaseModel):
    """Knobs of the Dixon–Coles walk-forward baseline (its cost dominates this stage)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    refit_every_days: int = Field(default=7, ge=1)
    window_days: int = Field(default=730, ge=30)
    xi: float = Field(default=0.0018, ge=0)


class EvaluateParams(BaseModel):
    """The ``evaluate:`` slice of params.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    test_seasons: int = Field(default=2, ge=1)
    calibration_bins: int = Field(default=10, ge=2)
    market_methods: list[str] = Field(default_factory=lambda: ["proportional", "shin", "power"])
    big_five: list[str] = Field(default_factory=lambda: list(BIG_FIVE))
    # Feature columns holding rating-implied [H, D, A] probabilities, scored as a baseline.
    elo_columns: list[str] = Field(
        default_factory=lambda: ["f_elo_p_home", "f_elo_p_draw", "f_elo_p_away"]
    )
    dixon_coles: DixonColesBaseline = DixonColesBaseline()


def baseline_forecasts(
    train: pd.DataFrame,
    test: pd.DataFrame,
    matches: pd.DataFrame,
    params: EvaluateParams,
) -> dict[str, np.ndarray]:
    """Every baseline's probabilities for the test rows (in ``test`` order).

    Args:
        train: training rows (for the class prior).
        test: test rows of the features frame.
        matches: the canonical match table (for Dixon–Coles).
        params: evaluate knobs.

    Returns:
        Name -> (n_test, 3) probabilities.
    """
    y_train = metrics.outcome_codes(train[C.RESULT])
    leagues = test[C.LEAGUE].astype(str).to_numpy()
    out: dict[str, np.ndarray] = {
        "class_prior": ClassPrior().fit(y_train).predict_proba(leagues),
        "class_prior_league": ClassPrior(per_league=True)
        .fit(y_train, train[C.LEAGUE].astype(str).to_numpy())
        .predict_proba(leagues),
    }
    if all(c in test.columns for c in params.elo_columns):
        elo = test[params.elo_columns].to_numpy(dtype=np.float64, na_value=np.nan)
        out["elo"] = elo / elo.sum(axis=1, keepdims=True)
    else:
        logger.info(
            "no Elo probability columns %s in the features: Elo baseline skipped",
            params.elo_columns,
        )
    dc = params.dixon_coles
    if dc.enabled:
        started = time.perf_counter()
        ordered = matches.set_index(C.MATCH_ID)
        mask = ordered.index.isin(test[C.MATCH_ID])
        probs = dixon_coles_walk_forward(
            ordered.reset_index(),
            mask,
            refit_every_days=dc.refit_every_days,
            window_days=dc.window_days,
            xi=dc.xi,
        )
        by_id = pd.DataFrame(probs, index=ordered.index[mask])
        out["dixon_coles"] = by_id.reindex(test[C.MATCH_ID]).to_numpy(dtype=np.float64)
        logger.info("Dixon–Coles walk-forward in %.0fs", time.perf_counter() - started)
    return out


def market_forecasts(
    test: pd.DataFrame, matches: pd.DataFrame, methods: list[str]
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Margin-free market probabilities per method for the test rows, and the odds sources."""
    rows = matches.set_index(C.MATCH_ID).reindex(test[C.MATCH_ID]).reset_index()
    odds, sources = market_triple(rows)
    probs = {f"market_{m}": market_probabilities(odds, m) for m in methods}  # type: ignore[arg-type]
    return probs, sources


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
    train, test, seasons = split_period(frame, as_of, eval_params.test_seasons)
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
    gap = report["gap"]
    logger.info(
        "test n=%d log-loss %.4f (market %.4f, gap %+.4f ± %.4f), RPS gap %+.4f ± %.4f",
        report["test"]["n"],
        report["test"]["log_loss"],
        report["market"]["log_loss"],
        gap["log_loss"],
        gap["log_loss_se"],
        gap["rps"],
        gap["rps_se"],
    )
