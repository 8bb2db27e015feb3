"""One tuning study, several worker processes: shared through PostgreSQL or a journal file."""

from __future__ import annotations

import pickle
import time
import uuid

import optuna
import pandas as pd
import pytest
from tests.fixtures.outcome_features import synthetic_features

from matchcast.models.estimator import LightGBMParams, ModelParams
from matchcast.models.tuning import FoldObjective, TuningParams, tune
from matchcast.models.tuning_study import (
    PID_ATTR,
    WORKER_ATTR,
    StudySpec,
    create_study,
    run_workers,
)

FAST = ModelParams(
    kind="blend",
    lightgbm=LightGBMParams(
        max_rounds=60, early_stopping_rounds=10, learning_rate=0.1, min_child_samples=50
    ),
)


def waits_for_company(trial: optuna.Trial) -> float:
    """Worker 0's trials wait until another worker's trial is in the study; all score x."""
    x = trial.suggest_float("x", 0.0, 1.0)
    if trial.user_attrs[WORKER_ATTR] == 0:
        limit = time.monotonic() + 120
        while time.monotonic() < limit:
            others = [t for t in trial.study.get_trials() if t.user_attrs.get(WORKER_ATTR)]
            if others:
                break
            time.sleep(0.2)
    return x


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return synthetic_features(n_seasons=4, per_season=500)


def test_workers_in_other_processes_run_trials_of_the_study_in_postgresql(pg_url: str) -> None:
    spec = StudySpec(
        name=f"t-{uuid.uuid4().hex[:8]}",
        seed=1,
        n_trials=8,
        deadline=time.time() + 180,
        storage_url=pg_url,
    )
    study = create_study(spec, {"x": 0.5})
    per_worker = run_workers(study, spec, waits_for_company, workers=2)

    stored = optuna.load_study(study_name=spec.name, storage=pg_url).get_trials()
    assert per_worker[1] >= 1
    assert sum(per_worker) == len(stored)
    # The budget counts every worker's trials; two asking at once may each start the last.
    assert spec.n_trials <= len(stored) <= spec.n_trials + 1
    assert {t.user_attrs[WORKER_ATTR] for t in stored} == {0, 1}
    assert len({t.user_attrs[PID_ATTR] for t in stored}) == 2
    assert stored[0].params == {"x": 0.5}  # the queued first trial, whoever ran it


def test_tuning_with_two_workers_keeps_its_study_and_best_trial_in_postgresql(
    frame: pd.DataFrame, pg_url: str
) -> None:
    budget = TuningParams(
        n_trials=6, timeout_s=300, folds=1, train_window_seasons=None, seed=3, workers=2
    )
    result = tune(frame, FAST, budget, pg_url)

    assert result.study is not None
    assert result.storage.startswith("postgresql")
    stored = optuna.load_study(study_name=result.study, storage=pg_url)
    assert len(stored.trials) == result.n_trials == sum(result.trials_per_worker)
    assert budget.n_trials <= result.n_trials <= budget.n_trials + 1
    assert result.best_value == stored.best_value
    assert result.params.lightgbm.num_leaves == stored.best_params["lgb_num_leaves"]
    assert result.best_value <= result.default_value
    assert stored.trials[0].params["lgb_num_leaves"] == FAST.lightgbm.num_leaves


def test_without_a_database_two_workers_share_a_scratch_journal(frame: pd.DataFrame) -> None:
    budget = TuningParams(
        n_trials=4, timeout_s=300, folds=1, train_window_seasons=None, seed=3, workers=2
    )
    result = tune(frame, FAST, budget)

    assert result.storage == "journal file"
    assert result.workers == 2
    assert budget.n_trials <= result.n_trials <= budget.n_trials + 1
    assert sum(result.trials_per_worker) == result.n_trials
    assert {t["worker"] for t in result.trials} <= {0, 1}


def test_a_budget_of_one_trial_runs_the_defaults(frame: pd.DataFrame) -> None:
    budget = TuningParams(n_trials=1, timeout_s=300, folds=1, train_window_seasons=None)
    result = tune(frame, FAST, budget)
    assert result.n_trials == 1
    assert result.trials[0]["state"] == "COMPLETE"
    assert result.params == FAST  # trial 0 is the defaults


def test_one_worker_keeps_the_study_in_memory(frame: pd.DataFrame) -> None:
    budget = TuningParams(n_trials=2, timeout_s=300, folds=1, train_window_seasons=None)
    result = tune(frame, FAST, budget)
    assert result.storage == "memory"
    assert result.trials_per_worker == [2]
    assert [t["worker"] for t in result.trials] == [0, 0]


def test_a_spawned_worker_needs_a_file_source(frame: pd.DataFrame) -> None:
    with pytest.raises(TypeError, match="file source"):
        pickle.dumps(FoldObjective(FAST, TuningParams(), []))
