"""Where a team never seen before starts, and teams carrying ratings between divisions."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from matchcast.features.build import build_features
from matchcast.features.elo import elo_pass
from matchcast.features.params import EloParams, FeatureParams, PriorParams
from matchcast.features.timeline import build_timeline

LEVELS = {"E0": 1, "E1": 2}
ELO = EloParams(
    k=20.0, gd_exponent=0.0, home_advantage=0.0, home_advantage_k=0.0, season_regression=0.0
)


def test_newcomer_default_drops_with_league_level(
    make_matches: Callable[..., pd.DataFrame],
) -> None:
    m = make_matches(
        [
            ("2020-08-01", "a", "b", 1, 0, "E0", "2020-21"),
            ("2020-08-01", "x", "y", 1, 0, "E1", "2020-21"),
        ]
    )
    out = elo_pass(build_timeline(m, LEVELS), ELO, PriorParams(min_teams=1000))
    assert out["f_elo_home"].tolist() == [1500.0, 1500.0 - ELO.level_gap]


def test_newcomer_starts_at_the_league_quantile(make_matches: Callable[..., pd.DataFrame]) -> None:
    rows = [
        ("2020-08-01", "a", "b", 3, 0, "E0", "2020-21"),
        ("2020-08-01", "c", "d", 1, 1, "E0", "2020-21"),
        ("2020-08-08", "new", "a", None, None, "E0", "2020-21"),
    ]
    prior = PriorParams(min_teams=4, quantile=0.0)
    out = elo_pass(build_timeline(make_matches(rows), LEVELS), ELO, prior)
    # a gained 10, b lost 10, c/d drew: the lowest active rating is b's 1490
    assert out["f_elo_home"][2] == pytest.approx(1490.0)
    prior_median = PriorParams(min_teams=4, quantile=0.5)
    out = elo_pass(build_timeline(make_matches(rows), LEVELS), ELO, prior_median)
    assert out["f_elo_home"][2] == pytest.approx(1500.0)


def test_promoted_team_carries_its_rating(make_matches: Callable[..., pd.DataFrame]) -> None:
    rows = [
        ("2020-08-01", "x", "y", 4, 0, "E1", "2020-21"),
        ("2020-08-08", "x", "z", 4, 0, "E1", "2020-21"),
        ("2020-08-01", "a", "b", 0, 0, "E0", "2020-21"),
        ("2021-08-07", "x", "a", None, None, "E0", "2021-22"),
    ]
    tl = build_timeline(make_matches(rows), LEVELS)
    out = elo_pass(tl, ELO, PriorParams(min_teams=1000))
    x_in_e1 = 1400.0 + 10.0 + 20.0 * (1.0 - 1.0 / (1.0 + 10 ** (-10.0 / 400.0)))
    last = int(np.flatnonzero(tl.home == tl.home[-1])[-1])
    assert out["f_elo_home"][last] == pytest.approx(x_in_e1)
    f = build_features(make_matches(rows), FeatureParams(league_levels=LEVELS)).set_index(
        "match_id"
    )
    assert f.loc["E0-2021-08-07-x-a", "f_home_level_change"] == -1.0
    assert f.loc["E0-2021-08-07-x-a", "f_away_level_change"] == 0.0


def test_results_only_source_gets_every_rating_feature(
    make_matches: Callable[..., pd.DataFrame],
) -> None:
    rows = [
        ("2020-08-01", "a", "b", 2, 1, "E0", "2020-21"),
        ("2020-08-08", "b", "c", 0, 0, "E0", "2020-21"),
        ("2020-08-15", "c", "a", 1, 3, "E0", "2020-21"),
        ("2020-08-22", "new", "a", None, None, "E0", "2020-21"),
    ]
    f = build_features(make_matches(rows, with_stats=False), FeatureParams())
    rating_cols = [col for col in f.columns if col.startswith(("f_elo_", "f_pi_", "f_dc_"))]
    assert len(rating_cols) >= 20
    assert np.isfinite(f[rating_cols].to_numpy()).all()
    probs = f[["f_elo_p_home", "f_elo_p_draw", "f_elo_p_away"]].sum(axis=1)
    assert np.allclose(probs, 1.0)
    assert np.allclose(f[["f_dc_p_home", "f_dc_p_draw", "f_dc_p_away"]].sum(axis=1), 1.0)
