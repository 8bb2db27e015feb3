"""Walk-forward splits and Optuna tuning of the 1X2 model under a time budget.

The test period (:mod:`matchcast.models.test_period`) is the last ``n`` complete seasons of
each league before ``as_of``; everything finished before it is training data.
Tuning validates on each of the last ``folds`` training seasons ``s`` with a model fitted
on the seasons before ``s`` (itself calibrated on the season just before ``s``), so nothing
is ever scored on data it was fitted on.
"""

from __future__ import annotations

import logging
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from matchcast.data import columns as C
from matchcast.models.estimator import ModelParams, OutcomeModel, outcome_codes, seasons_in_order
from matchcast.models.tuning_study import WORKER_ATTR, StudySpec, create_study, run_workers

logger = logging.getLogger(__name__)


class TuningParams(BaseModel):
    """The ``model.tuning`` slice of params.yaml: the search budget."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    n_trials: int = Field(default=10, ge=0)
    timeout_s: float = Field(default=60.0, gt=0)
    folds: int = Field(default=2, ge=1)
    # Only the most recent seasons train the fold models (speed); null uses every season.
    train_window_seasons: int | None = Field(default=12, ge=2)
    seed: int = 42
    # Processes running trials of one study (several share it through its storage:
    # MATCHCAST_OPTUNA_STORAGE, or a scratch journal file when that is unset).
    workers: int = Field(default=1, ge=1, le=64)


@dataclass
class TuningResult:
    """Outcome of a tuning run."""

    params: ModelParams
    best_value: float
    default_value: float
    n_trials: int
    elapsed_s: float
    trials: list[dict[str, Any]] = field(default_factory=list)
    workers: int = 1
    trials_per_worker: list[int] = field(default_factory=list)
    study: str | None = None
    storage: str = "memory"


def _with(params: ModelParams, values: dict[str, Any]) -> ModelParams:
    top = {k: v for k, v in values.items() if not k.startswith("lgb_")}
    lgb_values = {k[4:]: v for k, v in values.items() if k.startswith("lgb_")}
    lgb_params = params.lightgbm.model_copy(update=lgb_values)
    return params.model_copy(update={**top, "lightgbm": lgb_params})


def _suggest(trial: optuna.Trial, kind: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if kind in ("lightgbm", "blend"):
        values["lgb_num_leaves"] = trial.suggest_int("lgb_num_leaves", 3, 31, log=True)
        values["lgb_learning_rate"] = trial.suggest_float("lgb_learning_rate", 0.01, 0.1, log=True)
        values["lgb_min_child_samples"] = trial.suggest_int(
            "lgb_min_child_samples", 50, 2000, log=True
        )
        values["lgb_lambda_l2"] = trial.suggest_float("lgb_lambda_l2", 0.1, 100.0, log=True)
        values["lgb_feature_fraction"] = trial.suggest_float("lgb_feature_fraction", 0.3, 1.0)
    if kind == "logistic":
        values["logistic_c"] = trial.suggest_float("logistic_c", 1e-3, 10.0, log=True)
    if kind == "blend":
        # The logistic half keeps its C (cheap to cache across trials); the weight is tuned.
        values["blend_weight"] = trial.suggest_float("blend_weight", 0.2, 0.8)
    return values


def _default_values(params: ModelParams) -> dict[str, Any]:
    lgb_p = params.lightgbm
    values: dict[str, Any] = {}
    if params.kind in ("lightgbm", "blend"):
        values.update(
            lgb_num_leaves=lgb_p.num_leaves,
            lgb_learning_rate=lgb_p.learning_rate,
            lgb_min_child_samples=lgb_p.min_child_samples,
            lgb_lambda_l2=lgb_p.lambda_l2,
            lgb_feature_fraction=lgb_p.feature_fraction,
        )
    if params.kind == "logistic":
        values["logistic_c"] = params.logistic_c
    if params.kind == "blend":
        values["blend_weight"] = params.blend_weight
    return values


def walk_forward_folds(
    frame: pd.DataFrame, folds: int, window: int | None
) -> list[tuple[str, pd.DataFrame, pd.DataFrame]]:
    """Validation folds over the last ``folds`` seasons of ``frame``.

    Args:
        frame: finished training matches.
        folds: number of validation seasons (the most recent ones).
        window: if set, each fold trains on at most this many seasons before its
            validation season.

    Returns:
        (validation season, training frame, validation frame) per fold, oldest first.
    """
    seasons = seasons_in_order(frame)
    if len(seasons) < folds + 2:
        raise ValueError(f"need at least {folds + 2} seasons to tune, got {len(seasons)}")
    out = []
    season_col = frame[C.SEASON].astype("string")
    for i in range(len(seasons) - folds, len(seasons)):
        train = seasons[:i] if window is None else seasons[max(0, i - window) : i]
        out.append(
            (seasons[i], frame.loc[season_col.isin(train)], frame.loc[season_col == seasons[i]])
        )
    return out


def refit_groups(frame: pd.DataFrame, seasons: list[str], group_days: int) -> list[list[str]]:
    """Test season labels that share one walk-forward fit, oldest group first.

    Taken in the given order (by first match), a label joins the open group when its first
    match is fewer than ``group_days`` days after the first match of the group's first
    label; otherwise it opens a new group.
    With leagues on different calendars the labels of one year (split ``2024-25`` from
    August, calendar ``2025`` from February) then share one fit instead of one each;
    consecutive split-year labels (a year apart) never do while ``group_days`` is under
    about 340. ``group_days`` 0 gives every label its own fit.

    Args:
        frame: matches holding every match of those labels (their first ones decide).
        seasons: test season labels, oldest first.
        group_days: the span of one group, in days.

    Returns:
        Consecutive runs of ``seasons``; every label in exactly one group.
    """
    season_col = frame[C.SEASON].astype("string")
    starts: dict[str, pd.Timestamp] = {}
    for season in seasons:
        in_season = (season_col == season).to_numpy(dtype=bool)
        if not in_season.any():
            raise ValueError(f"no matches of test season {season}")
        starts[season] = pd.Timestamp(frame.loc[in_season, C.DATE].min())
    groups: list[list[str]] = []
    opened: pd.Timestamp | None = None
    for season in seasons:
        if opened is None or not 0 <= (starts[season] - opened).days < group_days:
            groups.append([])
            opened = starts[season]
        groups[-1].append(season)
    return groups


def walk_forward_fit(
    frame: pd.DataFrame, seasons: list[str], params: ModelParams, group_days: int = 0
) -> dict[str, OutcomeModel]:
    """One model per group of test seasons, fitted on every finished match before the group.

    The first group's model sees only the training period; the next one also sees the test
    seasons before it (the standard walk-forward evaluation: settings fixed, data refreshed
    at the start of each season, never a match on or after the season's start). A group
    (:func:`refit_groups`) is fitted strictly before the earliest first match of its labels,
    so no model is trained on a match dated on or after any match it predicts.

    Args:
        frame: finished matches of the training and test periods.
        seasons: test season labels, oldest first.
        params: the (tuned) model settings, the same for every season.
        group_days: labels starting within this many days share one fit (0: one per label).

    Returns:
        Season label -> model fitted strictly before that season (labels of one group map
        to the same model object).
    """
    season_col = frame[C.SEASON].astype("string")
    finished = frame[C.RESULT].notna().to_numpy(dtype=bool)
    groups = refit_groups(frame, seasons, group_days)
    out: dict[str, OutcomeModel] = {}
    for i, group in enumerate(groups):
        start = frame.loc[season_col.isin(group).to_numpy(dtype=bool), C.DATE].min()
        before = (frame[C.DATE] < start).to_numpy(dtype=bool)
        later = season_col.isin([s for g in groups[i:] for s in g]).to_numpy(dtype=bool)
        model = OutcomeModel(params).fit(frame.loc[before & ~later & finished], refit=True)
        for season in group:
            out[season] = model
        logger.info(
            "walk-forward: %s predicted by a fit through %s",
            ", ".join(group),
            model.trained_through,
        )
    return {season: out[season] for season in seasons}


def predict_by_season(models: dict[str, OutcomeModel], frame: pd.DataFrame) -> np.ndarray:
    """Probabilities (n, 3) for every row of ``frame``, each from its season's model.

    Args:
        models: season label -> fitted model (from :func:`walk_forward_fit`).
        frame: rows to predict; every season in it must have a model.

    Returns:
        Calibrated [H, D, A] probabilities in row order.
    """
    season_col = frame[C.SEASON].astype("string").to_numpy(dtype=object)
    missing = sorted(set(season_col) - set(models))
    if missing:
        raise ValueError(f"no walk-forward model for seasons {missing}")
    out = np.full((len(frame), 3), np.nan, dtype=np.float64)
    for season, model in models.items():
        rows = np.flatnonzero(season_col == season)
        if len(rows):
            out[rows] = model.predict_proba(frame.iloc[rows])
    return out


def _fold_log_loss(
    params: ModelParams, train: pd.DataFrame, valid: pd.DataFrame, cache: dict[str, Any]
) -> float:
    model = OutcomeModel(params, cache=cache).fit(train, refit=False)
    probs = model.predict_proba(valid)
    y = outcome_codes(valid[C.RESULT])
    return float(-np.mean(np.log(np.clip(probs[np.arange(len(y)), y], 1e-15, 1.0))))


class FoldObjective:
    """Mean validation log-loss of a trial's settings over the walk-forward folds.

    Picklable for spawned tuning workers when it knows the path of the training frame:
    only that path travels, and each worker builds the folds (and its own cache of fitted
    logistic models) once.
    """

    def __init__(
        self,
        base: ModelParams,
        budget: TuningParams,
        folds: list[tuple[str, pd.DataFrame, pd.DataFrame]],
        path: Path | None = None,
    ) -> None:
        """Score ``base`` updated with each trial's values on ``folds`` (built from ``path``)."""
        self.base = base
        self.budget = budget
        self.path = path
        self._folds: list[tuple[str, pd.DataFrame, pd.DataFrame]] | None = folds
        self._cache: dict[str, Any] = {}

    def __getstate__(self) -> dict[str, Any]:
        """Only the recipe travels to another process, never the folds or the cache."""
        if self.path is None:
            raise TypeError("a tuning objective sent to another process needs a file source")
        return {"base": self.base, "budget": self.budget, "path": self.path}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Rebuild from the recipe; folds are read on the first trial."""
        self.base, self.budget, self.path = state["base"], state["budget"], state["path"]
        self._folds, self._cache = None, {}

    @property
    def folds(self) -> list[tuple[str, pd.DataFrame, pd.DataFrame]]:
        """The validation folds (read from the file on first use in a spawned worker)."""
        if self._folds is None:
            assert self.path is not None  # only an unpickled objective has no folds
            self._folds = walk_forward_folds(
                pd.read_parquet(self.path), self.budget.folds, self.budget.train_window_seasons
            )
        return self._folds

    def __call__(self, trial: optuna.Trial) -> float:
        """The trial's mean fold log-loss; pruned when clearly worse than the median."""
        params = _with(self.base, _suggest(trial, self.base.kind))
        losses = []
        for step, (season, train, valid) in enumerate(self.folds):
            losses.append(_fold_log_loss(params, train, valid, self._cache))
            trial.set_user_attr(f"log_loss_{season}", losses[-1])
            trial.report(float(np.mean(losses)), step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return float(np.mean(losses))


def tune(
    frame: pd.DataFrame,
    base: ModelParams,
    budget: TuningParams,
    storage_url: str | None = None,
) -> TuningResult:
    """Search the model's hyperparameters on walk-forward folds within a budget.

    The defaults in ``base`` are always the first trial, so the result is never worse
    than the defaults on the folds. The sampler is seeded; with a time-out, or with
    several workers, the number and order of finished trials (and so the result) can
    depend on the machine's speed.

    Args:
        frame: finished training matches (the test period excluded).
        base: starting parameters (kind, calibration and the defaults of the search).
        budget: trials, time-out, folds, training window and worker processes.
        storage_url: SQL database holding the study (shared by the workers, and open to
            other hosts); None keeps it in memory (one worker) or in a scratch journal file.

    Returns:
        The best parameters found and a summary of the trials.
    """
    started = time.perf_counter()
    data = frame.loc[frame[C.RESULT].notna()]
    folds = walk_forward_folds(data, budget.folds, budget.train_window_seasons)
    if budget.n_trials == 0:
        return TuningResult(base, float("nan"), float("nan"), 0, 0.0)
    with tempfile.TemporaryDirectory(prefix="matchcast-tuning-") as scratch:
        path: Path | None = None
        if budget.workers > 1:  # the spawned workers read the frame from here
            path = Path(scratch) / "train.parquet"
            data.to_parquet(path)
        spec = StudySpec(
            name=f"matchcast-tuning-{uuid.uuid4().hex[:12]}",
            seed=budget.seed,
            n_trials=budget.n_trials,
            deadline=time.time() + budget.timeout_s,
            storage_url=storage_url,
            journal_path=str(Path(scratch) / "study.journal")
            if budget.workers > 1 and storage_url is None
            else None,
        )
        study = create_study(spec, _default_values(base))
        objective = FoldObjective(base, budget, folds, path)
        per_worker = run_workers(study, spec, objective, budget.workers)
        all_trials = study.get_trials(deepcopy=False)
    complete = [t for t in all_trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not complete:
        raise RuntimeError("no tuning trial finished within the budget")
    best = min(complete, key=lambda t: (float(t.value or np.inf), t.number))
    default_value = float(all_trials[0].value) if all_trials[0].value is not None else np.nan
    elapsed = time.perf_counter() - started
    logger.info(
        "tuning: %d trials (%d complete) in %.0fs by %d worker(s) (study %s in %s); "
        "default %.5f -> best %.5f",
        len(all_trials),
        len(complete),
        elapsed,
        budget.workers,
        spec.name,
        spec.described(),
        default_value,
        best.value,
    )
    trials = [
        {
            "number": t.number,
            "state": t.state.name,
            "value": t.value,
            "worker": t.user_attrs.get(WORKER_ATTR),
            "folds_scored": sum(key.startswith("log_loss_") for key in t.user_attrs),
            **t.params,
        }
        for t in all_trials
    ]
    return TuningResult(
        params=_with(base, dict(best.params)),
        best_value=float(best.value) if best.value is not None else float("nan"),
        default_value=default_value,
        n_trials=len(all_trials),
        elapsed_s=elapsed,
        trials=trials,
        workers=len(per_worker),
        trials_per_worker=per_worker,
        study=spec.name,
        storage=spec.described(),
    )
