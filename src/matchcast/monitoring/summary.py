"""``matchcast summary``: print what the last pipeline run produced (CLI edge only)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table


def _load(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def main(
    reports: Path = typer.Option(Path("reports"), help="Folder of the pipeline's JSON reports."),
) -> None:
    """Summarise ingest, validation and (when present) evaluation reports."""
    console = Console()
    ingest = _load(reports / "ingest.json")
    validation = _load(reports / "validation.json")
    metrics = _load(reports / "metrics.json")
    if ingest is None and validation is None:
        console.print("[yellow]No reports yet: run `dvc repro` first.[/yellow]")
        raise typer.Exit(code=1)
    if ingest:
        console.print(
            f"[bold]ingest[/bold]: {ingest['rows']:,} rows from {ingest['files_read']} files "
            f"({len(ingest['files_missing'])} seasons missing at the source) "
            f"from {ingest['source']} in {ingest.get('seconds', '?')} s — fetch {ingest['fetch']}"
        )
    if validation:
        console.print(
            f"[bold]validate[/bold]: {validation['rows_out']:,} matches "
            f"({validation['finished']:,} finished, {validation['scheduled']:,} scheduled after "
            f"{validation['as_of']}); {validation['dropped']} rows quarantined, "
            f"{validation['repaired']} repaired, in {validation.get('seconds', '?')} s"
        )
        table = Table(title="matches per league")
        table.add_column("league")
        table.add_column("seasons", justify="right")
        table.add_column("matches", justify="right")
        for league, seasons in sorted(validation["matches_per_league_season"].items()):
            table.add_row(league, str(len(seasons)), f"{sum(seasons.values()):,}")
        console.print(table)
    if metrics:
        test, market, gap = (
            metrics.get("test", {}),
            metrics.get("market", {}),
            metrics.get("gap", {}),
        )
        console.print(
            f"[bold]evaluate[/bold]: model log-loss {test.get('log_loss', float('nan')):.4f} "
            f"RPS {test.get('rps', float('nan')):.4f} on {test.get('n', 0):,} test matches; market "
            f"{market.get('log_loss', float('nan')):.4f} / {market.get('rps', float('nan')):.4f}; "
            f"gap {gap.get('log_loss', float('nan')):+.4f} / {gap.get('rps', float('nan')):+.4f}"
        )
