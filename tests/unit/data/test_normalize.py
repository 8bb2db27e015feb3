"""Normalisation shared by every source: dates, kick-offs, ids, seasons, odds triples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matchcast.data import columns as c
from matchcast.data import normalize as n
from matchcast.data.contracts import MATCH_ID_PATTERN


def dates(*values: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values))).astype("datetime64[ns]")


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Man United", "man-united"),
        ("Nott'm Forest", "nott-m-forest"),
        ("Köln", "koln"),
        ("Mönchengladbach", "monchengladbach"),
        ("Preußen Münster", "preussen-munster"),
        ("Bodø/Glimt", "bodo-glimt"),
        ("Atlético Madrid", "atletico-madrid"),
        ("King\u2019s Lynn", "king-s-lynn"),
        ("  St. Pauli  ", "st-pauli"),
        ("1. FC Nürnberg", "1-fc-nurnberg"),
    ],
)
def test_slugify_folds_to_url_safe_ascii(name: str, slug: str) -> None:
    assert n.slugify(pd.Series([name])).tolist() == [slug]


def test_slugify_keeps_missing_names_missing() -> None:
    out = n.slugify(pd.Series(["Arsenal", None], dtype="string"))
    assert out.iloc[0] == "arsenal"
    assert out.isna().iloc[1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("16/08/2024", "2024-08-16"),  # dd/mm/yyyy (2018/19 on)
        ("16/08/24", "2024-08-16"),  # dd/mm/yy (up to 2017/18)
        ("07/08/93", "1993-08-07"),  # two-digit years pivot at 50
        ("01/05/00", "2000-05-01"),
        ("7/8/2021", "2021-08-07"),  # re-saved by a spreadsheet: no zero padding
        (" 1/12/2021 ", "2021-12-01"),
    ],
)
def test_day_first_dates(text: str, expected: str) -> None:
    parsed = n.parse_day_first_dates(pd.Series([text]))
    assert parsed.dtype == "datetime64[ns]"
    assert parsed.iloc[0] == pd.Timestamp(expected)


def test_invalid_day_first_dates_become_nat_without_disturbing_valid_ones() -> None:
    parsed = n.parse_day_first_dates(
        pd.Series(["16/08/2024", "bad", None, "31/02/2024", "2024-08-16", "16/08/202"])
    )
    assert parsed.iloc[0] == pd.Timestamp("2024-08-16")
    assert parsed.iloc[1:].isna().all()


def test_iso_dates() -> None:
    parsed = n.parse_iso_dates(pd.Series(["2024-08-16", "16/08/2024", None]))
    assert parsed.iloc[0] == pd.Timestamp("2024-08-16")
    assert parsed.iloc[1:].isna().all()


def test_kickoff_in_british_summer_time_is_one_hour_behind_in_utc() -> None:
    kickoff, known = n.kickoffs(dates("2024-08-16"), pd.Series(["20:00"]))
    assert kickoff.iloc[0] == pd.Timestamp("2024-08-16 19:00", tz="UTC")
    assert known.tolist() == [True]


def test_kickoff_in_winter_equals_utc() -> None:
    kickoff, known = n.kickoffs(dates("2024-12-26"), pd.Series(["15:00"]))
    assert kickoff.iloc[0] == pd.Timestamp("2024-12-26 15:00", tz="UTC")
    assert known.tolist() == [True]


def test_unknown_time_gives_local_midnight_and_time_known_false() -> None:
    kickoff, known = n.kickoffs(dates("2024-08-16", "2024-12-26"), None)
    assert kickoff.tolist() == [
        pd.Timestamp("2024-08-15 23:00", tz="UTC"),  # midnight BST
        pd.Timestamp("2024-12-26 00:00", tz="UTC"),  # midnight GMT
    ]
    assert known.tolist() == [False, False]


def test_unparseable_times_count_as_unknown() -> None:
    kickoff, known = n.kickoffs(
        dates("2024-12-26", "2024-12-26", "2024-12-26", "2024-12-26"),
        pd.Series(["", "25:00", "TBC", "12.30"]),
    )
    assert known.tolist() == [False, False, False, True]
    assert kickoff.iloc[0] == pd.Timestamp("2024-12-26", tz="UTC")
    assert kickoff.iloc[3] == pd.Timestamp("2024-12-26 12:30", tz="UTC")


def test_kickoffs_on_clock_change_days_do_not_fail() -> None:
    # 01:30 does not exist on 2024-03-31 and happens twice on 2024-10-27 in London.
    kickoff, known = n.kickoffs(dates("2024-03-31", "2024-10-27"), pd.Series(["01:30", "01:30"]))
    assert known.all()
    assert kickoff.notna().all()
    assert str(kickoff.dtype) == "datetime64[ns, UTC]"


def test_kickoff_in_another_timezone() -> None:
    kickoff, _ = n.kickoffs(dates("2024-08-16"), pd.Series(["20:00"]), timezone="UTC")
    assert kickoff.iloc[0] == pd.Timestamp("2024-08-16 20:00", tz="UTC")


@pytest.mark.parametrize(
    ("code", "label"),
    [("2425", "2024-25"), ("9900", "1999-00"), ("9394", "1993-94"), ("0001", "2000-01")],
)
def test_season_from_code_and_back(code: str, label: str) -> None:
    assert n.season_from_code(code) == label
    assert n.season_code(label) == code


def test_seasons_between_crosses_the_century() -> None:
    assert n.seasons_between("1998-99", "2001-02") == ["1998-99", "1999-00", "2000-01", "2001-02"]
    assert n.season_start_year("2024-25") == 2024
    assert n.season_start_year("2024") == 2024


def test_split_season_of_dates() -> None:
    labels = n.split_season_of(dates("2024-08-16", "2025-05-25", "2000-01-01", "1999-07-01"))
    assert labels.tolist() == ["2024-25", "2024-25", "1999-00", "1999-00"]


def test_split_season_of_a_missing_date_is_missing_and_leaves_others_intact() -> None:
    labels = n.split_season_of(pd.Series([pd.Timestamp("2024-08-16"), pd.NaT]))
    assert labels.iloc[0] == "2024-25"
    assert labels.isna().iloc[1]


def test_match_ids_are_readable_url_safe_and_match_the_contract_pattern() -> None:
    ids = n.match_ids(
        pd.Series(["E0"]),
        dates("2024-08-16"),
        n.slugify(pd.Series(["Man United"])),
        n.slugify(pd.Series(["Fulham"])),
    )
    assert ids.tolist() == ["E0-2024-08-16-man-united-fulham"]
    assert ids.str.fullmatch(MATCH_ID_PATTERN).all()


def test_match_ids_are_stable_across_calls() -> None:
    args = (
        pd.Series(["D1", "D1"]),
        dates("2001-08-11", "2001-08-12"),
        pd.Series(["koln", "a"]),
        pd.Series(["b", "c"]),
    )
    assert n.match_ids(*args).tolist() == n.match_ids(*args).tolist()


def test_to_float_handles_absent_and_bad_values() -> None:
    frame = pd.DataFrame({"x": ["1.5", "oops", None]})
    assert n.to_float(frame, "x").tolist()[0] == 1.5
    assert n.to_float(frame, "x").iloc[1:].isna().all()
    assert n.to_float(frame, "absent").isna().all()


def test_first_complete_triple_takes_the_first_valid_candidate_row_by_row() -> None:
    frame = pd.DataFrame(
        {
            "PSCH": [2.0, np.nan, 1.0],
            "PSCD": [3.0, 3.1, 3.2],
            "PSCA": [4.0, 4.1, 4.2],
            "AvgCH": [2.1, 2.2, 2.3],
            "AvgCD": [3.3, 3.4, 3.5],
            "AvgCA": [4.4, 4.5, 4.6],
        }
    )
    odds, labels = n.first_complete_triple(
        frame,
        [
            ("pinnacle", ("PSCH", "PSCD", "PSCA")),
            ("absent", ("XH", "XD", "XA")),
            ("market_avg", ("AvgCH", "AvgCD", "AvgCA")),
        ],
    )
    assert labels.tolist() == ["pinnacle", "market_avg", "market_avg"]  # 1.0 is not a valid price
    np.testing.assert_allclose(odds, [[2.0, 3.0, 4.0], [2.2, 3.4, 4.5], [2.3, 3.5, 4.6]])


def test_first_complete_triple_without_any_candidate() -> None:
    odds, labels = n.first_complete_triple(pd.DataFrame({"x": [1, 2]}), [("a", ("H", "D", "A"))])
    assert np.isnan(odds).all()
    assert labels.isna().all()


def test_result_from_goals() -> None:
    home = pd.Series([2, 1, 0, np.nan])
    away = pd.Series([1, 1, 3, 0])
    out = n.result_from_goals(home, away)
    assert out.iloc[:3].tolist() == ["H", "D", "A"]
    assert out.isna().iloc[3]


def test_empty_canonical_has_every_column() -> None:
    frame = n.empty_canonical()
    assert list(frame.columns) == list(c.CANONICAL_COLUMNS)
    assert frame.empty
