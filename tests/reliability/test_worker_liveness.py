"""Worker liveness from heartbeats in the store: the function and the Prometheus gauge."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from matchcast.data.store import create_engine_for, migrated_engine, workers
from matchcast.tasks.jobs import STALE_AFTER_S
from matchcast.tasks.liveness import WorkerLivenessCollector, job_worker_liveness

pytestmark = pytest.mark.reliability


def scrape(collector: WorkerLivenessCollector) -> str:
    registry = CollectorRegistry()
    registry.register(collector)
    return generate_latest(registry).decode()


def test_liveness_follows_the_heartbeats(tmp_path: Path) -> None:
    with migrated_engine(f"sqlite:///{tmp_path / 'store.db'}") as engine:
        state = job_worker_liveness(engine)
        assert (state.alive, state.reason) == (False, "no local job worker has started")
        assert "matchcast_job_worker_alive 0.0" in scrape(WorkerLivenessCollector(lambda: engine))

        workers.beat(engine, "host:1")
        state = job_worker_liveness(engine)
        assert state.alive and state.workers == ["host:1"]
        assert state.heartbeat_age_s is not None and state.heartbeat_age_s < STALE_AFTER_S
        text = scrape(WorkerLivenessCollector(lambda: engine))
        assert "matchcast_job_worker_alive 1.0" in text
        assert "matchcast_job_worker_heartbeat_age_seconds" in text

        later = workers.list_workers(engine)[0].heartbeat_at + dt.timedelta(seconds=45)
        hung = workers.liveness(engine, STALE_AFTER_S, now=later)
        assert not hung.alive
        assert hung.reason == "no local job worker heartbeat for 45 s (> 30 s)"

        workers.mark_stopped(engine, "host:1", "killed by signal 9")
        state = job_worker_liveness(engine)
        assert not state.alive
        assert state.reason == "local job worker host:1 stopped: killed by signal 9"

        workers.beat(engine, "host:2")  # the restarted worker
        assert job_worker_liveness(engine).workers == ["host:2"]


def test_the_gauge_says_dead_when_the_store_cannot_be_read(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'never-migrated.db'}")
    try:
        assert "matchcast_job_worker_alive 0.0" in scrape(WorkerLivenessCollector(lambda: engine))
    finally:
        engine.dispose()
