"""The Celery tasks: ids and arguments in, retries out, then :func:`run_attempt`.

``autoretry_for`` retries :class:`TransientJobError` with exponential backoff
(``MATCHCAST_JOB_RETRY_BACKOFF_S`` doubling up to ``..._MAX_S``, no jitter, at most
``MATCHCAST_JOB_MAX_RETRIES`` times); a permanent error fails the task at once.
"""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from matchcast.config import get_settings
from matchcast.tasks.celery_config import TIME_LIMITS
from matchcast.tasks.errors import TransientJobError
from matchcast.tasks.jobs import Attempt, run_attempt, store_engine, worker_id
from matchcast.tasks.names import task_name

_SETTINGS = get_settings()
_RETRY: dict[str, Any] = {
    "bind": True,
    "autoretry_for": (TransientJobError,),
    "retry_backoff": _SETTINGS.job_retry_backoff_s,
    "retry_backoff_max": _SETTINGS.job_retry_backoff_max_s,
    "retry_jitter": False,
    "max_retries": _SETTINGS.job_max_retries,
    "acks_late": True,
    "reject_on_worker_lost": True,
}


def _run(task: Task, name: str, job_id: str, as_of: str | None) -> dict[str, Any]:
    settings = get_settings()
    retries = int(task.request.retries or 0)
    attempt = Attempt(
        job_id=job_id,
        name=name,
        as_of=as_of,
        final=retries >= int(task.max_retries or 0),
        retries_so_far=retries,
    )
    return run_attempt(attempt, settings, store_engine(settings.database_url), worker_id())


@shared_task(  # type: ignore[untyped-decorator]
    name=task_name("refresh_data"),
    soft_time_limit=TIME_LIMITS["refresh_data"][0],
    time_limit=TIME_LIMITS["refresh_data"][1],
    **_RETRY,
)
def refresh_data(self: Task, job_id: str, as_of: str | None = None) -> dict[str, Any]:
    """Ingest new results and fixtures, validate, store."""
    return _run(self, "refresh_data", job_id, as_of)


@shared_task(  # type: ignore[untyped-decorator]
    name=task_name("batch_inference"),
    soft_time_limit=TIME_LIMITS["batch_inference"][0],
    time_limit=TIME_LIMITS["batch_inference"][1],
    **_RETRY,
)
def batch_inference(self: Task, job_id: str, as_of: str | None = None) -> dict[str, Any]:
    """Forecast every scheduled match (then monitor), reload the API."""
    return _run(self, "batch_inference", job_id, as_of)


@shared_task(  # type: ignore[untyped-decorator]
    name=task_name("retrain"),
    soft_time_limit=TIME_LIMITS["retrain"][0],
    time_limit=TIME_LIMITS["retrain"][1],
    **_RETRY,
)
def retrain(self: Task, job_id: str, as_of: str | None = None) -> dict[str, Any]:
    """Run the whole pipeline: train, evaluate, register (promotion by the rules), forecast."""
    return _run(self, "retrain", job_id, as_of)
