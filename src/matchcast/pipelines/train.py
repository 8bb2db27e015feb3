"""DVC stage ``train``: tune on walk-forward folds, then one fit per test season.

Tuning uses only the training period (every finished match before the test period, the
last ``evaluate.test_seasons`` complete seasons before the run's ``as_of``). With the tuned
settings fixed, each test season gets a model fitted on every finished match before that
season's first match (walk-forward); the first of them, fitted on the training period
only, is also saved alone for the register stage.
"""

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
from matchcast.data.io import atomic_write, write_json
from matchcast.data.params import load_section
from matchcast.models.comparators import EvaluateParams
from matchcast.models.estimator import ModelParams, OutcomeModel
from matchcast.models.test_period import split_period
from matchcast.models.tuning import TuningParams, tune, walk_forward_fit

logger = logging.getLogger(__name__)


def load_model_params(params_path: Path) -> tuple[ModelParams, TuningParams]:
    """The ``model:`` slice of params.yaml as typed parameters (model, tuning budget)."""
    section = dict(load_section(params_path, "model"))
    tuning = TuningParams.model_validate(section.pop("tuning", {}) or {})
    return ModelParams.model_validate(section), tuning


def save_model(model: OutcomeModel | dict[str, OutcomeModel], path: Path) -> None:
    """Pickle the fitted estimator (or season -> estimator mapping) atomically."""
    payload = pickle.dumps(model)

    def write(tmp: Path) -> None:
        tmp.write_bytes(payload)

    atomic_write(path, write)


def main(
    params: Path = typer.Option(Path("params.yaml"), help="Params file (model:, evaluate:)."),
    as_of_path: Path = typer.Option(
        Path("data/interim/as_of.json"), "--as-of", help="The run's as_of (from ingest)."
    ),
    features: Path = typer.Option(..., help="Features parquet."),
    out: Path = typer.Option(..., help="Model fitted before the test period (pickle)."),
    season_models: Path = typer.Option(
        ..., help="Walk-forward models, one per test season (pickle: season -> model)."
    ),
    report: Path = typer.Option(..., help="Tuning and training summary (JSON)."),
) -> None:
    """Tune on walk-forward folds; fit once per test season on every season before it."""
    started = time.perf_counter()
    model_params, budget = load_model_params(params)
    as_of = read_as_of(as_of_path).as_of.isoformat()
    period = EvaluateParams.model_validate(load_section(params, "evaluate"))
    frame = pd.read_parquet(features)
    train, test, seasons = split_period(frame, as_of, period.test_seasons, period.test_from)
    logger.info("training on %d matches before the test seasons %s", len(train), seasons)
    tuned = tune(train, model_params, budget, get_settings().optuna_storage)
    fit_started = time.perf_counter()
    models = walk_forward_fit(pd.concat([train, test]), seasons, tuned.params)
    model = models[seasons[0]]
    fit_s = time.perf_counter() - fit_started
    save_model(model, out)
    save_model(models, season_models)
    summary: dict[str, Any] = {
        "test_seasons": seasons,
        "n_train": len(train),
        "params": tuned.params.model_dump(),
        "model": model.describe(),
        "walk_forward": {season: m.describe() for season, m in models.items()},
        "tuning": {
            "n_trials": tuned.n_trials,
            "elapsed_s": round(tuned.elapsed_s, 1),
            "default_value": tuned.default_value
            if tuned.default_value == tuned.default_value
            else None,
            "best_value": tuned.best_value if tuned.best_value == tuned.best_value else None,
            "workers": tuned.workers,
            "trials_per_worker": tuned.trials_per_worker,
            "study": tuned.study,
            "storage": tuned.storage,
            "trials": tuned.trials,
        },
        "fit_s": round(fit_s, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_json(summary, report)
    logger.info(
        "train done in %.0fs (tuning %.0fs, fit %.0fs)", summary["seconds"], tuned.elapsed_s, fit_s
    )
