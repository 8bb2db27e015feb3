"""The ``matchcast`` command line: one sub-command per pipeline stage plus operations.

Commands are thin: each lives next to the code it drives (``pipelines/<stage>.py``)
and is only registered here. Logging is configured once, at this entry point.
"""

from __future__ import annotations

import logging

import typer

from matchcast.pipelines import ingest, validate

app = typer.Typer(
    name="matchcast",
    help="Football 1X2 forecasts: data pipeline, model registry and serving.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _main(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log at DEBUG level."),
) -> None:
    """Configure logging once for every command."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


app.command("ingest")(ingest.main)
app.command("validate")(validate.main)
