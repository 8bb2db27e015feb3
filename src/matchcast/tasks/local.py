"""The local worker: runs jobs from the SQL store's ``jobs`` table when there is no broker.

A separate process (``matchcast worker`` without ``MATCHCAST_BROKER_URL``; ``matchcast
serve`` starts one as a child), never a thread of the API and not Celery's eager mode. It
polls for due ``queued``/``retrying`` jobs, claims one with a compare-and-set UPDATE, runs
the same :func:`run_attempt` as the Celery tasks (same lock, same records), and beats a
heartbeat while it runs. A job whose worker stopped beating (killed) is put back in the
queue — the local counterpart of a broker redelivering an unacknowledged message. Retries
follow the same backoff as Celery's; SIGTERM / SIGINT let the current job finish. The
worker also beats its own row in the store's ``workers`` table, idle or busy, which is
how the API tells that it is alive (:mod:`matchcast.tasks.liveness`); ``matchcast serve``
supervises it (:mod:`matchcast.tasks.supervisor`).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from types import FrameType

from sqlalchemy.engine import Engine

from matchcast.config import Settings
from matchcast.data.store import jobs as records
from matchcast.data.store import workers
from matchcast.tasks.errors import PermanentJobError, TransientJobError
from matchcast.tasks.jobs import (
    HEARTBEAT_S,
    STALE_AFTER_S,
    Attempt,
    run_attempt,
    store_engine,
    worker_id,
)
from matchcast.tasks.keepalive import keep_alive

logger = logging.getLogger(__name__)


def run_local_worker(
    settings: Settings,
    stop: threading.Event | None = None,
    max_jobs: int | None = None,
    parent_pid: int | None = None,
) -> int:
    """Run jobs until stopped (a signal, ``stop``, ``max_jobs`` jobs done, parent gone).

    Args:
        settings: Store, project folder, retry and poll settings.
        stop: Set to stop after the current job (default: set by SIGTERM / SIGINT).
        max_jobs: Stop after this many attempts (tests); None = run forever.
        parent_pid: Stop once this process is no longer our parent (the server that
            started us exited, however it exited).

    Returns:
        The number of attempts run.
    """
    stop = stop or _stop_on_signals()
    engine = store_engine(settings.database_url)
    me = worker_id()
    logger.info("local worker %s polling %s for jobs", me, engine.url.render_as_string(True))
    workers.beat(engine, me)
    done = 0
    reason = "stopped"
    try:
        with keep_alive(
            lambda: workers.beat(engine, me),
            HEARTBEAT_S,
            name="worker-heartbeat",
            what=f"heartbeat of worker {me}",
        ):
            while not stop.is_set() and (max_jobs is None or done < max_jobs):
                if parent_pid is not None and os.getppid() != parent_pid:
                    logger.info("parent process %d is gone: stopping", parent_pid)
                    reason = f"parent process {parent_pid} is gone"
                    break
                if _run_one(settings, engine, me):
                    done += 1
                else:
                    stop.wait(settings.local_worker_poll_s)
    except BaseException as error:
        reason = f"{type(error).__name__}: {error}"
        raise
    finally:
        try:
            workers.mark_stopped(engine, me, reason)
        except Exception:  # the store is down: the heartbeat goes stale instead
            logger.exception("could not record that worker %s stopped", me)
    return done


def _run_one(settings: Settings, engine: Engine, me: str) -> bool:
    """Claim and run one due job; False when there was none."""
    for job_id in records.requeue_stale(engine, STALE_AFTER_S):
        logger.warning("job %s lost its worker; queued again", job_id)
    record = records.claim_next(engine, me)
    if record is None:
        return False
    attempt = Attempt(
        job_id=record.job_id,
        name=record.name,
        as_of=record.params.get("as_of"),
        final=record.attempts > settings.job_max_retries,
        retries_so_far=record.attempts - 1,
    )
    logger.info(
        "running job %s %s (attempt %d, request %s)",
        record.name,
        record.job_id,
        record.attempts,
        record.request_id,
        extra={"job_id": record.job_id, "request_id": record.request_id},
    )
    try:
        run_attempt(attempt, settings, engine, me, claimed=True)
    except (TransientJobError, PermanentJobError) as error:
        logger.warning("job %s %s: %s", record.name, record.job_id, error)
    return True


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def _handle(signum: int, _: FrameType | None) -> None:
        logger.info("signal %d: stopping after the current job", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _handle)
    signal.signal(signal.SIGINT, _handle)
    return stop
