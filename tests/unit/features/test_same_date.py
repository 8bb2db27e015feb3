"""Matches of one local date never see each other's results (files without kick-off times)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from matchcast.features.build import build_features
from matchcast.features.params import FeatureParams

ROWS = [
    ("2020-08-01", "a", "b", 1, 0, "E0", "2020-21"),
    ("2020-08-01", "c", "d", 0, 0, "E0", "2020-21"),
    ("2020-08-08", "a", "c", 2, 2, "E0", "2020-21"),
    ("2020-08-08", "b", "d", 1, 3, "E0", "2020-21"),
]


def _features(
    make_matches: Callable[..., pd.DataFrame],
    rows: list[tuple[str, str, str, int | None, int | None, str, str]],
) -> pd.DataFrame:
    return build_features(make_matches(rows), FeatureParams()).set_index("match_id")


def test_results_of_the_same_date_are_invisible(make_matches: Callable[..., pd.DataFrame]) -> None:
    base = _features(make_matches, ROWS)
    flipped = list(ROWS)
    flipped[2] = ("2020-08-08", "a", "c", 0, 6, "E0", "2020-21")
    other = _features(make_matches, flipped)
    same_day = ["E0-2020-08-08-a-c", "E0-2020-08-08-b-d"]
    f_cols = [col for col in base.columns if col.startswith("f_")]
    pd.testing.assert_frame_equal(base.loc[same_day, f_cols], other.loc[same_day, f_cols])
    # ...while the earlier date's results are visible
    assert base.loc["E0-2020-08-08-a-c", "f_elo_home"] > base.loc["E0-2020-08-08-b-d", "f_elo_home"]


def test_team_playing_twice_on_one_date_does_not_see_its_first_result(
    make_matches: Callable[..., pd.DataFrame],
) -> None:
    rows = [
        ("2020-08-01", "a", "b", 1, 0, "E0", "2020-21"),
        ("2020-08-08", "a", "c", 9, 0, "E0", "2020-21"),
        ("2020-08-08", "d", "a", 0, 0, "E0", "2020-21"),
    ]
    hours = [15, 12, 18]  # the 18:00 match kicks off after the 12:00 one, same date
    f = build_features(make_matches(rows, hours=hours), FeatureParams()).set_index("match_id")
    noon, evening = f.loc["E0-2020-08-08-a-c"], f.loc["E0-2020-08-08-d-a"]
    pairs = [
        ("f_elo_home", "f_elo_away"),
        ("f_pi_home_overall", "f_pi_away_overall"),
        ("f_home_form5_gf", "f_away_form5_gf"),
        ("f_dc_home_attack", "f_dc_away_attack"),
    ]
    for home_col, away_col in pairs:
        assert noon[home_col] == evening[away_col], home_col
    assert noon["f_home_experience"] == evening["f_away_experience"] == 1
