"""Worker heartbeats in the SQL store: which job workers are alive (migration 0003).

A job worker process writes one row (``host:pid``) when it starts and refreshes its
``heartbeat_at`` every few seconds while it runs, idle or busy; it marks the row stopped
when it exits, and so does the supervisor that saw it die. A worker is alive while its
heartbeat is recent; :func:`liveness` says so with a reason, for ``/readyz`` and metrics.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from matchcast.data.store.jobs import now_utc
from matchcast.data.store.tables import WORKERS


@dataclass(frozen=True)
class WorkerRow:
    """One worker as stored."""

    worker: str
    runner: str
    started_at: dt.datetime
    heartbeat_at: dt.datetime
    stopped_at: dt.datetime | None
    stop_reason: str | None


@dataclass(frozen=True)
class Liveness:
    """Whether a job worker of a runner is alive, and why (or why not)."""

    alive: bool
    reason: str
    workers: list[str]  # the live ones
    heartbeat_age_s: float | None  # of the freshest heartbeat of a running worker


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def beat(engine: Engine, worker: str, runner: str = "local") -> None:
    """Record that ``worker`` is alive now (inserting its row on the first beat)."""
    now = now_utc()
    with engine.begin() as connection:
        updated = connection.execute(
            WORKERS.update()
            .where(WORKERS.c.worker == worker)
            .values(heartbeat_at=now, stopped_at=None, stop_reason=None)
        )
        if not updated.rowcount:
            connection.execute(
                WORKERS.insert().values(
                    worker=worker, runner=runner, started_at=now, heartbeat_at=now
                )
            )


def mark_stopped(engine: Engine, worker: str, reason: str) -> None:
    """Record that ``worker`` exited (cleanly, or killed: ``reason`` says which)."""
    with engine.begin() as connection:
        connection.execute(
            WORKERS.update()
            .where(WORKERS.c.worker == worker, WORKERS.c.stopped_at.is_(None))
            .values(stopped_at=now_utc(), stop_reason=reason)
        )


def list_workers(engine: Engine, runner: str = "local") -> list[WorkerRow]:
    """Every worker of ``runner`` ever recorded, freshest heartbeat first."""
    query = (
        sa.select(WORKERS).where(WORKERS.c.runner == runner).order_by(WORKERS.c.heartbeat_at.desc())
    )
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [
        WorkerRow(
            worker=row["worker"],
            runner=row["runner"],
            started_at=_aware(row["started_at"]),
            heartbeat_at=_aware(row["heartbeat_at"]),
            stopped_at=None if row["stopped_at"] is None else _aware(row["stopped_at"]),
            stop_reason=row["stop_reason"],
        )
        for row in rows
    ]


def liveness(
    engine: Engine, stale_after_s: float, runner: str = "local", now: dt.datetime | None = None
) -> Liveness:
    """Whether a worker of ``runner`` beat within ``stale_after_s`` seconds.

    Args:
        engine: The store.
        stale_after_s: A heartbeat older than this is a dead (or hung) worker.
        runner: Which kind of worker (``local``).
        now: The time to judge against (default: now).
    """
    now = now or now_utc()
    rows = list_workers(engine, runner)
    running = [r for r in rows if r.stopped_at is None]
    ages = {r.worker: (now - r.heartbeat_at).total_seconds() for r in running}
    alive = [name for name, age in ages.items() if age <= stale_after_s]
    freshest = min(ages.values()) if ages else None
    if alive:
        return Liveness(True, f"{len(alive)} {runner} worker(s) alive", alive, freshest)
    if freshest is not None:
        reason = f"no {runner} job worker heartbeat for {freshest:.0f} s (> {stale_after_s:.0f} s)"
    elif rows:
        last = rows[0]
        reason = f"{runner} job worker {last.worker} stopped: {last.stop_reason or 'unknown'}"
    else:
        reason = f"no {runner} job worker has started"
    return Liveness(False, reason, [], freshest)
