"""Match identity: a fixture and its result are one match; moved and withdrawn ids."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from matchcast.data.identity import (
    drop_superseded_fixtures,
    match_key,
    moved_ids,
    read_moved,
    write_moved,
)


def row(match_id: str, date: str, home: str, away: str, source: str) -> dict[str, object]:
    return {
        "match_id": match_id,
        "league": "E0",
        "season": "2025-26",
        "date": pd.Timestamp(date),
        "home_team_id": home,
        "away_team_id": away,
        "source": source,
    }


def test_the_key_ignores_the_date() -> None:
    frame = pd.DataFrame(
        [
            row("E0-2026-03-04-villa-chelsea", "2026-03-04", "villa", "chelsea", "fixtures"),
            row("E0-2026-03-11-villa-chelsea", "2026-03-11", "villa", "chelsea", "football-data"),
            row("E0-2026-03-11-chelsea-villa", "2026-03-11", "chelsea", "villa", "football-data"),
        ]
    )
    keys = match_key(frame)
    assert keys[0] == keys[1] == "E0|2025-26|villa|chelsea"
    assert keys[2] != keys[0]


def test_a_fixture_played_on_another_date_is_the_same_match() -> None:
    frame = pd.DataFrame(
        [
            row("E0-2026-03-04-villa-chelsea", "2026-03-04", "villa", "chelsea", "fixtures"),
            row("E0-2026-03-11-villa-chelsea", "2026-03-11", "villa", "chelsea", "football-data"),
            row("E0-2026-03-05-leeds-spurs", "2026-03-05", "leeds", "spurs", "fixtures"),
        ]
    )
    kept = drop_superseded_fixtures(frame)
    assert list(kept["match_id"]) == ["E0-2026-03-11-villa-chelsea", "E0-2026-03-05-leeds-spurs"]


def test_a_postponed_match_points_to_its_new_id_and_a_withdrawn_one_to_nothing(
    tmp_path: Path,
) -> None:
    seen = pd.DataFrame(
        [
            row("E0-2026-03-04-villa-chelsea", "2026-03-04", "villa", "chelsea", "fixtures"),
            row("E0-2026-03-05-leeds-spurs", "2026-03-05", "leeds", "spurs", "fixtures"),
            row("E0-2026-03-06-wolves-fulham", "2026-03-06", "wolves", "fulham", "fixtures"),
            row("D1-2026-03-06-bayern-koln", "2026-03-06", "bayern", "koln", "fixtures"),
        ]
    )
    seen.loc[3, "league"] = "D1"
    current = pd.DataFrame(
        [
            row("E0-2026-03-11-villa-chelsea", "2026-03-11", "villa", "chelsea", "fixtures"),
            row("E0-2026-03-06-wolves-fulham", "2026-03-06", "wolves", "fulham", "fixtures"),
        ]
    )
    moved = moved_ids(seen, current)
    # Wolves-Fulham is still listed; the D1 league is no longer read at all: neither is news.
    assert list(moved["match_id"]) == ["E0-2026-03-04-villa-chelsea", "E0-2026-03-05-leeds-spurs"]
    assert moved["moved_to"].iloc[0] == "E0-2026-03-11-villa-chelsea"
    assert pd.isna(moved["moved_to"].iloc[1])
    write_moved(moved, tmp_path / "moved.parquet")
    answers = read_moved(tmp_path / "moved.parquet")
    assert answers["E0-2026-03-04-villa-chelsea"] == (
        "E0-2026-03-11-villa-chelsea",
        "match 'E0-2026-03-04-villa-chelsea' (listed for 2026-03-04) was moved to "
        "'E0-2026-03-11-villa-chelsea'",
    )
    assert answers["E0-2026-03-05-leeds-spurs"] == (
        None,
        "match 'E0-2026-03-05-leeds-spurs' (listed for 2026-03-05) was withdrawn from the "
        "fixtures: no match of these teams in this league and season is listed any more",
    )
