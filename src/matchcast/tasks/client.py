"""What the API uses: submit a job by name and read its record; it never runs a job.

With a broker the job record is written, then the task is published by name (the
publisher registers no tasks); without one the record itself is the queue entry the
local worker claims.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from celery import Celery
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from matchcast.config import Settings
from matchcast.data.store import jobs as records
from matchcast.data.store import open_store
from matchcast.tasks.celery_config import CeleryConfig
from matchcast.tasks.names import JOB_NAMES, task_name

logger = logging.getLogger(__name__)


class QueueUnavailable(RuntimeError):
    """The broker refused or could not take the job."""


class StoreUnavailable(RuntimeError):
    """The job store (the SQL database) cannot be reached."""


@dataclass(frozen=True)
class JobsConfig:
    """Where job records live and how jobs are queued."""

    database_url: str
    celery: CeleryConfig | None = None
    # A supervised local worker runs beside the API (matchcast serve): watch its heartbeat.
    local_worker_expected: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> JobsConfig:
        """From the ``MATCHCAST_*`` settings."""
        celery = CeleryConfig.from_settings(settings)
        expected = settings.local_worker_supervised and celery is None
        return cls(settings.database_url, celery, expected)

    @property
    def runner(self) -> str:
        """``celery`` with a broker, else ``local``."""
        return "local" if self.celery is None else "celery"


class JobClient:
    """Submits jobs and reads their records (one per API process)."""

    def __init__(self, config: JobsConfig) -> None:
        """Connect lazily: nothing is opened before the first call."""
        self.config = config
        self._engine: Engine | None = None
        self._celery: Celery | None = None

    @property
    def engine(self) -> Engine:
        """The store's engine, migrated on first use."""
        if self._engine is None:
            self._engine = open_store(self.config.database_url)
        return self._engine

    def _publisher(self) -> Celery:
        if self._celery is None:
            from matchcast.tasks.app import create_celery_app

            assert self.config.celery is not None
            self._celery = create_celery_app(self.config.celery, with_tasks=False)
        return self._celery

    def submit(
        self, name: str, params: Mapping[str, Any], request_id: str | None = None
    ) -> records.JobRecord:
        """Record a job and queue it.

        Args:
            name: Job name.
            params: The job's arguments.
            request_id: Id of the HTTP request that submitted it: stored with the job,
                logged with the job id here and by the worker, and sent in the Celery
                message's headers.

        Raises:
            KeyError: Unknown job name.
            StoreUnavailable: The job store cannot be reached (nothing was queued).
            QueueUnavailable: The broker could not take it (the record says ``failed``).
        """
        if name not in JOB_NAMES:
            raise KeyError(name)
        try:
            record = records.create_job(
                self.engine, name, params, self.config.runner, request_id=request_id
            )
        except DBAPIError as error:
            raise StoreUnavailable(_store_error(error)) from error
        logger.info(
            "job %s (%s) submitted by request %s",
            record.job_id,
            name,
            request_id,
            extra={"job_id": record.job_id, "request_id": request_id},
        )
        if self.config.celery is None:
            return record
        try:
            self._publisher().send_task(
                task_name(name),
                kwargs={"job_id": record.job_id, **params},
                task_id=record.job_id,
                headers={"request_id": request_id},
            )
        except Exception as error:  # kombu raises several kinds when the broker is down
            records.mark_failed(self.engine, record.job_id, f"could not enqueue: {error}")
            raise QueueUnavailable(f"the broker did not take the job: {error}") from error
        return record

    def get(self, job_id: str) -> records.JobRecord | None:
        """The job's record, or None.

        Raises:
            StoreUnavailable: The job store cannot be reached.
        """
        try:
            return records.get_job(self.engine, job_id)
        except DBAPIError as error:
            raise StoreUnavailable(_store_error(error)) from error

    def close(self) -> None:
        """Release connections."""
        if self._engine is not None:
            self._engine.dispose()
        if self._celery is not None:
            self._celery.close()


def _store_error(error: DBAPIError) -> str:
    # The driver's first line says what failed (refused, unknown host, ...); no URL or query.
    first = str(error.orig).strip().splitlines()[0] if error.orig is not None else ""
    return f"the job store cannot be reached: {type(error.orig).__name__}: {first}"
