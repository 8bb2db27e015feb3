"""DVC stage ``validate``: apply the contracts, quarantine bad rows, publish matches.parquet."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pandas as pd
import typer

from matchcast.data import evidence
from matchcast.data.as_of import read_as_of
from matchcast.data.ingest import plan_sources
from matchcast.data.params import load_data_params, load_section
from matchcast.data.publish import csv_writer, json_writer, parquet_writer, publish_together
from matchcast.data.shrink import NOT_COMPARED_KINDS as NOT_COMPARED
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
    """Validate parsed rows against the contracts; fail on a breached gate.

    The three outputs are published together. A breached gate publishes nothing (the last
    good set stays, ``persist: true`` in dvc.yaml) and writes this run's quarantine and
    report as ``<name>.failed.<ext>`` beside them (ADR-0011).
    """
    started = time.perf_counter()
    as_of = read_as_of(as_of_path).as_of
    data_params = load_data_params(params).at(as_of)
    section = load_section(params, "validate")
    max_share = float(section.get("max_bad_row_share", 0.005))
    accept_shrink = bool(section.get("accept_shrink", False))
    issues = pd.read_csv(ingest_quarantine, dtype={"raw": str, "reason": str})
    try:
        result = validate_matches(
            pd.read_parquet(raw),
            issues,
            as_of,
            max_share,
            previous_rows=previous_rows_per_file(report),
            accept_shrink=accept_shrink,
            configured_files=[
                s.relative for s in plan_sources(data_params) if s.kind not in NOT_COMPARED
            ],
        )
    except GateError as error:
        rows, summary = evidence.write_failure(
            str(error),
            error.quarantine,
            quarantine,
            report,
            as_of,
            {"rows_per_file": error.rows_per_file},
        )
        logger.error(
            "validation gate breached: %s. Nothing published (%s kept). This run's rows: %s "
            "(top reasons: %s); report: %s",
            error, out, rows, evidence.top_reasons(error.quarantine), summary,
        )  # fmt: skip
        raise typer.Exit(code=1) from error
    result.report["seconds"] = round(time.perf_counter() - started, 2)
    publish_together(
        {
            out: parquet_writer(result.matches),
            quarantine: csv_writer(result.quarantine),
            report: json_writer(result.report),
        }
    )
    evidence.clear_failure(quarantine, report)
    logger.info(
        "validate published %d matches to %s in %.1fs",
        len(result.matches),
        out,
        result.report["seconds"],
    )


def previous_rows_per_file(report: Path) -> dict[str, int] | None:
    """Rows per file recorded by the last successful run's report (None: no such run)."""
    try:
        previous = json.loads(report.read_text())
    except (OSError, ValueError):
        return None
    rows = previous.get("rows_per_file") if isinstance(previous, dict) else None
    return {str(k): int(v) for k, v in rows.items()} if isinstance(rows, dict) else None
