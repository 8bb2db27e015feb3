"""Pi-ratings (Constantinou & Fenton 2013): the update on hand-computed cases."""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd
import pytest

from matchcast.features.params import PiParams, PriorParams
from matchcast.features.pi_ratings import expected_goal_difference, pi_pass, pi_update
from matchcast.features.timeline import build_timeline


def test_expected_goal_difference_mapping() -> None:
    assert expected_goal_difference(0.0, 3.0) == 0.0
    assert expected_goal_difference(3.0, 3.0) == pytest.approx(9.0)
    assert expected_goal_difference(-3.0, 3.0) == pytest.approx(-9.0)


def test_update_from_level_ratings() -> None:
    p = PiParams(learning_rate=0.035, cross_rate=0.7, base=3.0)
    (hh, ha), (ah, aa) = pi_update((0.0, 0.0), (0.0, 0.0), 2.0, p)
    step = 3.0 * math.log10(3.0) * 0.035
    assert hh == pytest.approx(step)
    assert ha == pytest.approx(0.7 * step)
    assert aa == pytest.approx(-step)
    assert ah == pytest.approx(-0.7 * step)


def test_result_matching_expectation_changes_nothing() -> None:
    p = PiParams()
    rating = 0.5
    expected = expected_goal_difference(rating, p.base)
    home, away = pi_update((rating, 0.1), (0.2, 0.0), expected, p)
    assert home == pytest.approx((rating, 0.1))
    assert away == pytest.approx((0.2, 0.0))


def test_pass_uses_venue_ratings(make_matches: Callable[..., pd.DataFrame]) -> None:
    m = make_matches(
        [
            ("2020-08-01", "a", "b", 2, 0, "E0", "2020-21"),
            ("2020-08-08", "a", "c", None, None, "E0", "2020-21"),
            ("2020-08-08", "b", "d", None, None, "E0", "2020-21"),
        ]
    )
    p = PiParams()
    out = pi_pass(build_timeline(m, {}), p, PriorParams(min_teams=1000))
    step = 3.0 * math.log10(3.0) * p.learning_rate
    assert out["f_pi_home"][0] == 0.0
    assert out["f_pi_home"][1] == pytest.approx(step)  # a's home rating
    assert out["f_pi_home"][2] == pytest.approx(-0.7 * step)  # b's home rating (cross)
    assert out["f_pi_expected_gd"][1] == pytest.approx(expected_goal_difference(step, 3.0))
    assert out["f_pi_home_overall"][1] == pytest.approx((step + 0.7 * step) / 2)
