"""Each league's best-fitting Elo K (``elo_variants.league_k_window``)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from matchcast.data import columns as c
from matchcast.features.build import build_features
from matchcast.features.league_k import league_k_choice
from matchcast.features.params import EloVariantParams, FeatureParams, PriorParams
from matchcast.features.timeline import build_timeline

PARAMS = FeatureParams(
    prior=PriorParams(min_teams=1000),
    elo_variants=EloVariantParams(league_k_window=400),
)


def league(
    make_matches: Callable[..., pd.DataFrame],
    code: str,
    seasons: int,
    drift: float,
    seed: int,
) -> pd.DataFrame:
    """Rounds of 16 teams whose strengths take a random step of sd ``drift`` every round
    (a league where strength moves fast) or stay put (``drift`` 0)."""
    rng = np.random.default_rng(seed)
    teams = [f"{code.lower()}{k}" for k in range(16)]
    strength = rng.normal(0.0, 0.8, 16)
    rows = []
    for s in range(seasons):
        label = f"{2010 + s}-{(11 + s) % 100:02d}"
        start = pd.Timestamp(f"{2010 + s}-08-01")
        for round_ in range(30):
            strength = strength + rng.normal(0.0, drift, 16) if drift else strength
            date = (start + pd.Timedelta(days=7 * round_)).strftime("%Y-%m-%d")
            order = rng.permutation(16)
            for k in range(8):
                h, a = order[2 * k], order[2 * k + 1]
                home_goals = rng.poisson(np.exp(0.3 + (strength[h] - strength[a]) / 2))
                away_goals = rng.poisson(np.exp(0.1 + (strength[a] - strength[h]) / 2))
                rows.append((date, teams[h], teams[a], home_goals, away_goals, code, label))
    return make_matches(rows, with_stats=False)


@pytest.fixture(scope="module")
def features(make_matches: Callable[..., pd.DataFrame]) -> pd.DataFrame:
    matches = pd.concat(
        [
            league(make_matches, "STILL", 5, 0.0, seed=3),
            league(make_matches, "MOVING", 5, 0.25, seed=13),
        ],
        ignore_index=True,
    )
    return build_features(matches, PARAMS)


def chosen_k(features: pd.DataFrame, code: str) -> float:
    rows = features[features[c.LEAGUE] == code]
    return float(rows["f_elo_league_k"].iloc[-200:].mean())


def test_a_league_where_strength_moves_fast_gets_a_larger_k(features: pd.DataFrame) -> None:
    assert chosen_k(features, "MOVING") == 20.0  # the fast system, every late match
    assert chosen_k(features, "STILL") < 10.0  # the main or the slow one


def test_the_chosen_difference_is_the_chosen_systems(features: pd.DataFrame) -> None:
    by_k = {8.0: "f_elo_diff", 20.0: "f_elofast_diff", 3.0: "f_eloslow_diff"}
    for k, column in by_k.items():
        rows = features[features["f_elo_league_k"] == k]
        assert np.array_equal(rows["f_elo_league_diff"], rows[column])
    # a league's first date has no earlier result: the main system
    first = features.groupby(c.LEAGUE)[c.DATE].transform("min") == features[c.DATE]
    assert (features.loc[first, "f_elo_league_k"] == 8.0).all()


def test_only_earlier_dates_score_the_systems(make_matches: Callable[..., pd.DataFrame]) -> None:
    m = make_matches(
        [
            ("2020-08-01", "a", "b", 1, 0, "E0", "2020-21"),
            ("2020-08-08", "a", "c", 0, 0, "E0", "2020-21"),
            ("2020-08-08", "b", "c", 3, 0, "E0", "2020-21"),
            ("2020-08-15", "c", "a", 0, 2, "E0", "2020-21"),
        ],
        with_stats=False,
    )
    tl = build_timeline(m, {})
    # system B (K 20) forecasts match 0 perfectly, A (K 8) badly; match 1-2 the reverse
    a = np.array([-2000.0, 2000.0, 2000.0, 0.0])
    b = np.array([2000.0, -2000.0, -2000.0, 0.0])
    out = league_k_choice(tl, [(8.0, a), (20.0, b)], window=10)
    # date 1: nothing earlier -> main; date 2: only match 0 counts -> B; date 3: all -> A
    assert out["f_elo_league_k"].tolist() == [8.0, 20.0, 20.0, 8.0]
    assert out["f_elo_league_diff"].tolist() == [-2000.0, -2000.0, -2000.0, 0.0]
