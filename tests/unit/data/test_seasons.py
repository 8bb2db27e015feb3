"""Season labels as people write them, and league calendars (issue 11, item 1)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from matchcast.data import columns as c
from matchcast.data import seasons
from matchcast.data.sources.csvtext import empty_issues
from matchcast.data.sources.generic import parse_generic_file
from matchcast.data.validation import validate_matches

ARCHIVE = Path(__file__).resolve().parents[4] / "shared" / "data" / "football-data"


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("2014-15", "2014-15"),
        ("2014/15", "2014-15"),
        ("2014/2015", "2014-15"),
        ("2014-2015", "2014-15"),
        ("2014\u201315", "2014-15"),
        (" 2014 - 15 ", "2014-15"),
        ("14-15", "2014-15"),
        ("14/15", "2014-15"),
        ("99-00", "1999-00"),
        ("1415", "2014-15"),
        ("1920", "2019-20"),
        ("9900", "1999-00"),
        ("2014", "2014"),
        ("2021", "2021"),
        ("1999-00", "1999-00"),
        ("2099/00", "2099-00"),
        ("2012/13", "2012-13"),
    ],
)
def test_accepted_labels_become_canonical(text: str, label: str) -> None:
    assert seasons.parse_season_labels(pd.Series([text])).tolist() == [label]


@pytest.mark.parametrize("text", ["2014-16", "14-16", "twelve", "201", "15-14", "2014/15/16", ""])
def test_other_labels_are_unparseable(text: str) -> None:
    assert seasons.parse_season_labels(pd.Series([text])).isna().all()


def test_missing_labels_stay_missing() -> None:
    parsed = seasons.parse_season_labels(pd.Series([pd.NA, "2014-15"], dtype="string"))
    assert parsed.isna().tolist() == [True, False]


def _dates(text: list[str]) -> pd.Series:
    return pd.to_datetime(pd.Series(text))


def test_season_of_dates_under_each_calendar() -> None:
    dates = _dates(["2024-07-31", "2024-08-01", "2025-05-20"])
    assert seasons.season_of_dates(dates, 8).tolist() == ["2023-24", "2024-25", "2024-25"]
    assert seasons.season_of_dates(dates, seasons.CALENDAR).tolist() == ["2024", "2024", "2025"]


def _extra_league_dates(country: str) -> pd.Series:
    frame = pd.read_csv(ARCHIVE / "new" / f"{country}.csv", encoding="utf-8-sig")
    return pd.to_datetime(frame["Date"], dayfirst=True)


@pytest.mark.parametrize("country", ["BRA", "USA"])
def test_calendar_year_leagues_are_detected_from_their_dates(country: str) -> None:
    assert seasons.detect_calendar(_extra_league_dates(country)) == seasons.CALENDAR


def test_a_european_league_is_detected_as_split_starting_in_summer() -> None:
    frames = [
        pd.read_csv(ARCHIVE / "mmz4281" / code / "E0.csv", encoding="latin-1", usecols=["Date"])
        for code in ("2122", "2223", "2324")
    ]
    dates = pd.to_datetime(pd.concat(frames)["Date"], dayfirst=True)
    assert seasons.detect_calendar(dates) in (7, 8)


GENERIC_HEADER = "date,league,home_team,away_team,home_goals,away_goals"


def _generic(lines: list[str], header: str = GENERIC_HEADER) -> pd.DataFrame:
    payload = ("\n".join([header, *lines]) + "\n").encode()
    frame, _ = parse_generic_file(payload, "results.csv")
    return frame


def test_a_file_without_a_season_column_takes_each_league_calendar() -> None:
    # A calendar-year league (quiet in December-January) and a split one (quiet in June-July).
    lines = []
    for year in (2022, 2023):
        for month in range(3, 12):
            lines.append(f"{year}-{month:02d}-10,BRA,Santos,Gremio {year}{month},1,0")
        for month in (8, 9, 10, 11, 12, 1, 2, 3, 4, 5):
            y = year if month >= 8 else year + 1
            lines.append(f"{y}-{month:02d}-12,E0,Arsenal,Chelsea {year}{month},2,1")
    frame = _generic(lines)
    by_league = frame.groupby(c.LEAGUE)[c.SEASON].agg(lambda s: sorted(set(s)))
    assert by_league["BRA"] == ["2022", "2023"]
    assert by_league["E0"] == ["2022-23", "2023-24"]


def test_a_configured_calendar_wins_over_detection() -> None:
    payload = (GENERIC_HEADER + "\n2024-03-10,XX,A,B,1,0\n2024-09-10,XX,B,A,1,1\n").encode()
    from matchcast.data.sources.generic import read_generic_rows, to_canonical_generic

    raw = read_generic_rows(payload, "x.csv").frame
    frame = to_canonical_generic(raw, calendars={"XX": seasons.CALENDAR})
    assert frame[c.SEASON].tolist() == ["2024", "2024"]


def test_an_unparseable_label_quarantines_its_row_with_the_reason_and_keeps_the_rest() -> None:
    header = "date,league,season,home_team,away_team,home_goals,away_goals"
    good = [
        f"2014-{m:02d}-0{d},L1,14-15,T{m}{d},U{m}{d},1,0" for m in (9, 10, 11) for d in (1, 2, 3)
    ]
    good += [f"2015-0{m}-0{d},L1,2014/2015,V{m}{d},W{m}{d},0,0" for m in (1, 2, 3) for d in (1, 2)]
    frame = _generic([*good, "2014-12-01,L1,season one,Z1,Z2,2,2"], header=header)
    # A bad-row gate loose enough for one bad row of 16: the row is quarantined, not fatal.
    result = validate_matches(frame, empty_issues(), dt.date(2015, 6, 1), 0.1)
    assert len(result.matches) == len(good)
    assert set(result.matches[c.SEASON]) == {"2014-15"}
    (reason,) = result.quarantine["reason"].tolist()
    assert "season label missing or not understood" in reason
    assert result.quarantine[c.SOURCE_LINE].tolist() == [len(good) + 2]


def test_a_calendar_year_season_may_end_in_the_next_february() -> None:
    # Brazil's 2020 season ran into February 2021.
    header = "date,league,season,home_team,away_team,home_goals,away_goals"
    lines = [f"2020-{m:02d}-15,BRA,2020,H{m},A{m},1,0" for m in range(8, 13)]
    lines.append("2021-02-25,BRA,2020,Sao Paulo,Flamengo,2,1")
    result = validate_matches(_generic(lines, header), empty_issues(), dt.date(2021, 6, 1), 0.0)
    assert len(result.matches) == len(lines)
    assert result.quarantine.empty
