"""Job records in the SQL store: transitions, the local queue's claim and redelivery."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from matchcast.data.store import JOBS, jobs, migrated_engine


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    with migrated_engine(f"sqlite:///{tmp_path / 'store.db'}") as engine:
        yield engine


def test_a_job_goes_from_queued_to_succeeded_with_timestamps(engine: Engine) -> None:
    created = jobs.create_job(engine, "refresh_data", {"as_of": "2025-10-01"}, "celery")
    assert (created.state, created.attempts, created.started_at) == ("queued", 0, None)
    running = jobs.begin_attempt(engine, created.job_id, "host:1")
    assert running is not None
    assert (running.state, running.attempts, running.worker) == ("running", 1, "host:1")
    assert running.started_at is not None and running.started_at >= created.submitted_at
    jobs.mark_succeeded(engine, created.job_id, {"steps": []})
    done = jobs.get_job(engine, created.job_id)
    assert done is not None and done.finished
    assert (done.state, done.result, done.error) == ("succeeded", {"steps": []}, None)
    assert done.finished_at is not None and done.finished_at >= running.started_at
    assert done.submitted_at.tzinfo is not None


def test_a_finished_job_is_not_started_again_nor_changed(engine: Engine) -> None:
    job = jobs.create_job(engine, "refresh_data", {}, "celery")
    jobs.begin_attempt(engine, job.job_id, "host:1")
    jobs.mark_failed(engine, job.job_id, "GateError: too many bad rows")
    assert jobs.begin_attempt(engine, job.job_id, "host:2") is None
    jobs.mark_succeeded(engine, job.job_id, {"late": True})
    record = jobs.get_job(engine, job.job_id)
    assert record is not None
    assert (record.state, record.attempts, record.result) == ("failed", 1, None)


def test_a_retry_keeps_the_first_start_and_counts_attempts(engine: Engine) -> None:
    job = jobs.create_job(engine, "refresh_data", {}, "local")
    first = jobs.claim_next(engine, "w:1")
    assert first is not None and first.job_id == job.job_id
    later = jobs.now_utc() + dt.timedelta(hours=1)
    jobs.mark_retrying(engine, job.job_id, "DVC lock contention", later)
    assert jobs.claim_next(engine, "w:1") is None  # not due yet
    jobs.mark_retrying(engine, job.job_id, "DVC lock contention", jobs.now_utc())
    second = jobs.claim_next(engine, "w:2")
    assert second is not None
    assert (second.attempts, second.started_at, second.error) == (2, first.started_at, None)


def test_two_workers_claiming_at_once_get_each_job_once(engine: Engine) -> None:
    ids = {jobs.create_job(engine, "refresh_data", {}, "local").job_id for _ in range(12)}
    claimed: list[str] = []
    lock = threading.Lock()

    def drain(worker: str) -> None:
        while (record := jobs.claim_next(engine, worker)) is not None:
            with lock:
                claimed.append(record.job_id)

    threads = [threading.Thread(target=drain, args=(f"w:{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(ids)


def test_the_local_queue_ignores_celery_jobs(engine: Engine) -> None:
    jobs.create_job(engine, "refresh_data", {}, "celery")
    assert jobs.claim_next(engine, "w:1") is None


def test_a_running_job_without_heartbeat_is_queued_again(engine: Engine) -> None:
    job = jobs.create_job(engine, "refresh_data", {}, "local")
    jobs.claim_next(engine, "w:1")
    assert jobs.requeue_stale(engine, stale_after_s=60) == []
    assert jobs.heartbeat(engine, job.job_id, "w:1")
    assert not jobs.heartbeat(engine, job.job_id, "w:other")
    with engine.begin() as connection:
        old = jobs.now_utc() - dt.timedelta(minutes=5)
        connection.execute(JOBS.update().values(heartbeat_at=old))
    assert jobs.requeue_stale(engine, stale_after_s=60) == [job.job_id]
    again = jobs.claim_next(engine, "w:2")
    assert again is not None and (again.attempts, again.worker) == (2, "w:2")


def test_an_unknown_runner_is_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="runner must be one of"):
        jobs.create_job(engine, "refresh_data", {}, "thread")
