"""DVC stage ``validate``: apply the contracts, quarantine bad rows, publish matches.parquet."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pandas as pd
import typer

from matchcast.data.as_of import read_as_of
from matchcast.data.io import write_csv, write_json, write_parquet
from matchcast.data.params import load_section
from matchcast.data.validation import GateError, validate_matches

logger = logging.getLogger(__name__)


def main(
    params: Path = typer.Option(Path("params.yaml"), help="Params file (validate:)."),
    as_of_path: Path = typer.Option(
        Path("data/interim/as_of.json"), "--as-of", help="The run's as_of (from ingest)."
    ),
    raw: Path = typer.Option(..., help="Parsed rows from the ingest stage (parquet)."),
    ingest_quarantine: Path = typer.Option(..., help="Rows the parser repaired (CSV)."),
    out: Path = typer.Option(..., help="The published match table (parquet)."),
    quarantine: Path = typer.Option(
        ..., help="Every dropped or repaired row with its reason (CSV)."
    ),
    report: Path = typer.Option(..., help="Validation summary (JSON)."),
) -> None:
    """Validate parsed rows against the contracts; fail on a breached gate."""
    started = time.perf_counter()
    as_of = read_as_of(as_of_path).as_of
    max_share = float(load_section(params, "validate").get("max_bad_row_share", 0.005))
    issues = pd.read_csv(ingest_quarantine, dtype={"raw": str, "reason": str})
    try:
        result = validate_matches(pd.read_parquet(raw), issues, as_of, max_share)
    except GateError as error:
        logger.error("validation gate breached: %s", error)
        raise typer.Exit(code=1) from error
    write_parquet(result.matches, out)
    write_csv(result.quarantine, quarantine)
    result.report["seconds"] = round(time.perf_counter() - started, 2)
    write_json(result.report, report)
    logger.info(
        "validate published %d matches to %s in %.1fs",
        len(result.matches),
        out,
        result.report["seconds"],
    )
