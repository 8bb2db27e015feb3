"""Goal-difference Elo: update math on tiny hand-made fixture lists."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from matchcast.features.elo import elo_pass, elo_probabilities, expected_score, rating_change
from matchcast.features.params import EloParams, PriorParams
from matchcast.features.timeline import build_timeline

NO_QUANTILE = PriorParams(min_teams=1000)  # every newcomer gets the level default


def test_expected_score_is_the_elo_logistic() -> None:
    assert expected_score(0.0) == 0.5
    assert expected_score(400.0) == pytest.approx(10 / 11)
    assert expected_score(-400.0) == pytest.approx(1 / 11)


def test_rating_change_scales_with_goal_difference() -> None:
    p = EloParams(k=10.0, gd_exponent=1.0)
    assert rating_change(0.0, 1, 0, p) == pytest.approx(10 * 2 * 0.5)
    assert rating_change(0.0, 3, 0, p) == pytest.approx(10 * 4 * 0.5)
    assert rating_change(0.0, 1, 1, p) == pytest.approx(0.0)
    # a draw for the favourite costs it points
    assert rating_change(200.0, 2, 2, p) == pytest.approx(10 * (0.5 - expected_score(200.0)))


def test_two_matches_by_hand(make_matches: Callable[..., pd.DataFrame]) -> None:
    p = EloParams(
        k=10.0, gd_exponent=1.0, home_advantage=50.0, home_advantage_k=0.0, season_regression=0.0
    )
    m = make_matches(
        [
            ("2020-08-01", "a", "b", 2, 0, "E0", "2020-21"),
            ("2020-08-08", "b", "a", 1, 1, "E0", "2020-21"),
        ]
    )
    out = elo_pass(build_timeline(m, {}), p, NO_QUANTILE)
    e1 = expected_score(50.0)
    d1 = 10 * 3 * (1 - e1)
    assert out["f_elo_home"].tolist() == [1500.0, pytest.approx(1500.0 - d1)]
    assert out["f_elo_away"].tolist() == [1500.0, pytest.approx(1500.0 + d1)]
    diff2 = (1500.0 - d1) + 50.0 - (1500.0 + d1)
    assert out["f_elo_diff"][1] == pytest.approx(diff2)
    assert out["f_elo_expected"][1] == pytest.approx(expected_score(diff2))
    assert out["f_elo_home_advantage"].tolist() == [50.0, 50.0]


def test_league_home_advantage_follows_home_results(
    make_matches: Callable[..., pd.DataFrame],
) -> None:
    p = EloParams(k=10.0, gd_exponent=0.0, home_advantage=50.0, home_advantage_k=0.1)
    m = make_matches(
        [
            ("2020-08-01", "a", "b", 1, 0, "E0", "2020-21"),
            ("2020-08-08", "c", "d", 0, 0, "E0", "2020-21"),
            ("2020-08-08", "x", "y", 0, 0, "E1", "2020-21"),
        ]
    )
    out = elo_pass(build_timeline(m, {}), p, NO_QUANTILE)
    delta = 10.0 * (1 - expected_score(50.0))
    assert out["f_elo_home_advantage"][1] == pytest.approx(50.0 + 0.1 * delta)
    assert out["f_elo_home_advantage"][2] == 50.0  # another league keeps its own


def test_season_regression_pulls_toward_league_mean(
    make_matches: Callable[..., pd.DataFrame],
) -> None:
    p = EloParams(
        k=20.0, gd_exponent=0.0, home_advantage=0.0, home_advantage_k=0.0, season_regression=0.5
    )
    m = make_matches(
        [
            ("2020-08-01", "a", "b", 1, 0, "E0", "2020-21"),
            ("2021-08-01", "a", "b", None, None, "E0", "2021-22"),
        ]
    )
    out = elo_pass(build_timeline(m, {}), p, NO_QUANTILE)
    # after 1-0: a = 1510, b = 1490, league mean 1500; half-way back: 1505 / 1495
    assert out["f_elo_home"][1] == pytest.approx(1505.0)
    assert out["f_elo_away"][1] == pytest.approx(1495.0)


def test_elo_probabilities_are_a_distribution_with_league_draw_rate() -> None:
    p = EloParams(logit_scale=1.0, draw_width=1.0)
    diff = np.array([-300.0, 0.0, 150.0])
    probs = elo_probabilities(diff, np.array([0.25, 0.25, 0.30]), p)
    assert np.allclose(probs.sum(axis=1), 1.0)
    assert (probs > 0).all()
    assert probs[1, 1] == pytest.approx(0.25)  # even match: draw = league draw rate
    assert probs[1, 0] == pytest.approx(probs[1, 2])
    assert probs[2, 0] > probs[2, 2] and probs[0, 2] > probs[0, 0]
    # the expectation matches the Elo logistic at the centre of the scale
    assert probs[1, 0] + 0.5 * probs[1, 1] == pytest.approx(0.5)
    assert not math.isnan(float(probs.sum()))


def test_prefix_names_the_features(make_matches: Callable[..., pd.DataFrame]) -> None:
    m = make_matches([("2020-08-01", "a", "b", 2, 0, "E0", "2020-21")])
    out = elo_pass(build_timeline(m, {}), EloParams(), NO_QUANTILE, prefix="elofast")
    assert set(out) == {
        "f_elofast_home",
        "f_elofast_away",
        "f_elofast_home_advantage",
        "f_elofast_diff",
        "f_elofast_expected",
    }


def test_a_larger_k_moves_ratings_further(make_matches: Callable[..., pd.DataFrame]) -> None:
    m = make_matches(
        [
            ("2020-08-01", "a", "b", 2, 0, "E0", "2020-21"),
            ("2020-08-08", "a", "b", None, None, "E0", "2020-21"),
        ]
    )
    tl = build_timeline(m, {})
    slow = elo_pass(tl, EloParams(k=3.0, home_advantage_k=0.0), NO_QUANTILE)
    fast = elo_pass(tl, EloParams(k=20.0, home_advantage_k=0.0), NO_QUANTILE)
    assert slow["f_elo_diff"][0] == fast["f_elo_diff"][0]
    gain_slow = slow["f_elo_diff"][1] - slow["f_elo_diff"][0]
    gain_fast = fast["f_elo_diff"][1] - fast["f_elo_diff"][0]
    assert gain_fast == pytest.approx(gain_slow * 20.0 / 3.0)
    assert gain_slow > 0
