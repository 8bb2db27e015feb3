"""DVC stage ``ingest``: read every configured source into ``raw_matches.parquet``."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import typer

from matchcast.config import get_settings
from matchcast.data.ingest import ingest
from matchcast.data.params import load_data_params
from matchcast.data.publish import csv_writer, json_writer, parquet_writer, publish_together
from matchcast.data.sources.fetch import Fetcher

logger = logging.getLogger(__name__)


def main(
    params: Path = typer.Option(Path("params.yaml"), help="Params file (its data: section)."),
    cache: Path = typer.Option(..., help="Download cache folder, keyed by URL."),
    out: Path = typer.Option(..., help="Canonical rows as parsed (parquet)."),
    quarantine: Path = typer.Option(..., help="Rows repaired or dropped while parsing (CSV)."),
    report: Path = typer.Option(..., help="Per-file ingest report (JSON)."),
) -> None:
    """Fetch (or read locally) every configured file and parse it into canonical rows."""
    started = time.perf_counter()
    settings = get_settings()
    data_params = load_data_params(params, settings.football_data)
    fetcher = Fetcher(cache, timeout_s=settings.http_timeout_s, retries=settings.http_retries)
    result = ingest(data_params, fetcher)
    result.report["seconds"] = round(time.perf_counter() - started, 2)
    publish_together(
        {
            out: parquet_writer(result.matches),
            quarantine: csv_writer(result.issues),
            report: json_writer(result.report),
        }
    )
    logger.info(
        "ingest wrote %d rows to %s in %.1fs", len(result.matches), out, result.report["seconds"]
    )
