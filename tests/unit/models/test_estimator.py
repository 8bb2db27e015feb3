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
    newest_seasons,
    outcome_codes,
    season_weights,
)
from matchcast.models.test_period import find_test_seasons
from matchcast.models.tuning import (
    TuningParams,
    predict_by_season,
    refit_groups,
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


def mixed_calendar_features(per_season: int = 300, seed: int = 1) -> pd.DataFrame:
    """Split-year seasons from 1 August and calendar-year seasons from 14 February."""
    rng = np.random.default_rng(seed)
    parts = []
    for start in range(2018, 2025):
        for season, first, league in (
            (f"{start}-{(start + 1) % 100:02d}", f"{start}-08-01", "S"),
            (str(start), f"{start}-02-14", "C"),
        ):
            dates = pd.Timestamp(first) + pd.to_timedelta(
                np.sort(rng.integers(0, 250, per_season)), "D"
            )
            diff = rng.normal(size=per_season)
            latent = 1.2 * diff + 0.35 + rng.logistic(size=per_season)
            parts.append(
                pd.DataFrame(
                    {
                        "league": league,
                        "season": season,
                        "date": dates,
                        "status": "finished",
                        "result": np.where(latent > 0.6, "H", np.where(latent < -0.6, "A", "D")),
                        "f_elo_diff": diff + rng.normal(scale=0.3, size=per_season),
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


MIXED_TEST = ["2023-24", "2024", "2024-25"]  # ordered by first match (Aug, Feb, Aug)


def test_labels_of_one_year_share_a_fit_and_split_seasons_never_do() -> None:
    frame = mixed_calendar_features()
    assert refit_groups(frame, MIXED_TEST, 300) == [["2023-24", "2024"], ["2024-25"]]
    assert refit_groups(frame, MIXED_TEST, 0) == [["2023-24"], ["2024"], ["2024-25"]]
    # Split labels a year apart (the 17 divisions) keep one fit each below ~340 days.
    split = ["2021-22", "2022-23", "2023-24"]
    assert refit_groups(frame, split, 300) == [[s] for s in split]
    assert refit_groups(frame, split, 400) == [split[:2], split[2:]]
    with pytest.raises(ValueError, match="no matches of test season 1999"):
        refit_groups(frame, ["1999"], 300)


@pytest.mark.parametrize("group_days", [0, 150, 300, 500])
def test_no_walk_forward_model_trains_on_or_after_a_match_it_predicts(group_days: int) -> None:
    frame = mixed_calendar_features()
    models = walk_forward_fit(frame, MIXED_TEST, ModelParams(kind="logistic"), group_days)
    assert list(models) == MIXED_TEST
    groups = refit_groups(frame, MIXED_TEST, group_days)
    assert len({id(m) for m in models.values()}) == len(groups)
    for group in groups:
        predicted = frame[frame.season.isin(group)]
        model = models[group[0]]
        assert all(models[s] is model for s in group)
        # Every training row is dated before the first kick-off of every row it predicts.
        assert pd.Timestamp(str(model.trained_through)) < predicted.date.min()
        # ... and the fit used every finished match before then (nothing else held back).
        assert model.n_train == int((frame.date < predicted.date.min()).sum())


def test_a_fit_keeps_the_newest_whole_seasons_within_the_cap(frame: pd.DataFrame) -> None:
    # Five seasons of 800 matches: a cap of 2,000 keeps the newest two whole seasons.
    capped = ModelParams(kind="logistic", holdout_seasons=1, max_train_matches=2000)
    model = OutcomeModel(capped).fit(frame)
    assert model.n_train == 1600
    assert model.holdout == ["2019-20"]
    assert model.trained_through == str(frame.date.max().date())
    kept = newest_seasons(frame, 2000)
    assert sorted(kept.season.unique()) == ["2018-19", "2019-20"]
    # Not binding: the same fit as without a cap.
    uncapped = OutcomeModel(ModelParams(kind="logistic")).fit(frame)
    loose = OutcomeModel(ModelParams(kind="logistic", max_train_matches=4000)).fit(frame)
    assert loose.n_train == uncapped.n_train == 4000
    np.testing.assert_array_equal(loose.predict_proba(frame), uncapped.predict_proba(frame))
    # The newest season is kept even when it alone is over the cap.
    assert newest_seasons(frame, 10).season.unique().tolist() == ["2019-20"]


def test_logistic_penalty_per_match_holds_below_the_reference_size(frame: pd.DataFrame) -> None:
    """With a reference size, C grows as the training set shrinks (a small league's
    logistic half is not swamped by a penalty tuned on 150k matches); above it, unchanged."""
    params = ModelParams(kind="logistic", logistic_c=1e-4, logistic_c_reference_matches=4000)
    model = OutcomeModel(params).fit(frame, refit=True)  # 4,000 matches (5 seasons)
    assert model.logistic is not None
    assert model.logistic[-1].get_params()["C"] == pytest.approx(1e-4)  # at the reference: as given
    assert model.logistic_c_for(1000) == pytest.approx(4e-4)
    assert model.logistic_c_for(10_000) == pytest.approx(1e-4)
    small = frame[frame.season >= "2018-19"]  # 1,600 matches: C 2.5 times larger
    fitted = OutcomeModel(params).fit(small, refit=True)
    plain = OutcomeModel(params.model_copy(update={"logistic_c_reference_matches": None}))
    plain.fit(small, refit=True)
    assert fitted.logistic is not None and plain.logistic is not None
    assert fitted.logistic[-1].get_params()["C"] == pytest.approx(2.5e-4)
    assert plain.logistic[-1].get_params()["C"] == pytest.approx(1e-4)
    # the weaker penalty lets the coefficients grow: further from the class prior
    assert np.abs(fitted.logistic[-1].coef_).sum() > np.abs(plain.logistic[-1].coef_).sum()
