"""Season-to-date table and rating momentum on tiny hand-made fixture lists."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from matchcast.features.season_table import season_table_pass
from matchcast.features.timeline import build_timeline


def test_season_table_counts_only_earlier_results_of_the_season(
    make_matches: Callable[..., pd.DataFrame],
) -> None:
    m = make_matches(
        [
            ("2020-08-01", "a", "b", 2, 0, "E0", "2020-21"),
            ("2020-08-08", "b", "a", 1, 1, "E0", "2020-21"),
            ("2020-08-15", "a", "b", 0, 3, "E0", "2020-21"),
            ("2021-08-01", "a", "b", None, None, "E0", "2021-22"),
        ]
    )
    tl = build_timeline(m, {})
    zeros = np.zeros(tl.n)
    out = season_table_pass(tl, zeros, zeros, momentum_matches=2)
    assert out["f_home_season_played"].tolist() == [0.0, 1.0, 2.0, 0.0]
    assert math.isnan(out["f_home_season_ppg"][0])
    # b after a 0-2 loss; a after 2-0 win and 1-1 draw
    assert out["f_home_season_ppg"][1] == pytest.approx(0.0)
    assert out["f_away_season_ppg"][1] == pytest.approx(3.0)
    assert out["f_home_season_ppg"][2] == pytest.approx(4.0 / 2)
    assert out["f_home_season_gdpg"][2] == pytest.approx(2.0 / 2)
    assert out["f_away_season_gdpg"][2] == pytest.approx(-2.0 / 2)
    assert out["f_season_ppg_diff"][2] == pytest.approx(2.0 - 0.5)
    # a new season starts from an empty table
    assert math.isnan(out["f_home_season_ppg"][3])


def test_same_date_results_stay_invisible(make_matches: Callable[..., pd.DataFrame]) -> None:
    # Without kick-off times, a team's second match of the date must not see the first.
    m = make_matches(
        [
            ("2020-08-01", "a", "b", 5, 0, "E0", "2020-21"),
            ("2020-08-01", "a", "c", 0, 0, "E0", "2020-21"),
        ]
    )
    tl = build_timeline(m, {})
    out = season_table_pass(tl, np.zeros(tl.n), np.zeros(tl.n), momentum_matches=1)
    assert out["f_home_season_played"].tolist() == [0.0, 0.0]
    assert np.isnan(out["f_home_momentum"]).all()


def test_momentum_is_rating_change_over_the_last_matches(
    make_matches: Callable[..., pd.DataFrame],
) -> None:
    m = make_matches(
        [
            ("2020-08-01", "a", "b", 1, 0, "E0", "2020-21"),
            ("2020-08-08", "b", "a", 1, 0, "E0", "2020-21"),
            ("2020-08-15", "a", "b", 1, 0, "E0", "2020-21"),
        ]
    )
    tl = build_timeline(m, {})
    home = np.array([1500.0, 1490.0, 1520.0])
    away = np.array([1480.0, 1510.0, 1470.0])
    out = season_table_pass(tl, home, away, momentum_matches=2)
    assert np.isnan(out["f_home_momentum"][:2]).all()
    # a: 1500 (match 1), 1510 (match 2), now 1520 -> +20; b: 1480, 1490, now 1470 -> -10
    assert out["f_home_momentum"][2] == pytest.approx(20.0)
    assert out["f_away_momentum"][2] == pytest.approx(-10.0)
    assert out["f_momentum_diff"][2] == pytest.approx(30.0)
