"""SQL store on SQLite: migrations, idempotent upserts, NA round-trips, the prediction log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
import typer
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from matchcast.config import get_settings
from matchcast.data import columns as C
from matchcast.data import migrate as db
from matchcast.data import store


def canonical_matches(n: int = 12, seed: int = 0) -> pd.DataFrame:
    """A small canonical match table: finished matches, then two scheduled ones."""
    rng = np.random.default_rng(seed)
    day = pd.Timestamp("2024-08-10") + pd.to_timedelta(np.arange(n) // 3, unit="D")
    teams = np.array(["arsenal", "chelsea", "everton", "fulham", "leeds", "wolves"])
    home = teams[np.arange(n) % 6]
    away = teams[(np.arange(n) + 1 + np.arange(n) // 6) % 6]
    scheduled = np.arange(n) >= n - 2
    hg, ag = rng.integers(0, 4, n), rng.integers(0, 4, n)
    result = np.where(hg > ag, "H", np.where(hg == ag, "D", "A"))
    home_goals = pd.array(np.where(scheduled, None, hg), dtype="Int64")
    away_goals = pd.array(np.where(scheduled, None, ag), dtype="Int64")
    frame = pd.DataFrame(
        {
            C.MATCH_ID: [
                f"E0-{d:%Y-%m-%d}-{h}-{a}" for d, h, a in zip(day, home, away, strict=True)
            ],
            C.LEAGUE: "E0",
            C.SEASON: "2024-25",
            C.DATE: day.astype("datetime64[ns]"),
            C.KICKOFF: (day + pd.Timedelta(hours=15))
            .tz_localize("Europe/London")
            .tz_convert("UTC")
            .astype("datetime64[ns, UTC]"),
            C.TIME_KNOWN: True,
            C.NEUTRAL: False,
            C.HOME_TEAM: [name.title() for name in home],
            C.AWAY_TEAM: [name.title() for name in away],
            C.HOME_ID: home,
            C.AWAY_ID: away,
            C.HOME_GOALS: home_goals,
            C.AWAY_GOALS: away_goals,
            C.RESULT: pd.array(np.where(scheduled, None, result), dtype="string"),
            C.STATUS: np.where(scheduled, C.SCHEDULED, C.FINISHED),
        }
    )
    for name in C.STAT_COLUMNS:
        frame[name] = np.where(scheduled, np.nan, rng.integers(0, 15, n).astype(float))
    for name in (*C.ODDS_PRE, *C.ODDS_CLOSE):
        frame[name] = rng.uniform(1.3, 7.0, n).round(2)
    frame.loc[0, list(C.ODDS_CLOSE)] = np.nan  # a match without closing odds
    frame[C.ODDS_PRE_SOURCE] = "bet365"
    frame[C.ODDS_CLOSE_SOURCE] = pd.array(
        [None if i == 0 else "pinnacle" for i in range(n)], dtype="string"
    )
    frame[C.SOURCE] = "football-data"
    frame[C.SOURCE_FILE] = "mmz4281/2425/E0.csv"
    frame[C.SOURCE_LINE] = np.arange(2, n + 2, dtype="int64")
    for name in store.STRING_COLUMNS:
        frame[name] = frame[name].astype("string")
    return frame[list(C.CANONICAL_COLUMNS)]


def predictions_for(
    matches: pd.DataFrame, computed_at: str = "2026-03-02T06:00:00Z"
) -> pd.DataFrame:
    """Prediction rows shaped like the batch-inference output (extra columns included)."""
    n = len(matches)
    probs = np.tile([0.5, 0.3, 0.2], (n, 1))
    return pd.DataFrame(
        {
            "match_id": matches[C.MATCH_ID].to_numpy(),
            "league": matches[C.LEAGUE].to_numpy(),
            "p_home": probs[:, 0],
            "p_draw": probs[:, 1],
            "p_away": probs[:, 2],
            "predicted": "H",
            "model_name": "matchcast-1x2",
            "model_version": 3,  # an int on purpose: the log stores it as text
            "model_run_id": "abc123",
            "data_version": "md5:0f0f",
            "features_as_of": pd.Timestamp("2026-03-01", tz="UTC"),
            "computed_at": pd.Timestamp(computed_at),
            "reasons": "[]",
        }
    )


def stored(engine: Engine, *names: str) -> pd.DataFrame:
    query = sa.select(*(store.MATCHES.c[name] for name in (C.MATCH_ID, *names)))
    with engine.connect() as connection:
        frame = pd.DataFrame(connection.execute(query).all(), columns=[C.MATCH_ID, *names])
    return frame.set_index(C.MATCH_ID).sort_index()


@pytest.fixture()
def engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'nested' / 'store.db'}"
    store.upgrade(url)
    engine = store.create_engine_for(url)
    yield engine
    engine.dispose()


def test_upgrade_creates_the_file_and_tables(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "store.db"
    url = f"sqlite:///{path}"
    store.upgrade(url)
    store.upgrade(url)  # a second run is a no-op
    engine = store.create_engine_for(url)
    try:
        assert path.is_file()
        assert {"teams", "matches", "prediction_log", "jobs", "alembic_version"} <= set(
            sa.inspect(engine).get_table_names()
        )
        head = ScriptDirectory(str(store.MIGRATIONS_DIR)).get_current_head()
        assert store.schema_revision(engine) == head == "0006"
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        engine.dispose()


def test_migrated_engine_is_the_one_life_cycle(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with store.migrated_engine(url, revision=None) as reader:  # a reader creates nothing
        assert sa.inspect(reader).get_table_names() == []
    with store.migrated_engine(url) as engine:
        assert store.schema_revision(engine) == "0006"
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        assert engine.pool.checkedin() == 1
    assert engine.pool.checkedin() == 0  # disposed: the pool was replaced by an empty one
    kept = store.open_store(url)
    try:
        assert "prediction_log" in sa.inspect(kept).get_table_names()
    finally:
        kept.dispose()


def test_migrations_match_the_table_definitions(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, store.METADATA) == []


def test_upsert_inserts_then_a_reingest_changes_nothing(engine: Engine) -> None:
    matches = canonical_matches()
    assert store.upsert_teams(engine, matches) == store.UpsertCounts(6, 0, 0)
    assert store.upsert_matches(engine, matches) == store.UpsertCounts(len(matches), 0, 0)
    before = stored(engine, store.CONTENT_HASH, store.UPDATED_AT)

    assert store.upsert_teams(engine, matches) == store.UpsertCounts(0, 0, 6)
    assert store.upsert_matches(engine, matches) == store.UpsertCounts(0, 0, len(matches))
    pd.testing.assert_frame_equal(stored(engine, store.CONTENT_HASH, store.UPDATED_AT), before)


def test_changing_one_score_updates_exactly_that_row(engine: Engine) -> None:
    matches = canonical_matches()
    store.upsert_teams(engine, matches)
    store.upsert_matches(engine, matches)
    before = stored(engine, store.CREATED_AT, store.UPDATED_AT, C.HOME_GOALS)

    changed = matches.copy()
    changed.loc[3, C.HOME_GOALS] = changed.loc[3, C.HOME_GOALS] + 1
    target = changed.loc[3, C.MATCH_ID]
    assert store.upsert_matches(engine, changed) == store.UpsertCounts(0, 1, len(matches) - 1)

    after = stored(engine, store.CREATED_AT, store.UPDATED_AT, C.HOME_GOALS)
    moved = after[store.UPDATED_AT] != before[store.UPDATED_AT]
    assert moved[moved].index.tolist() == [target]
    assert after.loc[target, C.HOME_GOALS] == before.loc[target, C.HOME_GOALS] + 1
    pd.testing.assert_series_equal(after[store.CREATED_AT], before[store.CREATED_AT])


def test_round_trip_keeps_values_missing_markers_and_dtypes(engine: Engine) -> None:
    matches = canonical_matches()
    store.upsert_teams(engine, matches)
    store.upsert_matches(engine, matches)
    back = store.load_matches(engine)
    expected = matches.sort_values([C.KICKOFF, C.MATCH_ID]).reset_index(drop=True)
    pd.testing.assert_frame_equal(back, expected)
    scheduled = back[back[C.STATUS] == C.SCHEDULED]
    assert len(scheduled) == 2
    assert scheduled[C.HOME_GOALS].isna().all() and scheduled[C.RESULT].isna().all()
    assert scheduled[list(C.STAT_COLUMNS)].isna().all().all()
    assert back[C.ODDS_CLOSE_SOURCE].isna().sum() == 1


def test_hash_depends_on_values_not_on_pandas_dtypes(engine: Engine) -> None:
    matches = canonical_matches()
    store.upsert_teams(engine, matches)
    store.upsert_matches(engine, matches)
    retyped = matches.copy()
    for name in store.STRING_COLUMNS:
        retyped[name] = retyped[name].astype(object)
    retyped[C.KICKOFF] = retyped[C.KICKOFF].dt.tz_convert("Europe/Madrid").dt.as_unit("us")
    retyped[C.DATE] = retyped[C.DATE].dt.as_unit("s")
    retyped[C.HOME_GOALS] = retyped[C.HOME_GOALS].astype("Float64")
    retyped[C.SOURCE_LINE] = retyped[C.SOURCE_LINE].astype("int32")
    assert store.upsert_matches(engine, retyped) == store.UpsertCounts(0, 0, len(matches))


def test_load_matches_filters(engine: Engine) -> None:
    matches = canonical_matches()
    store.upsert_teams(engine, matches)
    store.upsert_matches(engine, matches)
    assert len(store.load_matches(engine, status=C.SCHEDULED)) == 2
    assert len(store.load_matches(engine, league="E0", season="2024-25")) == len(matches)
    assert store.load_matches(engine, league="D1").empty


def test_teams_keep_their_span_on_a_partial_reingest(engine: Engine) -> None:
    matches = canonical_matches()
    store.upsert_teams(engine, matches)
    late = matches.tail(3).copy()
    late[C.HOME_TEAM] = late[C.HOME_TEAM].str.upper()  # the newest spelling wins
    late[C.AWAY_TEAM] = late[C.AWAY_TEAM].str.upper()
    counts = store.upsert_teams(engine, late)
    assert counts.inserted == 0 and counts.updated >= 1
    with engine.connect() as connection:
        rows = connection.execute(sa.select(store.TEAMS)).mappings().all()
    teams = {row["team_id"]: row for row in rows}
    assert teams["arsenal"]["first_seen"] == dt.date(2024, 8, 10)  # not shrunk to the slice
    assert teams["arsenal"]["last_seen"] == dt.date(2024, 8, 13)
    for team_id, name in zip(late[C.HOME_ID], late[C.HOME_TEAM], strict=True):
        assert teams[team_id]["name"] == name


def test_matches_need_their_teams(engine: Engine) -> None:
    with pytest.raises(sa.exc.IntegrityError):
        store.upsert_matches(engine, canonical_matches())


def test_bad_frames_are_refused(engine: Engine) -> None:
    matches = canonical_matches()
    with pytest.raises(ValueError, match="lacks columns"):
        store.upsert_matches(engine, matches.drop(columns=[C.SOURCE_LINE]))
    with pytest.raises(ValueError, match="duplicate match_id"):
        store.upsert_matches(engine, pd.concat([matches, matches.head(1)]))


def test_sync_store_migrates_and_reports_counts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sync.db'}"
    matches = canonical_matches()
    first = store.sync_store(url, matches)
    assert first == {
        "teams": {"inserted": 6, "updated": 0, "unchanged": 0},
        "matches": {"inserted": len(matches), "updated": 0, "unchanged": 0},
    }
    again = store.sync_store(url, matches)
    assert again["matches"] == {"inserted": 0, "updated": 0, "unchanged": len(matches)}


def test_prediction_log_is_idempotent_and_append_only(engine: Engine) -> None:
    matches = canonical_matches().tail(2)
    batch = predictions_for(matches)
    assert store.append_predictions(engine, batch) == 2
    assert store.append_predictions(engine, batch) == 0  # a re-run logs nothing new
    assert store.append_predictions(engine, predictions_for(matches, "2026-03-03T06:00:00Z")) == 2

    log = store.load_prediction_log(engine)
    assert len(log) == 4
    assert log["model_version"].eq("3").all()
    assert str(log["computed_at"].dt.tz) == "UTC"
    one = store.load_prediction_log(engine, match_id=matches[C.MATCH_ID].iloc[0])
    assert len(one) == 2
    assert one["computed_at"].tolist() == [
        pd.Timestamp("2026-03-02T06:00:00Z"),
        pd.Timestamp("2026-03-03T06:00:00Z"),
    ]
    np.testing.assert_allclose(one[["p_home", "p_draw", "p_away"]].sum(axis=1), 1.0)

    with engine.begin() as connection, pytest.raises(sa.exc.DatabaseError, match="append-only"):
        connection.execute(sa.update(store.PREDICTION_LOG).values(p_home=0.9))
    with engine.begin() as connection, pytest.raises(sa.exc.DatabaseError, match="append-only"):
        connection.execute(sa.delete(store.PREDICTION_LOG))
    assert len(store.load_prediction_log(engine)) == 4


def test_prediction_log_refuses_missing_columns(engine: Engine) -> None:
    batch = predictions_for(canonical_matches().tail(1)).drop(columns=["data_version"])
    with pytest.raises(ValueError, match="data_version"):
        store.append_predictions(engine, batch)


def test_db_upgrade_command_uses_url_option_or_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    command = typer.Typer()
    command.command()(db.main)
    runner = CliRunner()

    explicit = tmp_path / "explicit.db"
    outcome = runner.invoke(command, ["--url", f"sqlite:///{explicit}"])
    assert outcome.exit_code == 0, outcome.output
    assert explicit.is_file()

    from_env = tmp_path / "env" / "store.db"
    monkeypatch.setenv("MATCHCAST_DATABASE_URL", f"sqlite:///{from_env}")
    get_settings.cache_clear()
    try:
        outcome = runner.invoke(command, [])
    finally:
        get_settings.cache_clear()
    assert outcome.exit_code == 0, outcome.output
    engine = store.create_engine_for(f"sqlite:///{from_env}")
    try:
        assert store.schema_revision(engine) == "0006"
    finally:
        engine.dispose()
