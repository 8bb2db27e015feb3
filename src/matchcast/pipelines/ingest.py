"""DVC stage ``ingest``: resolve the run's ``as_of`` once, then read every configured source.

The only place that turns ``data.as_of: today`` into a date (``matchcast.data.as_of``):
the decision is written to ``as_of.json``, which every later stage reads.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pandas as pd
import typer

from matchcast.config import get_settings
from matchcast.data import clock
from matchcast.data import columns as c
from matchcast.data.as_of import REPLAY, AsOf, resolve_as_of
from matchcast.data.ingest import IngestResult, ingest
from matchcast.data.params import DataParams, load_data_params
from matchcast.data.publish import csv_writer, json_writer, parquet_writer, publish_together
from matchcast.data.sources.fetch import Fetcher

logger = logging.getLogger(__name__)


def _latest(matches: pd.DataFrame) -> pd.Timestamp | None:
    dates = pd.to_datetime(matches[c.DATE], errors="coerce").dropna()
    return None if dates.empty else dates.max()


def ingest_as_of(params: DataParams, fetcher: Fetcher) -> tuple[AsOf, IngestResult]:
    """Resolve ``as_of`` (live at today, or a replay) and ingest the sources for it."""
    if not isinstance(params.as_of, str):
        as_of = resolve_as_of(params.as_of, clock.today(), params.replay_as_of, None)
        return as_of, ingest(params, fetcher)
    today = clock.today()
    result = ingest(params.at(today), fetcher)
    latest = _latest(result.matches)
    as_of = resolve_as_of(
        "today", today, params.replay_as_of, None if latest is None else latest.date()
    )
    if as_of.mode == REPLAY and (
        params.at(as_of.as_of).season_labels() != params.at(today).season_labels()
    ):
        result = ingest(params.at(as_of.as_of), fetcher)
    return as_of, result


def main(
    params: Path = typer.Option(Path("params.yaml"), help="Params file (its data: section)."),
    cache: Path = typer.Option(..., help="Download cache folder, keyed by URL."),
    out: Path = typer.Option(..., help="Canonical rows as parsed (parquet)."),
    quarantine: Path = typer.Option(..., help="Rows repaired or dropped while parsing (CSV)."),
    report: Path = typer.Option(..., help="Per-file ingest report (JSON)."),
    as_of_out: Path = typer.Option(..., "--as-of-out", help="The run's resolved as_of (JSON)."),
) -> None:
    """Resolve ``as_of``, fetch (or read locally) every configured file, parse canonical rows."""
    started = time.perf_counter()
    settings = get_settings()
    data_params = load_data_params(params, settings.football_data)
    fetcher = Fetcher(cache, timeout_s=settings.http_timeout_s, retries=settings.http_retries)
    as_of, result = ingest_as_of(data_params, fetcher)
    result.report["as_of"] = as_of.to_dict()
    result.report["resolved_at"] = clock.now().isoformat(timespec="seconds")
    result.report["seconds"] = round(time.perf_counter() - started, 2)
    publish_together(
        {
            out: parquet_writer(result.matches),
            quarantine: csv_writer(result.issues),
            report: json_writer(result.report),
            as_of_out: json_writer(dict(as_of.to_dict())),
        }
    )
    typer.echo(as_of.label, err=True)
    logger.info(
        "ingest wrote %d rows to %s in %.1fs", len(result.matches), out, result.report["seconds"]
    )
