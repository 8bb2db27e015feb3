"""Rolling form: windows over earlier matches only, statistics lagged."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from matchcast.features.build import build_features
from matchcast.features.params import FeatureParams, FormParams

PARAMS = FeatureParams(form=FormParams(windows=[2], venue_windows=[2]))


def _frame() -> tuple[
    list[tuple[str, str, str, int | None, int | None, str, str]], dict[str, list[float]]
]:
    rows = [
        ("2020-08-01", "a", "b", 3, 0, "E0", "2020-21"),
        ("2020-08-08", "c", "a", 1, 1, "E0", "2020-21"),
        ("2020-08-15", "a", "d", 0, 2, "E0", "2020-21"),
        ("2020-08-22", "a", "c", 5, 0, "E0", "2020-21"),
    ]
    shots = {
        "home_shots": [10.0, 7.0, 4.0, 20.0],
        "away_shots": [2.0, 9.0, 12.0, 1.0],
        "home_shots_on_target": [6.0, 3.0, 1.0, 9.0],
        "away_shots_on_target": [1.0, 4.0, np.nan, 0.0],
    }
    return rows, shots


def test_form_excludes_the_current_match(make_matches: Callable[..., pd.DataFrame]) -> None:
    rows, shots = _frame()
    f = build_features(make_matches(rows, stats=shots), PARAMS)
    by_id = f.set_index("match_id")
    first = by_id.loc["E0-2020-08-01-a-b"]
    assert math.isnan(first["f_home_form2_points"])  # no earlier match
    last = by_id.loc["E0-2020-08-22-a-c"]
    # a's last two before 22 Aug: draw away at c (1 pt), loss at home to d (0 pts)
    assert last["f_home_form2_points"] == pytest.approx(0.5)
    assert last["f_home_form2_gf"] == pytest.approx((1 + 0) / 2)
    assert last["f_home_form2_ga"] == pytest.approx((1 + 2) / 2)
    assert last["f_home_form2_shots_for"] == pytest.approx((9 + 4) / 2)
    # the 0-2 match has no away shots on target: the mean is over the known value
    assert last["f_home_form2_sot_against"] == pytest.approx(3.0)
    # a's home matches only: 3-0 (3 pts) and 0-2 (0 pts)
    assert last["f_home_home_form2_points"] == pytest.approx(1.5)
    # the 5-0 of the current match appears nowhere in its own row
    assert last["f_home_form2_gf"] < 5


def test_changing_a_result_changes_only_later_form(
    make_matches: Callable[..., pd.DataFrame],
) -> None:
    rows, shots = _frame()
    base = build_features(make_matches(rows, stats=shots), PARAMS)
    rows[2] = ("2020-08-15", "a", "d", 4, 0, "E0", "2020-21")
    changed = build_features(make_matches(rows, stats=shots), PARAMS)
    cols = [col for col in base.columns if "form" in col]
    pd_equal = base[cols].iloc[:3].equals(changed[cols].iloc[:3])
    assert pd_equal
    assert base["f_home_form2_points"].iloc[3] != changed["f_home_form2_points"].iloc[3]


def test_results_only_source_has_nan_shot_form(make_matches: Callable[..., pd.DataFrame]) -> None:
    rows, _ = _frame()
    f = build_features(make_matches(rows, with_stats=False), PARAMS)
    assert f["f_home_form2_shots_for"].isna().all()
    assert f["f_home_form2_points"].iloc[3] == pytest.approx(0.5)
