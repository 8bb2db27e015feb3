"""Which job errors are transient (retried with backoff) and which are permanent.

A job runs DVC stages in subprocesses, so most errors arrive as a
:class:`WorkflowError` carrying the end of DVC's output; they
are classified by what that output says. Errors raised in the job's own process (the
API reload, the job record, the lock) are classified by type.

Transient: DVC's repository lock held by another run, the project lock held by another
job, the source unreachable or answering 5xx / 408 / 425 / 429 after the fetcher's own
retries, the SQL store or MLflow unreachable, the API unreachable for its reload.
Everything else — a data contract gate, a missing stage, a bad parameter, a bug — is
permanent: running it again would fail the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import httpx
import redis.exceptions
import sqlalchemy.exc


class WorkflowError(RuntimeError):
    """A workflow step failed; the message carries the end of DVC's output."""


class TransientJobError(RuntimeError):
    """An attempt failed for a reason that may pass; the job is retried with backoff."""


class PermanentJobError(RuntimeError):
    """The job failed for a reason that another attempt would not fix."""


class LockHeld(TransientJobError):
    """Another job holds the project's lock."""

    def __init__(self, message: str, holder: Mapping[str, str] | None = None) -> None:
        """Keep who holds the lock (job name, id, worker, since), when known."""
        super().__init__(message)
        self.holder = dict(holder or {})


# reason → pattern searched in the output of a failed DVC run
OUTPUT_PATTERNS: dict[str, re.Pattern[str]] = {
    "DVC lock contention": re.compile(r"Unable to acquire lock"),
    "source unavailable": re.compile(
        r"could not fetch \S+: (?:Server error '5\d\d|Client error '(?:408|425|429)|"
        r"unexpected status (?:5\d\d|408|425|429)|.*(?:Connection refused|Connection reset|"
        r"timed out|Temporary failure in name resolution|Server disconnected|"
        r"Network is unreachable))"
    ),
    "database unavailable": re.compile(
        r"OperationalError.*(?:connection failed|could not connect|Connection refused|"
        r"server closed the connection|database is locked|terminating connection)"
    ),
    "tracking server unavailable": re.compile(r"Max retries exceeded with url"),
}

IN_PROCESS_TRANSIENT: dict[str, tuple[type[BaseException], ...]] = {
    "API unreachable": (httpx.TransportError,),
    "database unavailable": (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError),
    "Redis unavailable": (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError),
}


def transient_reason(error: BaseException) -> str | None:
    """Why ``error`` is transient, or None when it is permanent."""
    if isinstance(error, LockHeld):
        return "project locked by another job"
    if isinstance(error, TransientJobError):
        return "transient"
    if isinstance(error, WorkflowError):
        text = str(error)
        for reason, pattern in OUTPUT_PATTERNS.items():
            if pattern.search(text):
                return reason
        return None
    for reason, kinds in IN_PROCESS_TRANSIENT.items():
        if isinstance(error, kinds):
            return reason
    return None
