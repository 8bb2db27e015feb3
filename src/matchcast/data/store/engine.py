"""Engines and migrations of the SQL store: SQLite by default, PostgreSQL by URL.

A store engine has one life cycle — create, migrate, use, dispose — and one context
manager for it, :func:`migrated_engine`. Long-lived holders (the API's job client, a
worker process) take :func:`open_store` and dispose of the engine when they close.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import filelock
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection, Engine, make_url

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"
_PG_LOCK_KEY = 0x6D61_7463  # "matc": serialises concurrent schema upgrades on PostgreSQL


def _normalise_url(url: str) -> sa.URL:
    parsed = make_url(url)
    if parsed.drivername == "postgresql":  # psycopg 3 is the driver we ship, not psycopg2
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def create_engine_for(url: str) -> Engine:
    """Create an engine for a store URL.

    SQLite files get their parent folder created and run with WAL journaling and
    enforced foreign keys; ``postgresql://`` URLs use the psycopg 3 driver.

    Args:
        url: ``sqlite:///path.db``, ``sqlite://`` (memory) or ``postgresql[+psycopg]://...``.

    Returns:
        A new engine; the caller disposes of it.
    """
    parsed = _normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, connect_args={"timeout": 30})
        sa.event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    return sa.create_engine(parsed, pool_pre_ping=True)


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def migration_lock_path(engine: Engine) -> Path | None:
    """The file lock that serialises schema upgrades of a SQLite file store (None otherwise)."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(f"{database}.migrate.lock")


def _migration_lock(engine: Engine) -> contextlib.AbstractContextManager[object]:
    # Two processes upgrading a fresh SQLite file at once (the server and the worker it
    # starts) race on CREATE TABLE: one fails with "table ... already exists" and dies.
    # An OS file lock (released by the kernel if the holder dies) makes them take turns;
    # the second then finds the schema at head and does nothing.
    path = migration_lock_path(engine)
    return contextlib.nullcontext() if path is None else filelock.FileLock(path, timeout=120)


def upgrade_engine(engine: Engine, revision: str = "head") -> None:
    """Run the Alembic migrations up to ``revision`` on an existing engine.

    Concurrent upgrades take turns: PostgreSQL under an advisory lock, a SQLite file
    under a file lock beside it (:func:`migration_lock_path`).

    Args:
        engine: Engine of the store.
        revision: Target revision (default the newest).
    """
    with _migration_lock(engine), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Two processes upgrading a fresh database at once would race on CREATE TABLE.
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        command.upgrade(_alembic_config(connection), revision)
    logger.info("store schema at revision %s", schema_revision(engine))


def open_store(url: str, revision: str = "head") -> Engine:
    """A new engine for the store at ``url``, migrated to ``revision``.

    For holders that keep the engine (the API's job client, a worker process); a
    caller that uses the store once takes :func:`migrated_engine` instead.

    Args:
        url: Database URL (see :func:`create_engine_for`).
        revision: Target revision (default the newest).

    Returns:
        The engine; the caller disposes of it.
    """
    engine = create_engine_for(url)
    try:
        upgrade_engine(engine, revision)
    except BaseException:
        engine.dispose()
        raise
    return engine


@contextmanager
def migrated_engine(url: str, revision: str | None = "head") -> Iterator[Engine]:
    """The life cycle of a store engine in one place: create, migrate, use, dispose.

    Args:
        url: Database URL (see :func:`create_engine_for`).
        revision: Target revision (default the newest); None leaves the schema as it
            is (for readers that must not create tables).

    Yields:
        The engine, disposed of when the block ends.
    """
    engine = create_engine_for(url) if revision is None else open_store(url, revision)
    try:
        yield engine
    finally:
        engine.dispose()


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the store at ``url`` to ``revision`` (creating it when new).

    Args:
        url: Database URL (see :func:`create_engine_for`).
        revision: Target revision (default the newest).
    """
    with migrated_engine(url, revision):
        pass


def schema_revision(engine: Engine) -> str | None:
    """Return the Alembic revision the store is at, or ``None`` when never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
