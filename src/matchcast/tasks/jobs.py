"""The jobs and the code that runs one attempt of a job, shared by Celery and the local worker.

A job is a short sequence of workflow steps (``matchcast.tasks.workflow``), run under
the project lock. Jobs are idempotent: DVC re-runs only what changed, writing ``as_of``
twice changes nothing, and a job whose record is already final is not run again.

:func:`run_attempt` does the bookkeeping around one attempt: the job record's state and
timestamps, a heartbeat while it runs, the lock, the removal of temporary files a killed
attempt left, and the classification of its error as transient (retry) or permanent.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from celery.utils.time import get_exponential_backoff_interval
from dvc.lock import LockError, make_lock
from sqlalchemy.engine import Engine

from matchcast.config import Settings
from matchcast.data.store import jobs as records
from matchcast.data.store import open_store
from matchcast.tasks.errors import LockHeld, PermanentJobError, TransientJobError, transient_reason
from matchcast.tasks.keepalive import keep_alive
from matchcast.tasks.lock import lock_url, project_lock
from matchcast.tasks.names import JOB_NAMES
from matchcast.tasks.workflow import StepResult, declared_outputs, project_stages, run_step

logger = logging.getLogger(__name__)

HEARTBEAT_S = 5.0
STALE_AFTER_S = 30.0  # a local job whose heartbeat is older is redelivered


def refresh_data(project_dir: Path, as_of: dt.date | None) -> list[StepResult]:
    """Ingest new results and fixtures, then validate and store them."""
    return [
        run_step("refresh-data", project_dir, as_of),
        run_step("validate", project_dir),
    ]


def batch_inference(project_dir: Path, as_of: dt.date | None) -> list[StepResult]:
    """Forecast every scheduled match, monitor when the stage exists, then reload the API.

    With ``as_of`` the validated table is brought to the new cut-off first (DVC skips it
    when nothing changed), so features never mix two cut-offs.
    """
    steps = []
    if as_of is not None:
        steps.append(run_step("validate", project_dir, as_of))
    steps.append(run_step("batch-inference", project_dir, as_of))
    if "monitor" in project_stages(project_dir):
        steps.append(run_step("monitor", project_dir))
    steps.append(run_step("reload", project_dir))
    return steps


def retrain(project_dir: Path, as_of: dt.date | None) -> list[StepResult]:
    """The whole pipeline (train, evaluate, register by the registry's rules, forecast), reload."""
    return [run_step("pipeline", project_dir, as_of), run_step("reload", project_dir)]


JobFunction = Callable[[Path, dt.date | None], list[StepResult]]
JOB_FUNCTIONS: dict[str, JobFunction] = {
    "refresh_data": refresh_data,
    "batch_inference": batch_inference,
    "retrain": retrain,
}
assert tuple(JOB_FUNCTIONS) == JOB_NAMES


@dataclass(frozen=True)
class Attempt:
    """One delivery of a job to a worker."""

    job_id: str
    name: str
    as_of: str | None
    final: bool  # no retry follows a transient failure of this attempt
    retries_so_far: int  # attempts that ended in a retry before this one


def worker_id() -> str:
    """``host:pid`` of this process."""
    return f"{socket.gethostname()}:{os.getpid()}"


@lru_cache(maxsize=4)
def store_engine(database_url: str) -> Engine:
    """One migrated engine per store URL and process (created on first use, after a fork)."""
    return open_store(database_url)


def retry_delay_s(settings: Settings, retries_so_far: int) -> int:
    """Backoff before the next attempt: the formula Celery's ``retry_backoff`` uses."""
    return int(
        get_exponential_backoff_interval(
            factor=settings.job_retry_backoff_s,
            retries=retries_so_far,
            maximum=settings.job_retry_backoff_max_s,
            full_jitter=False,
        )
    )


def remove_stale_temporaries(project_dir: Path) -> list[Path]:
    """Delete the temporary files of atomic writes (``.<name>.*.tmp``) a killed run left.

    Runs under DVC's own repository lock, so no stage is writing at that moment; a
    contended lock is transient. The published outputs are never touched: an atomic write
    either renamed its temporary file into place or left it here.
    """
    lock = make_lock(str(project_dir / ".dvc" / "tmp" / "lock"), friendly=False)
    try:
        lock.lock()
    except LockError as error:
        raise TransientJobError(f"DVC lock contention: {error}") from error
    try:
        removed = []
        for output in declared_outputs(project_dir):
            for leftover in output.parent.glob(f".{output.name}.*.tmp"):
                leftover.unlink(missing_ok=True)
                removed.append(leftover)
        if removed:
            logger.warning("removed temporary files of an interrupted run: %s", removed)
        return removed
    finally:
        lock.unlock()


def _as_date(value: str | None) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(value)


def run_attempt(
    attempt: Attempt, settings: Settings, engine: Engine, worker: str, claimed: bool = False
) -> dict[str, Any]:
    """Run one attempt of a job and keep its record up to date.

    Args:
        attempt: The job and whether a transient failure may still be retried.
        settings: Project folder, lock and retry settings.
        engine: The SQL store holding job records.
        worker: ``host:pid`` of the worker.
        claimed: The local worker already moved the record to ``running``.

    Returns:
        The job's result (the steps it ran); a job already finished returns its stored
        result without running again.

    Raises:
        TransientJobError: Retry later (the record says ``retrying``, or ``failed`` when
            this was the final attempt).
        PermanentJobError: The job failed for good (the record says ``failed``).
    """
    if attempt.name not in JOB_FUNCTIONS:
        raise PermanentJobError(f"unknown job {attempt.name!r}; known: {', '.join(JOB_NAMES)}")
    if not claimed:
        record = records.get_job(engine, attempt.job_id)
        if record is None:  # sent straight to Celery (celery call, another client)
            params = {} if attempt.as_of is None else {"as_of": attempt.as_of}
            records.create_job(engine, attempt.name, params, "celery", attempt.job_id)
        elif record.finished:
            logger.info("job %s is already %s; not run again", attempt.job_id, record.state)
            return record.result or {}
        if records.begin_attempt(engine, attempt.job_id, worker) is None:
            final = records.get_job(engine, attempt.job_id)
            return {} if final is None else final.result or {}
    project_dir = Path(settings.project_dir).resolve()
    holder = {
        "job": attempt.name,
        "job_id": attempt.job_id,
        "worker": worker,
        "since": records.now_utc().isoformat(timespec="seconds"),
    }
    started = time.perf_counter()
    try:
        project_stages(project_dir)  # fails clearly on a folder that is not a DVC project
        with (
            keep_alive(
                lambda: records.heartbeat(engine, attempt.job_id, worker),
                HEARTBEAT_S,
                name="job-heartbeat",
                what=f"heartbeat of job {attempt.job_id}",
            ),
            project_lock(project_dir, holder, lock_url(settings), settings.job_lock_ttl_s),
        ):
            remove_stale_temporaries(project_dir)
            steps = JOB_FUNCTIONS[attempt.name](project_dir, _as_date(attempt.as_of))
    except Exception as error:
        raise _record_failure(attempt, settings, engine, error) from error
    result: dict[str, Any] = {
        "steps": [step.to_dict() for step in steps],
        "seconds": round(time.perf_counter() - started, 3),
    }
    records.mark_succeeded(engine, attempt.job_id, result)
    logger.info("job %s %s succeeded in %.1fs", attempt.name, attempt.job_id, result["seconds"])
    return result


def _record_failure(
    attempt: Attempt, settings: Settings, engine: Engine, error: Exception
) -> Exception:
    """Record a failed attempt; return the error to raise (transient or permanent)."""
    reason = transient_reason(error)
    message = f"{type(error).__name__}: {error}"
    if reason is None:
        records.mark_failed(engine, attempt.job_id, message)
        logger.error("job %s %s failed: %s", attempt.name, attempt.job_id, message)
        return PermanentJobError(message)
    if isinstance(error, LockHeld) and error.holder.get("job_id") == attempt.job_id:
        # A second delivery of a job that is running right now (a broker redelivered it):
        # leave the running attempt's record alone and look again later.
        return error
    if attempt.final:
        records.mark_failed(engine, attempt.job_id, f"{reason}, retries exhausted: {message}")
        return PermanentJobError(f"{reason}, retries exhausted: {message}")
    delay = retry_delay_s(settings, attempt.retries_so_far)
    not_before = records.now_utc() + dt.timedelta(seconds=delay)
    records.mark_retrying(engine, attempt.job_id, f"{reason}: {message}", not_before)
    logger.warning("job %s %s: %s; retry in %ds", attempt.name, attempt.job_id, reason, delay)
    return (
        error if isinstance(error, TransientJobError) else TransientJobError(f"{reason}: {message}")
    )
