"""The test period per league: split-year and calendar-year leagues side by side."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from matchcast.models.test_period import find_test_seasons, league_test_seasons, split_period


def _league(code: str, calendar: bool) -> pd.DataFrame:
    rows = []
    for start in range(2019, 2026):
        label = str(start + 1) if calendar else f"{start}-{(start + 1) % 100:02d}"
        first = pd.Timestamp(f"{start + 1}-03-01" if calendar else f"{start}-08-10")
        for week in range(30):
            day = first + pd.Timedelta(weeks=week)
            status = "finished" if day <= pd.Timestamp("2026-03-01") else "scheduled"
            result = "HDA"[week % 3] if status == "finished" else None
            rows.append((code, label, day, status, result))
    return pd.DataFrame(rows, columns=["league", "season", "date", "status", "result"])


@pytest.fixture
def mixed() -> pd.DataFrame:
    # Split league 2019-20 .. 2025-26 (Aug-Mar), calendar league 2020 .. 2026 (Mar-Sep).
    return pd.concat([_league("SPL", False), _league("CAL", True)], ignore_index=True)


def test_each_league_gets_its_own_last_complete_seasons(mixed: pd.DataFrame) -> None:
    by_league = league_test_seasons(mixed, "2026-03-01", 2)
    assert by_league == {"CAL": ["2024", "2025"], "SPL": ["2023-24", "2024-25"]}
    assert find_test_seasons(mixed, "2026-03-01", 2) == ["2023-24", "2024", "2024-25", "2025"]


def test_the_calendar_season_running_at_as_of_is_not_tested(mixed: pd.DataFrame) -> None:
    # On 1 July 2025 the calendar league's 2025 season is half played: not complete.
    early = mixed.loc[mixed["date"] <= "2025-07-01"]
    assert league_test_seasons(early, "2025-07-01", 1) == {
        "CAL": ["2024"],
        "SPL": ["2024-25"],
    }


def test_split_period_trains_strictly_before_the_first_test_match(mixed: pd.DataFrame) -> None:
    train, test, seasons = split_period(mixed, "2026-03-01", 2)
    assert set(zip(test["league"], test["season"], strict=True)) == {
        ("SPL", "2023-24"),
        ("SPL", "2024-25"),
        ("CAL", "2024"),
        ("CAL", "2025"),
    }
    assert train["date"].max() < test["date"].min()
    assert seasons == ["2023-24", "2024", "2024-25", "2025"]


def test_a_date_range_is_the_test_period_when_given(mixed: pd.DataFrame) -> None:
    train, test, seasons = split_period(mixed, "2026-03-01", 2, test_from=dt.date(2025, 1, 1))
    assert test["date"].min() >= pd.Timestamp("2025-01-01")
    assert test["date"].max() <= pd.Timestamp("2026-03-01")
    assert (test["status"] == "finished").all()
    assert train["date"].max() < pd.Timestamp("2025-01-01")
    assert seasons == ["2024-25", "2025", "2025-26", "2026"]  # CAL 2026 opens on as_of


def test_a_league_without_enough_complete_seasons_is_named(mixed: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="CAL: "):
        league_test_seasons(mixed, "2026-03-01", 7)
