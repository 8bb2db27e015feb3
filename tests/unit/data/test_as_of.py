"""One function resolves data.as_of: live at today, or a replay of a frozen archive."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import time_machine

from matchcast.data import clock
from matchcast.data.as_of import AsOf, read_as_of, resolve_as_of, write_as_of

REPLAY_AT = dt.date(2026, 3, 1)


def test_a_source_with_matches_from_today_on_runs_live() -> None:
    today = dt.date(2026, 2, 20)
    resolved = resolve_as_of("today", today, REPLAY_AT, dt.date(2026, 2, 26))
    assert (resolved.mode, resolved.as_of) == ("live", today)
    # A fixture later today is enough: today's matches have not been played yet.
    assert resolve_as_of("today", today, REPLAY_AT, today).mode == "live"


def test_a_frozen_archive_replays_at_the_documented_date_and_says_why() -> None:
    resolved = resolve_as_of("today", dt.date(2026, 12, 3), REPLAY_AT, dt.date(2026, 5, 24))
    assert (resolved.mode, resolved.as_of) == ("replay", REPLAY_AT)
    assert resolved.label == (
        "replay as of 2026-03-01: the source lists no match after 2026-05-24, nothing on or "
        "after today: a frozen archive, replayed at data.replay_as_of"
    )
    # The record does not change from one day to the next (DVC re-runs nothing).
    later = resolve_as_of("today", dt.date(2026, 12, 4), REPLAY_AT, dt.date(2026, 5, 24))
    assert later == resolved


def test_a_pinned_date_is_a_replay() -> None:
    pinned = resolve_as_of(dt.date(2025, 10, 1), dt.date(2026, 12, 3), REPLAY_AT, None)
    assert (pinned.mode, pinned.as_of) == ("replay", dt.date(2025, 10, 1))


def test_the_record_round_trips_and_a_bad_one_is_refused(tmp_path: Path) -> None:
    record = AsOf("live", dt.date(2026, 2, 20), "the source lists matches up to 2026-02-26")
    write_as_of(record, tmp_path / "as_of.json")
    assert read_as_of(tmp_path / "as_of.json") == record
    (tmp_path / "bad.json").write_text('{"mode": "sometimes", "as_of": "2026-02-20"}')
    with pytest.raises(ValueError, match="is not an as_of record written by ingest"):
        read_as_of(tmp_path / "bad.json")


def test_the_clock_follows_time_machine_and_a_scheduler_s_pinned_day(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(clock.TODAY_ENV, raising=False)
    with time_machine.travel(dt.datetime(2026, 2, 20, 23, 30, tzinfo=dt.UTC), tick=False):
        assert clock.today() == dt.date(2026, 2, 20)
    monkeypatch.setenv(clock.TODAY_ENV, "2026-02-21")
    assert clock.today() == dt.date(2026, 2, 21)
    monkeypatch.setenv(clock.TODAY_ENV, "21/02/2026")
    with pytest.raises(ValueError, match="MATCHCAST_TODAY must be a date written YYYY-MM-DD"):
        clock.today()
