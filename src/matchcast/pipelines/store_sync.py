"""DVC stage ``store``: bring the SQL store's teams and matches in line with the match table."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pandas as pd
import typer

from matchcast.config import get_settings
from matchcast.data.io import write_json
from matchcast.data.store import sync_store

logger = logging.getLogger(__name__)


def main(
    matches: Path = typer.Option(..., help="The published match table (parquet)."),
    report: Path = typer.Option(..., help="Upsert counts (JSON)."),
    url: str | None = typer.Option(None, help="Database URL; default MATCHCAST_DATABASE_URL."),
) -> None:
    """Migrate the store and upsert teams and matches (unchanged rows are not rewritten)."""
    started = time.perf_counter()
    database_url = url or get_settings().database_url
    counts = sync_store(database_url, pd.read_parquet(matches))
    payload = {
        "database": database_url.split("@")[-1],
        **counts,
        "seconds": round(time.perf_counter() - started, 2),
    }
    write_json(payload, report)
    logger.info("store synced in %.1fs: %s", payload["seconds"], counts)
