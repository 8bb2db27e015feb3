"""The 1X2 estimator and its walk-forward tuning, on synthetic seasons with a known truth."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from tests.fixtures.outcome_features import synthetic_features

from matchcast.models.estimator import (
    LightGBMParams,
    ModelParams,
    OutcomeModel,
    feature_columns,
    outcome_codes,
    season_weights,
)
from matchcast.models.test_period import find_test_seasons
from matchcast.models.tuning import (
    TuningParams,
    predict_by_season,
    tune,
    walk_forward_fit,
    walk_forward_folds,
)

FAST_LGB = LightGBMParams(
    max_rounds=200, early_stopping_rounds=20, learning_rate=0.1, min_child_samples=50
)


def _nll(p: np.ndarray, y: np.ndarray) -> float:
    return float(-np.mean(np.log(p[np.arange(len(y)), y])))


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return synthetic_features()


@pytest.mark.parametrize("kind", ["logistic", "lightgbm", "blend"])
def test_model_learns_the_signal(frame: pd.DataFrame, kind: str) -> None:
    train, test = frame[frame.season < "2019-20"], frame[frame.season == "2019-20"]
    model = OutcomeModel(ModelParams(kind=kind, lightgbm=FAST_LGB)).fit(train)  # type: ignore[arg-type]
    p = model.predict_proba(test)
    y = outcome_codes(test.result)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-9)
    prior = np.bincount(outcome_codes(train.result), minlength=3) / len(train)
    assert _nll(p, y) < _nll(np.tile(prior, (len(y), 1)), y) - 0.05
    # Calibration is fitted on the last training season only, and the base refitted after.
    assert model.holdout == ["2018-19"]
    assert model.trained_through == str(train.date.max().date())


def test_stronger_home_side_gets_higher_home_probability(frame: pd.DataFrame) -> None:
    model = OutcomeModel(ModelParams(kind="blend", lightgbm=FAST_LGB)).fit(frame)
    grid = pd.DataFrame(
        {"f_elo_diff": np.linspace(-2, 2, 9), "f_form_diff": 0.0, "f_noise": 0.0, "f_sparse": 0.0}
    )
    p = model.predict_proba(grid)
    assert p[-1, 0] > p[0, 0] + 0.3
    assert p[0, 2] > p[-1, 2] + 0.3


def test_market_columns_only_with_the_switch(frame: pd.DataFrame) -> None:
    assert "m_market_home" not in feature_columns(frame, use_market_features=False)
    assert "m_market_home" in feature_columns(frame, use_market_features=True)
    model = OutcomeModel(ModelParams(kind="logistic")).fit(frame)
    assert model.feature_columns == ["f_elo_diff", "f_form_diff", "f_noise", "f_sparse"]


def test_unfinished_rows_are_ignored_and_pickle_round_trips(frame: pd.DataFrame) -> None:
    scheduled = frame.tail(50).assign(status="scheduled", result=pd.NA)
    with_fixtures = pd.concat([frame.head(len(frame) - 50), scheduled])
    model = OutcomeModel(ModelParams(kind="logistic")).fit(with_fixtures)
    assert model.n_train == len(frame) - 50
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(again.predict_proba(scheduled), model.predict_proba(scheduled))
    # Missing feature columns count as NaN rather than failing.
    assert np.isfinite(model.predict_proba(scheduled.drop(columns=["f_sparse"]))).all()


def test_fit_rejects_frames_without_features(frame: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="no feature columns"):
        OutcomeModel(ModelParams()).fit(frame[["season", "date", "result"]])


def test_test_seasons_are_the_last_complete_ones() -> None:
    days = pd.to_datetime(
        [
            "2022-09-01",
            "2023-05-01",
            "2023-09-01",
            "2024-05-01",
            "2024-09-01",
            "2025-05-20",
            "2025-09-01",
            "2026-04-01",
        ]
    )
    frame = pd.DataFrame(
        {
            "season": [
                "2022-23",
                "2022-23",
                "2023-24",
                "2023-24",
                "2024-25",
                "2024-25",
                "2025-26",
                "2025-26",
            ],
            "date": days,
            "status": ["finished"] * 7 + ["scheduled"],
        }
    )
    assert find_test_seasons(frame, "2026-03-01", 2) == ["2023-24", "2024-25"]
    assert find_test_seasons(frame, "2025-07-01", 2) == ["2023-24", "2024-25"]
    assert find_test_seasons(frame, "2025-03-01", 1) == ["2023-24"]
    with pytest.raises(ValueError, match="complete seasons"):
        find_test_seasons(frame, "2026-03-01", 4)


def test_walk_forward_folds_never_train_on_the_future(frame: pd.DataFrame) -> None:
    folds = walk_forward_folds(frame, folds=2, window=2)
    assert [season for season, _, _ in folds] == ["2018-19", "2019-20"]
    for season, train, valid in folds:
        assert (train.season < season).all()
        assert train.season.nunique() == 2
        assert (valid.season == season).all()


def test_tuning_is_seeded_and_never_worse_than_defaults(frame: pd.DataFrame) -> None:
    base = ModelParams(kind="blend", lightgbm=FAST_LGB)
    budget = TuningParams(n_trials=3, timeout_s=120, folds=1, train_window_seasons=None, seed=7)
    first = tune(frame, base, budget)
    second = tune(frame, base, budget)
    assert first.n_trials == 3
    assert first.best_value <= first.default_value
    assert first.params == second.params
    assert first.params.lightgbm.max_rounds == FAST_LGB.max_rounds  # untouched knobs kept


def test_season_weights_decay_with_age(frame: pd.DataFrame) -> None:
    w = season_weights(frame, 0.5)
    by_season = pd.Series(w).groupby(frame.season.to_numpy()).unique()
    assert by_season["2019-20"].tolist() == [1.0]
    assert by_season["2018-19"].tolist() == [0.5]
    assert by_season["2015-16"].tolist() == [0.5**4]
    assert (season_weights(frame, 1.0) == 1.0).all()


def test_season_decay_changes_the_fit(frame: pd.DataFrame) -> None:
    train, test = frame[frame.season < "2019-20"], frame[frame.season == "2019-20"]
    flat = OutcomeModel(ModelParams(kind="logistic")).fit(train).predict_proba(test)
    decayed = (
        OutcomeModel(ModelParams(kind="logistic", season_decay=0.3)).fit(train).predict_proba(test)
    )
    assert np.abs(flat - decayed).max() > 1e-4
    y = outcome_codes(test.result)
    assert abs(_nll(flat, y) - _nll(decayed, y)) < 0.05  # same signal, other weights


def test_walk_forward_fit_refits_before_each_test_season(frame: pd.DataFrame) -> None:
    seasons = ["2018-19", "2019-20"]
    params = ModelParams(kind="logistic")
    models = walk_forward_fit(frame, seasons, params)
    assert list(models) == seasons
    first_day = {s: frame.loc[frame.season == s, "date"].min() for s in seasons}
    for season, model in models.items():
        assert pd.Timestamp(str(model.trained_through)) < first_day[season]
    # The second season's model has seen the first test season, the first has not.
    assert models["2019-20"].trained_through == str(
        frame.loc[frame.season == "2018-19", "date"].max().date()
    )
    assert models["2019-20"].n_train == models["2018-19"].n_train + 800
    test = frame[frame.season.isin(seasons)]
    probs = predict_by_season(models, test)
    for season, model in models.items():
        rows = (test.season == season).to_numpy()
        np.testing.assert_allclose(probs[rows], model.predict_proba(test[rows]))
    with pytest.raises(ValueError, match="no walk-forward model"):
        predict_by_season({"2019-20": models["2019-20"]}, test)
