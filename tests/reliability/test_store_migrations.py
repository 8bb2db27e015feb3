"""Two processes migrating a fresh SQLite store at once both succeed (issue 13, item 5).

Root cause of the flaky ``test_serve_runs_jobs_in_a_child_worker_and_stops_it``: the API
and the worker it starts both upgraded the new store at start-up; one of them lost the
race on ``CREATE TABLE`` ("table ... already exists") and, when it was the worker, died
before claiming anything, so the job stayed ``queued``. Reproduced before the fix: 2 of
12 pairs of fresh processes failed so. Now upgrades take a file lock and serve migrates
before it starts the worker.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path

import filelock
import pytest
import sqlalchemy as sa

from matchcast.data import store
from matchcast.data.store.engine import migration_lock_path

pytestmark = pytest.mark.reliability


def _upgrade_at(url: str, start: float, results: multiprocessing.Queue[str]) -> None:
    while time.time() < start:
        pass
    try:
        store.upgrade(url)
        results.put("ok")
    except Exception as error:  # reported to the test, which names it
        results.put(f"{type(error).__name__}: {error}".splitlines()[0])


def test_concurrent_upgrades_of_fresh_sqlite_stores_all_succeed(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    outcomes: list[str] = []
    for round_ in range(6):
        url = f"sqlite:///{tmp_path / f'store-{round_}.db'}"
        results: multiprocessing.Queue[str] = context.Queue()
        start = time.time() + 0.5
        processes = [
            context.Process(target=_upgrade_at, args=(url, start, results)) for _ in range(4)
        ]
        for process in processes:
            process.start()
        for process in processes:
            process.join(60)
        outcomes += [results.get(timeout=5) for _ in processes]
    assert [o for o in outcomes if o != "ok"] == []


def test_a_sqlite_upgrade_waits_while_another_holds_the_migration_lock(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = store.create_engine_for(url)
    path = migration_lock_path(engine)
    assert path == tmp_path / "store.db.migrate.lock"
    held = filelock.FileLock(path)
    held.acquire()
    upgrade = threading.Thread(target=store.upgrade_engine, args=(engine,))
    try:
        upgrade.start()
        upgrade.join(1.5)
        assert upgrade.is_alive()  # waiting for the lock, not creating tables
        assert "jobs" not in sa.inspect(engine).get_table_names()
    finally:
        held.release()
    upgrade.join(60)
    assert not upgrade.is_alive()
    assert store.schema_revision(engine) == "0006"
    engine.dispose()
