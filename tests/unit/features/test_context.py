"""Context features: rest days, head-to-head, league base rates, experience."""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd
import pytest

from matchcast.features.build import build_features
from matchcast.features.context import LEAGUE_PRIOR
from matchcast.features.params import ContextParams, FeatureParams

ROWS = [
    ("2020-08-01", "a", "b", 2, 0, "E0", "2020-21"),
    ("2020-08-05", "c", "a", 1, 1, "E0", "2020-21"),
    ("2020-08-09", "b", "a", 3, 1, "E0", "2020-21"),
    ("2020-09-30", "a", "b", None, None, "E0", "2020-21"),
]
PARAMS = FeatureParams(context=ContextParams(rest_cap_days=30, league_prior_matches=2.0))


def _f(make_matches: Callable[..., pd.DataFrame]) -> dict[str, dict[str, float]]:
    f = build_features(make_matches(ROWS), PARAMS).set_index("match_id")
    return {str(k): v for k, v in f.to_dict(orient="index").items()}


def test_rest_days_capped_and_nan_for_first_match(
    make_matches: Callable[..., pd.DataFrame],
) -> None:
    f = _f(make_matches)
    assert math.isnan(f["E0-2020-08-01-a-b"]["f_home_rest_days"])
    assert f["E0-2020-08-05-c-a"]["f_away_rest_days"] == 4.0
    assert f["E0-2020-08-09-b-a"]["f_home_rest_days"] == 8.0
    assert f["E0-2020-09-30-a-b"]["f_home_rest_days"] == 30.0  # 52 days, capped


def test_head_to_head_from_the_home_side(make_matches: Callable[..., pd.DataFrame]) -> None:
    f = _f(make_matches)
    first, second, third = (
        f[k] for k in ("E0-2020-08-01-a-b", "E0-2020-08-09-b-a", "E0-2020-09-30-a-b")
    )
    assert first["f_h2h_meetings"] == 0.0 and math.isnan(first["f_h2h_goal_diff"])
    assert second["f_h2h_meetings"] == 1.0
    assert second["f_h2h_goal_diff"] == -2.0  # b lost 0-2 to a
    assert second["f_h2h_points"] == 0.0
    assert third["f_h2h_meetings"] == 2.0
    assert third["f_h2h_goal_diff"] == pytest.approx((2 - 2) / 2)  # +2 then -2 for a
    assert third["f_h2h_points"] == pytest.approx(1.5)


def test_league_rates_shrink_recent_results_to_the_prior(
    make_matches: Callable[..., pd.DataFrame],
) -> None:
    f = _f(make_matches)
    assert f["E0-2020-08-01-a-b"]["f_league_draw_rate"] == pytest.approx(LEAGUE_PRIOR["draw"])
    # before 9 Aug: one home win, one draw, plus 2 pseudo-matches at the prior
    after_two = f["E0-2020-08-09-b-a"]
    assert after_two["f_league_draw_rate"] == pytest.approx((1 + 2 * 0.27) / 4)
    assert after_two["f_league_home_win_rate"] == pytest.approx((1 + 2 * 0.45) / 4)
    assert after_two["f_league_home_goals"] == pytest.approx((3 + 2 * 1.5) / 4)


def test_experience_counts_earlier_finished_matches(
    make_matches: Callable[..., pd.DataFrame],
) -> None:
    f = _f(make_matches)
    assert f["E0-2020-08-01-a-b"]["f_home_experience"] == 0.0
    assert f["E0-2020-09-30-a-b"]["f_home_experience"] == 3.0
    assert f["E0-2020-09-30-a-b"]["f_away_experience"] == 2.0
