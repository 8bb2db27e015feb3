"""Job records in the SQL store: what the status API reads and the local worker's queue.

One row per submitted job (``jobs`` table, migration 0002). The API inserts it (state
``queued``); whichever worker runs the job — a Celery worker or the local worker — moves
it through ``running`` / ``retrying`` to ``succeeded`` or ``failed``. Every transition is a
single UPDATE, and the local worker claims a job with a compare-and-set UPDATE, so two
workers never both claim it. The same code runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, RowMapping

from matchcast.data.store.tables import JOBS

QUEUED = "queued"
RUNNING = "running"
RETRYING = "retrying"
SUCCEEDED = "succeeded"
FAILED = "failed"
STATES = (QUEUED, RUNNING, RETRYING, SUCCEEDED, FAILED)
FINAL_STATES = (SUCCEEDED, FAILED)
RUNNERS = ("celery", "local")
MAX_ERROR_CHARS = 8000


@dataclass(frozen=True)
class JobRecord:
    """One job as stored."""

    job_id: str
    name: str
    state: str
    runner: str
    params: dict[str, Any]
    submitted_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    attempts: int
    result: dict[str, Any] | None
    error: str | None
    worker: str | None
    heartbeat_at: dt.datetime | None
    not_before: dt.datetime | None
    request_id: str | None = None

    @property
    def finished(self) -> bool:
        """True once the job succeeded or failed for good."""
        return self.state in FINAL_STATES


def now_utc() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands timestamps back naive (they were stored as UTC).
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def _record(row: RowMapping) -> JobRecord:
    return JobRecord(
        job_id=row["job_id"],
        name=row["name"],
        state=row["state"],
        runner=row["runner"],
        params=json.loads(row["params"]),
        submitted_at=_aware(row["submitted_at"]) or now_utc(),
        started_at=_aware(row["started_at"]),
        finished_at=_aware(row["finished_at"]),
        attempts=int(row["attempts"]),
        result=None if row["result"] is None else json.loads(row["result"]),
        error=row["error"],
        worker=row["worker"],
        heartbeat_at=_aware(row["heartbeat_at"]),
        not_before=_aware(row["not_before"]),
        request_id=row["request_id"],
    )


def create_job(
    engine: Engine,
    name: str,
    params: Mapping[str, Any],
    runner: str,
    job_id: str | None = None,
    request_id: str | None = None,
) -> JobRecord:
    """Insert a new job in state ``queued``.

    Args:
        engine: Engine of the store (migrated).
        name: Job name (``refresh_data``, ``batch_inference``, ``retrain``).
        params: JSON-ready job arguments (e.g. ``{"as_of": "2025-10-01"}``).
        runner: ``celery`` or ``local`` (the local worker only claims ``local`` jobs).
        job_id: Id to use; default a new UUID4.
        request_id: Id of the HTTP request that submitted it (kept with the job).

    Returns:
        The stored record.
    """
    if runner not in RUNNERS:
        raise ValueError(f"runner must be one of {RUNNERS}, got {runner!r}")
    job_id = job_id or str(uuid.uuid4())
    with engine.begin() as connection:
        connection.execute(
            JOBS.insert().values(
                job_id=job_id,
                name=name,
                state=QUEUED,
                runner=runner,
                params=json.dumps(dict(params), sort_keys=True),
                submitted_at=now_utc(),
                attempts=0,
                request_id=request_id,
            )
        )
    record = get_job(engine, job_id)
    assert record is not None
    return record


def get_job(engine: Engine, job_id: str) -> JobRecord | None:
    """The job with this id, or None."""
    with engine.connect() as connection:
        row = connection.execute(sa.select(JOBS).where(JOBS.c.job_id == job_id)).mappings().first()
    return None if row is None else _record(row)


def list_jobs(engine: Engine, limit: int = 50) -> list[JobRecord]:
    """The most recently submitted jobs, newest first."""
    query = sa.select(JOBS).order_by(JOBS.c.submitted_at.desc()).limit(limit)
    with engine.connect() as connection:
        return [_record(row) for row in connection.execute(query).mappings()]


def _running(worker: str, now: dt.datetime) -> dict[str, Any]:
    """The values that move a job record to ``running`` for a new attempt by ``worker``."""
    return {
        "state": RUNNING,
        "attempts": JOBS.c.attempts + 1,
        "started_at": sa.func.coalesce(JOBS.c.started_at, now),
        "worker": worker,
        "heartbeat_at": now,
        "not_before": None,
        "error": None,
    }


def begin_attempt(engine: Engine, job_id: str, worker: str) -> JobRecord | None:
    """Count a delivery of the job and mark it running (Celery deliveries).

    Returns:
        The updated record; None when the job is unknown or already finished (a repeated
        delivery of a finished job must not run it again).
    """
    now = now_utc()
    with engine.begin() as connection:
        done = connection.execute(
            JOBS.update()
            .where(JOBS.c.job_id == job_id, JOBS.c.state.not_in(FINAL_STATES))
            .values(_running(worker, now))
        )
    return get_job(engine, job_id) if done.rowcount else None


def claim_next(engine: Engine, worker: str, runner: str = "local") -> JobRecord | None:
    """Claim the oldest due ``queued``/``retrying`` job of ``runner`` (local worker queue).

    The claim is a compare-and-set UPDATE on the state the job was read in, so two
    workers polling at once never claim the same job.
    """
    now = now_utc()
    due = sa.or_(JOBS.c.not_before.is_(None), JOBS.c.not_before <= now)
    candidates = (
        sa.select(JOBS.c.job_id, JOBS.c.state)
        .where(JOBS.c.runner == runner, JOBS.c.state.in_((QUEUED, RETRYING)), due)
        .order_by(JOBS.c.submitted_at)
        .limit(10)
    )
    with engine.connect() as connection:
        rows = connection.execute(candidates).all()
    for job_id, state in rows:
        with engine.begin() as connection:
            done = connection.execute(
                JOBS.update()
                .where(JOBS.c.job_id == job_id, JOBS.c.state == state)
                .values(_running(worker, now))
            )
        if done.rowcount:
            return get_job(engine, job_id)
    return None


def heartbeat(engine: Engine, job_id: str, worker: str) -> bool:
    """Record that ``worker`` is still running the job; False when it no longer owns it."""
    with engine.begin() as connection:
        done = connection.execute(
            JOBS.update()
            .where(JOBS.c.job_id == job_id, JOBS.c.state == RUNNING, JOBS.c.worker == worker)
            .values(heartbeat_at=now_utc())
        )
    return bool(done.rowcount)


def requeue_stale(engine: Engine, stale_after_s: float, runner: str = "local") -> list[str]:
    """Put back in the queue the running jobs whose worker stopped beating (it died).

    This is the local runner's counterpart of a broker redelivering an unacknowledged
    message: the job runs again from the start (its steps are idempotent).

    Returns:
        The ids put back.
    """
    limit = now_utc() - dt.timedelta(seconds=stale_after_s)
    stale = sa.and_(
        JOBS.c.runner == runner,
        JOBS.c.state == RUNNING,
        sa.or_(JOBS.c.heartbeat_at.is_(None), JOBS.c.heartbeat_at < limit),
    )
    with engine.begin() as connection:
        ids = [row[0] for row in connection.execute(sa.select(JOBS.c.job_id).where(stale))]
        if ids:
            connection.execute(
                JOBS.update()
                .where(JOBS.c.job_id.in_(ids), JOBS.c.state == RUNNING)
                .values(state=QUEUED, error="worker stopped without finishing; redelivered")
            )
    return ids


def requeue_worker(engine: Engine, worker: str, why: str) -> list[str]:
    """Put back in the queue the running jobs of a worker known to be dead (its supervisor
    saw it exit), without waiting for its heartbeat to go stale.

    Returns:
        The ids put back.
    """
    owned = sa.and_(JOBS.c.worker == worker, JOBS.c.state == RUNNING)
    with engine.begin() as connection:
        ids = [row[0] for row in connection.execute(sa.select(JOBS.c.job_id).where(owned))]
        if ids:
            connection.execute(
                JOBS.update()
                .where(JOBS.c.job_id.in_(ids), JOBS.c.state == RUNNING)
                .values(state=QUEUED, error=f"worker {worker} {why}; redelivered")
            )
    return ids


def mark_retrying(
    engine: Engine, job_id: str, error: str, not_before: dt.datetime | None = None
) -> None:
    """The attempt hit a transient error; the job will run again (after ``not_before``)."""
    _finish_attempt(engine, job_id, RETRYING, error=error, not_before=not_before)


def mark_succeeded(engine: Engine, job_id: str, result: Mapping[str, Any]) -> None:
    """The job finished; ``result`` is what it did (JSON-ready)."""
    _finish_attempt(engine, job_id, SUCCEEDED, result=result)


def mark_failed(engine: Engine, job_id: str, error: str) -> None:
    """The job failed for good (a permanent error, or retries exhausted)."""
    _finish_attempt(engine, job_id, FAILED, error=error)


def _finish_attempt(
    engine: Engine,
    job_id: str,
    state: str,
    *,
    error: str | None = None,
    result: Mapping[str, Any] | None = None,
    not_before: dt.datetime | None = None,
) -> None:
    values: dict[str, Any] = {
        "state": state,
        "error": None if error is None else error[-MAX_ERROR_CHARS:],
    }
    if state in FINAL_STATES:
        values["finished_at"] = now_utc()
    if result is not None:
        values["result"] = json.dumps(dict(result), sort_keys=True, default=str)
    if not_before is not None:
        values["not_before"] = not_before
    with engine.begin() as connection:
        connection.execute(
            JOBS.update()
            .where(JOBS.c.job_id == job_id, JOBS.c.state.not_in(FINAL_STATES))
            .values(**values)
        )
