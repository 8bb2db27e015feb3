"""Alembic environment of the matchcast store.

Run programmatically by :func:`matchcast.data.store.upgrade`, which hands over an open
connection in ``config.attributes["connection"]``. From the command line
(``alembic -c alembic.ini ...``) the URL comes from ``-x url=...``, then
``sqlalchemy.url`` in the ini file, then ``MATCHCAST_DATABASE_URL`` via Settings.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from matchcast.config import get_settings
from matchcast.data.store import METADATA, create_engine_for


def _url() -> str:
    return (
        context.get_x_argument(as_dictionary=True).get("url")
        or context.config.get_main_option("sqlalchemy.url")
        or get_settings().database_url
    )


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=METADATA,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_offline() -> None:
    context.configure(url=_url(), target_metadata=METADATA, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine_for(_url())
    try:
        with engine.connect() as own_connection:
            _run(own_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    _run_offline()
else:
    _run_online()
