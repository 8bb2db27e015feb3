"""SQL store against the real PostgreSQL: migrations, upserts, concurrency, the prediction log.

Every test gets a throw-away database (``matchcast_test_<random>``) that is dropped
afterwards, so reruns start clean and nothing touches the shared ``test`` database's tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from matchcast.data import columns as C
from matchcast.data import store

pytestmark = pytest.mark.integration


def canonical_matches(n: int = 40, seed: int = 1) -> pd.DataFrame:
    """Canonical rows over eight teams; the last three are scheduled (no score, no stats)."""
    rng = np.random.default_rng(seed)
    day = pd.Timestamp("2023-08-05") + pd.to_timedelta(np.arange(n) // 4, unit="D")
    teams = np.array([f"club-{k}" for k in range(8)])
    home = teams[np.arange(n) % 8]
    away = teams[(np.arange(n) + 1 + np.arange(n) // 8) % 8]
    scheduled = np.arange(n) >= n - 3
    hg, ag = rng.integers(0, 5, n), rng.integers(0, 5, n)
    frame = pd.DataFrame(
        {
            C.MATCH_ID: [
                f"D1-{d:%Y-%m-%d}-{h}-{a}" for d, h, a in zip(day, home, away, strict=True)
            ],
            C.LEAGUE: "D1",
            C.SEASON: "2023-24",
            C.DATE: day.astype("datetime64[ns]"),
            C.KICKOFF: (day + pd.Timedelta(hours=18, minutes=30))
            .tz_localize("Europe/Berlin")
            .tz_convert("UTC")
            .astype("datetime64[ns, UTC]"),
            C.TIME_KNOWN: np.arange(n) % 5 != 0,
            C.NEUTRAL: np.arange(n) % 7 == 0,
            C.HOME_TEAM: [f"Club {h[-1]}" for h in home],
            C.AWAY_TEAM: [f"Club {a[-1]}" for a in away],
            C.HOME_ID: home,
            C.AWAY_ID: away,
            C.HOME_GOALS: pd.array(np.where(scheduled, None, hg), dtype="Int64"),
            C.AWAY_GOALS: pd.array(np.where(scheduled, None, ag), dtype="Int64"),
            C.RESULT: np.where(
                scheduled, None, np.where(hg > ag, "H", np.where(hg == ag, "D", "A"))
            ),
            C.STATUS: np.where(scheduled, C.SCHEDULED, C.FINISHED),
        }
    )
    for name in C.STAT_COLUMNS:
        frame[name] = np.where(scheduled | (np.arange(n) % 7 == 0), np.nan, rng.integers(0, 20, n))
    for name in (*C.ODDS_PRE, *C.ODDS_CLOSE):
        frame[name] = rng.uniform(1.2, 9.0, n)  # full float precision must survive
    frame[C.ODDS_PRE_SOURCE] = "market_avg"
    frame[C.ODDS_CLOSE_SOURCE] = np.where(np.arange(n) % 3 == 0, None, "pinnacle")
    frame[C.SOURCE] = "football-data"
    frame[C.SOURCE_FILE] = "mmz4281/2324/D1.csv"
    frame[C.SOURCE_LINE] = np.arange(2, n + 2, dtype="int64")
    for name in store.STRING_COLUMNS:
        frame[name] = frame[name].astype("string")
    return frame[list(C.CANONICAL_COLUMNS)]


@pytest.fixture()
def engine(pg_url: str) -> Iterator[sa.Engine]:
    store.upgrade(pg_url)
    engine = store.create_engine_for(pg_url)
    yield engine
    engine.dispose()


def run_together(*jobs: Callable[[], Any]) -> list[Any]:
    """Run callables on separate threads at once; re-raise the first failure."""
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = [pool.submit(job) for job in jobs]
        return [future.result(timeout=120) for future in futures]


def head_revision() -> str | None:
    """The newest migration of the code."""
    return ScriptDirectory(str(store.MIGRATIONS_DIR)).get_current_head()


def test_migrations_build_the_schema_the_code_expects(engine: sa.Engine) -> None:
    assert store.schema_revision(engine) == head_revision() is not None
    with engine.connect() as connection:
        tables = set(sa.inspect(connection).get_table_names())
        assert {"teams", "matches", "prediction_log", "jobs"} <= tables
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, store.METADATA) == []


def test_concurrent_upgrades_of_a_fresh_database_both_succeed(pg_url: str) -> None:
    run_together(lambda: store.upgrade(pg_url), lambda: store.upgrade(pg_url))
    engine = store.create_engine_for(pg_url)
    try:
        assert store.schema_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_upsert_is_idempotent_and_touches_only_changed_rows(engine: sa.Engine) -> None:
    matches = canonical_matches()
    n = len(matches)
    assert store.upsert_teams(engine, matches) == store.UpsertCounts(8, 0, 0)
    assert store.upsert_matches(engine, matches) == store.UpsertCounts(n, 0, 0)
    table = store.MATCHES
    query = sa.select(table.c.match_id, table.c.updated_at, table.c.home_goals)
    with engine.connect() as connection:
        before = pd.DataFrame(connection.execute(query).all()).set_index("match_id").sort_index()

    assert store.upsert_matches(engine, matches) == store.UpsertCounts(0, 0, n)
    changed = matches.copy()
    changed.loc[5, C.HOME_GOALS] = 9
    assert store.upsert_matches(engine, changed) == store.UpsertCounts(0, 1, n - 1)

    with engine.connect() as connection:
        after = pd.DataFrame(connection.execute(query).all()).set_index("match_id").sort_index()
    moved = after.index[after["updated_at"] != before["updated_at"]].tolist()
    assert moved == [changed.loc[5, C.MATCH_ID]]
    assert after.loc[changed.loc[5, C.MATCH_ID], "home_goals"] == 9


def test_round_trip_keeps_values_and_missing_markers(engine: sa.Engine) -> None:
    matches = canonical_matches()
    store.upsert_teams(engine, matches)
    store.upsert_matches(engine, matches)
    back = store.load_matches(engine)
    expected = matches.sort_values([C.KICKOFF, C.MATCH_ID]).reset_index(drop=True)
    pd.testing.assert_frame_equal(back, expected)
    with engine.connect() as connection:
        kickoff_type = connection.exec_driver_sql(
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_name = 'matches' AND column_name = 'kickoff'"
        ).scalar()
    assert kickoff_type == "timestamp with time zone"


def test_concurrent_upserts_of_the_same_rows_do_not_fail(engine: sa.Engine, pg_url: str) -> None:
    matches = canonical_matches(n=400)
    store.upsert_teams(engine, matches)
    shuffled = matches.sample(frac=1.0, random_state=7)  # a different row order per writer
    engines = [store.create_engine_for(pg_url) for _ in range(3)]
    try:
        counts = run_together(
            lambda: store.upsert_matches(engines[0], matches),
            lambda: store.upsert_matches(engines[1], shuffled),
            lambda: store.upsert_matches(engines[2], matches),
        )
    finally:
        for each in engines:
            each.dispose()
    assert all(sum(count) == len(matches) for count in counts)
    with engine.connect() as connection:
        assert connection.scalar(sa.select(sa.func.count()).select_from(store.MATCHES)) == 400
    assert store.upsert_matches(engine, matches) == store.UpsertCounts(0, 0, 400)


def test_sync_store_end_to_end(pg_url: str) -> None:
    matches = canonical_matches()
    first = store.sync_store(pg_url, matches)
    assert first["matches"] == {"inserted": len(matches), "updated": 0, "unchanged": 0}
    assert first["teams"]["inserted"] == 8
    second = store.sync_store(pg_url, matches)
    assert second["matches"]["unchanged"] == len(matches)
    assert second["teams"] == {"inserted": 0, "updated": 0, "unchanged": 8}


def test_prediction_log_is_idempotent_and_append_only(engine: sa.Engine) -> None:
    scheduled = canonical_matches().tail(3)
    batch = pd.DataFrame(
        {
            "match_id": scheduled[C.MATCH_ID].to_numpy(),
            "p_home": [0.45, 0.40, 0.50],
            "p_draw": [0.30, 0.30, 0.25],
            "p_away": [0.25, 0.30, 0.25],
            "predicted": ["H", "H", "H"],
            "model_name": "matchcast-1x2",
            "model_version": "7",
            "model_run_id": None,
            "data_version": "md5:1234",
            "features_as_of": pd.NaT,
            "computed_at": pd.Timestamp("2026-03-02 07:15:00", tz="Europe/London"),
        }
    )
    assert store.append_predictions(engine, batch) == 3
    assert store.append_predictions(engine, batch) == 0
    rerun = batch.assign(computed_at=pd.Timestamp("2026-03-03 07:15:00Z"))
    added = run_together(
        lambda: store.append_predictions(engine, rerun),
        lambda: store.append_predictions(engine, rerun),
    )
    assert sorted(added) == [0, 3]  # two racing writers log the batch exactly once
    log = store.load_prediction_log(engine)
    assert len(log) == 6
    assert log["model_run_id"].isna().all() and log["features_as_of"].isna().all()
    assert (log["computed_at"].head(3) == pd.Timestamp("2026-03-02 07:15:00Z")).all()
    with engine.begin() as connection, pytest.raises(sa.exc.DatabaseError, match="append-only"):
        connection.execute(sa.update(store.PREDICTION_LOG).values(p_home=0.9))
    with engine.begin() as connection, pytest.raises(sa.exc.DatabaseError, match="append-only"):
        connection.execute(sa.delete(store.PREDICTION_LOG))
    assert len(store.load_prediction_log(engine)) == 6
