"""Operations command ``db-upgrade``: migrate the SQL store to the newest schema."""

from __future__ import annotations

import logging

import typer
from sqlalchemy.engine import make_url

from matchcast.config import get_settings
from matchcast.data.store import upgrade

logger = logging.getLogger(__name__)


def main(
    url: str | None = typer.Option(
        None, "--url", help="Database URL; default MATCHCAST_DATABASE_URL (SQLite file)."
    ),
    revision: str = typer.Option("head", help="Alembic revision to migrate to."),
) -> None:
    """Run the store's Alembic migrations (creates the database schema when new)."""
    database_url = url or get_settings().database_url
    shown = make_url(database_url).render_as_string(hide_password=True)
    logger.info("migrating %s to %s", shown, revision)
    upgrade(database_url, revision)
