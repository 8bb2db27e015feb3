"""One job at a time per DVC project: a Redis lock when Redis is configured, else a file lock.

Every job runs DVC stages in the same project folder, and DVC itself refuses two runs in
one repository, so the lock is per project (it covers two runs of the same job, and also
two different jobs). A job that finds it held does not wait: it raises :class:`LockHeld`
(transient), its state becomes ``retrying`` with the holder in ``error``, and it runs again
after a backoff.

- Redis (``MATCHCAST_REDIS_URL`` or a Redis broker): redis-py's ``Lock`` with a TTL that a
  background thread extends every third of it while the job runs. Works across machines;
  a worker killed with SIGKILL keeps the lock until the TTL runs out.
- File (no Redis): ``filelock`` on ``<project>/.dvc/tmp/matchcast-job.lock`` (an OS lock
  that the kernel releases when the holder dies); workers must share the folder, which
  they do anyway since DVC runs there.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Iterator, Mapping
from pathlib import Path

import filelock
import redis

from matchcast.config import Settings
from matchcast.data.io import write_json
from matchcast.tasks.errors import LockHeld
from matchcast.tasks.keepalive import keep_alive

logger = logging.getLogger(__name__)

REDIS_KEY = "matchcast:job-lock:{digest}"
LOCK_FILE = Path(".dvc") / "tmp" / "matchcast-job.lock"
HOLDER_FILE = Path(".dvc") / "tmp" / "matchcast-job.holder.json"


def lock_key(project_dir: Path) -> str:
    """The Redis key of a project's lock (the resolved folder, hashed)."""
    digest = hashlib.sha1(str(project_dir.resolve()).encode(), usedforsecurity=False)
    return REDIS_KEY.format(digest=digest.hexdigest()[:16])


def _describe(holder: Mapping[str, str]) -> str:
    if not holder:
        return "another job"
    return (
        f"job {holder.get('job', '?')} {holder.get('job_id', '?')} on "
        f"{holder.get('worker', '?')} since {holder.get('since', '?')}"
    )


@contextlib.contextmanager
def project_lock(
    project_dir: Path, holder: Mapping[str, str], redis_url: str | None, ttl_s: float = 60.0
) -> Iterator[None]:
    """Hold the project's job lock for the duration of the block.

    Args:
        project_dir: The DVC project the job runs in.
        holder: Who holds it (``job``, ``job_id``, ``worker``, ``since``), shown to others.
        redis_url: Redis to lock in; None for the file lock.
        ttl_s: Redis lock expiry (extended while held).

    Raises:
        LockHeld: Another job holds the lock.
    """
    if redis_url:
        with _redis_lock(project_dir, holder, redis_url, ttl_s):
            yield
    else:
        with _file_lock(project_dir, holder):
            yield


@contextlib.contextmanager
def _redis_lock(
    project_dir: Path, holder: Mapping[str, str], url: str, ttl_s: float
) -> Iterator[None]:
    client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=10)
    key = lock_key(project_dir)
    lock = client.lock(key, timeout=ttl_s, blocking=False, thread_local=False)
    try:
        if not lock.acquire(token=json.dumps(dict(holder), sort_keys=True)):
            current = client.get(key)
            found = json.loads(current) if current else {}
            raise LockHeld(f"project {project_dir} is busy: {_describe(found)}", found)
        # A lock that expired or a Redis that went away is logged; the job keeps going.
        try:
            with keep_alive(
                lock.reacquire, ttl_s / 3, name="job-lock-extender", what=f"extending {key}"
            ):
                yield
        finally:
            with contextlib.suppress(redis.exceptions.LockError):
                lock.release()
    finally:
        client.close()


@contextlib.contextmanager
def _file_lock(project_dir: Path, holder: Mapping[str, str]) -> Iterator[None]:
    path = project_dir / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    info = project_dir / HOLDER_FILE
    lock = filelock.FileLock(path, is_singleton=False, thread_local=False)
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        try:
            found = json.loads(info.read_text())
        except (OSError, ValueError):
            found = {}
        raise LockHeld(f"project {project_dir} is busy: {_describe(found)}", found) from None
    try:
        write_json(dict(holder), info)
        yield
    finally:
        info.unlink(missing_ok=True)
        lock.release()


def lock_url(settings: Settings) -> str | None:
    """Redis to hold job locks in: the cache's Redis, else a Redis broker; None = file lock."""
    if settings.redis_url:
        return settings.redis_url
    if settings.broker_url and settings.broker_url.startswith(("redis://", "rediss://")):
        return settings.broker_url
    return None
