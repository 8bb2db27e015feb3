"""DVC stage ``monitor``: drift of the scheduled matches and live quality of the logged forecasts.

Reads the features, the match table, the batch's predictions and model card, the
evaluation's out-of-sample forecasts and the store's prediction log
(``MATCHCAST_DATABASE_URL``); writes ``drift.json``, ``drift.html`` and
``live_quality.json`` atomically. The run is
:func:`matchcast.monitoring.run.run_monitor`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from matchcast.config import get_settings
from matchcast.data.as_of import read_as_of
from matchcast.data.params import load_section
from matchcast.monitoring.run import MonitorParams, run_monitor


def main(
    features: Annotated[Path, typer.Option(help="Features parquet (finished and scheduled).")],
    matches: Annotated[Path, typer.Option(help="Canonical match table (results, odds).")],
    predictions: Annotated[Path, typer.Option(help="The batch's predictions parquet.")],
    model: Annotated[Path, typer.Option(help="The batch's model.json (feature columns).")],
    reference_predictions: Annotated[
        Path, typer.Option(help="Out-of-sample forecasts of the evaluation (reference).")
    ],
    drift_out: Annotated[Path, typer.Option(help="drift.json to write.")],
    drift_html: Annotated[Path, typer.Option(help="drift.html to write.")],
    live_quality_out: Annotated[Path, typer.Option(help="live_quality.json to write.")],
    params: Annotated[Path, typer.Option(help="Params file (monitor).")] = Path("params.yaml"),
    as_of_path: Annotated[
        Path, typer.Option("--as-of", help="The run's as_of (from ingest).")
    ] = Path("data/interim/as_of.json"),
) -> None:
    """Write the drift report and score the prediction log against the results."""
    as_of = read_as_of(as_of_path).as_of.isoformat()
    run_monitor(
        features,
        matches,
        predictions,
        model,
        reference_predictions,
        drift_out,
        drift_html,
        live_quality_out,
        as_of=as_of,
        params=MonitorParams.from_section(load_section(params, "monitor")),
        database_url=get_settings().database_url,
    )
