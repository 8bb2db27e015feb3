"""Published forecast batches in the SQL store (migration 0005): the shared copy of a batch.

``batch_inference`` writes its files (the parquet stays the bulk artifact, ADR-0006) and
then publishes the same bytes here as one numbered batch. The batch row and its files are
inserted in one transaction, so a reader on any host sees a batch whole or not at all;
on PostgreSQL the same transaction sends ``NOTIFY`` on :data:`BATCH_CHANNEL`, which
PostgreSQL delivers only once it commits. API replicas follow the newest batch
(``matchcast.app.batch_follower``). Only the newest ``keep`` batches are kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from matchcast.data.store.jobs import now_utc
from matchcast.data.store.tables import FORECAST_BATCH_FILES, FORECAST_BATCHES

BATCH_CHANNEL = "matchcast_forecast_batches"
KEEP_BATCHES = 5


@dataclass(frozen=True)
class PublishedBatch:
    """One batch as stored: its version, the model that made it and its files by role."""

    version: int
    model_version: str
    published_at: dt.datetime
    files: dict[str, bytes]


def publish_batch(
    engine: Engine, files: Mapping[str, bytes], model_version: str, keep: int = KEEP_BATCHES
) -> int:
    """Store one batch's files as the newest batch, atomically, and announce it.

    Args:
        engine: The SQL store (migrated).
        files: Role (``predictions``, ``model``, ``finished`` ...) -> the file's bytes.
        model_version: The registered model version that made the forecasts.
        keep: How many batches to keep, the newest first (older ones are deleted).

    Returns:
        The new batch's version (increasing).

    Raises:
        ValueError: No predictions or no model card among ``files``.
    """
    missing = [role for role in ("predictions", "model") if role not in files]
    if missing:
        raise ValueError(f"a forecast batch needs {', '.join(missing)}")
    if keep < 1:
        raise ValueError(f"keep must be at least 1, got {keep}")
    with engine.begin() as connection:
        version = connection.execute(
            FORECAST_BATCHES.insert()
            .values(model_version=model_version, published_at=now_utc())
            .returning(FORECAST_BATCHES.c.version)
        ).scalar_one()
        connection.execute(
            FORECAST_BATCH_FILES.insert(),
            [
                {
                    "version": version,
                    "name": role,
                    "content": content,
                    "md5": hashlib.md5(content, usedforsecurity=False).hexdigest(),
                }
                for role, content in files.items()
            ],
        )
        old = sa.select(FORECAST_BATCHES.c.version).where(
            FORECAST_BATCHES.c.version <= version - keep
        )
        connection.execute(
            FORECAST_BATCH_FILES.delete().where(FORECAST_BATCH_FILES.c.version.in_(old))
        )
        connection.execute(
            FORECAST_BATCHES.delete().where(FORECAST_BATCHES.c.version <= version - keep)
        )
        if engine.dialect.name == "postgresql":
            connection.execute(
                sa.text("SELECT pg_notify(:channel, :payload)"),
                {"channel": BATCH_CHANNEL, "payload": str(version)},
            )
    return int(version)


def latest_batch_version(engine: Engine) -> int | None:
    """The newest published batch's version, or None when none was published."""
    with engine.connect() as connection:
        value = connection.execute(sa.select(sa.func.max(FORECAST_BATCHES.c.version))).scalar()
    return None if value is None else int(value)


def load_batch(engine: Engine, version: int) -> PublishedBatch:
    """Read one batch with its files.

    Raises:
        LookupError: No such batch (never published, or deleted as too old).
    """
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(FORECAST_BATCHES).where(FORECAST_BATCHES.c.version == version)
        ).first()
        if row is None:
            raise LookupError(f"forecast batch {version} is not in the store")
        rows = connection.execute(
            sa.select(FORECAST_BATCH_FILES.c.name, FORECAST_BATCH_FILES.c.content).where(
                FORECAST_BATCH_FILES.c.version == version
            )
        ).all()
    published_at = row.published_at
    if published_at.tzinfo is None:  # SQLite drops the zone
        published_at = published_at.replace(tzinfo=dt.UTC)
    return PublishedBatch(
        version=int(row.version),
        model_version=str(row.model_version),
        published_at=published_at,
        files={str(name): bytes(content) for name, content in rows},
    )
