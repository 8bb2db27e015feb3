"""The ``matchcast`` command line: one sub-command per pipeline stage plus operations.

Commands are thin: each is a typed ``main`` function next to the code it drives (the DVC
stages in ``pipelines/``, jobs and workflow steps in ``tasks/``, serving in ``app/``) and is
only listed here. Modules are imported when their command
runs, so ``matchcast --help`` or ``matchcast ingest`` does not pay for MLflow or LightGBM.
Logging is configured once, at this entry point.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import warnings

import typer
from typer import _click as click  # typer vendors click; its Group API is this one
from typer.core import TyperGroup

# command → (module under matchcast holding its ``main``, help line of ``matchcast --help``)
COMMANDS: dict[str, tuple[str, str]] = {
    "ingest": (
        "pipelines.ingest",
        "Fetch or read every configured file and parse it into canonical rows.",
    ),
    "validate": (
        "pipelines.validate",
        "Apply the data contracts, quarantine bad rows, publish matches.",
    ),
    "store": ("pipelines.store_sync", "Upsert teams and matches into the SQL store."),
    "db-upgrade": ("data.migrate", "Run the store's Alembic migrations."),
    "features": ("pipelines.features", "Compute point-in-time features of every match."),
    "train": (
        "pipelines.train",
        "Tune the model on walk-forward folds and fit it on the training seasons.",
    ),
    "evaluate": (
        "pipelines.evaluate",
        "Score model, baselines and market on the same test matches.",
    ),
    "markets": (
        "pipelines.markets",
        "Benchmark the goal markets against the closing line; fit the scoreline model.",
    ),
    "market-aware": (
        "pipelines.market_aware",
        "Compare the market-aware 1X2 forecast with the model and the prices; fit it.",
    ),
    "register": (
        "pipelines.register",
        "Log, gate and register the model in MLflow; refit for serving.",
    ),
    "promote": (
        "models.promote",
        "Make a registered version (default: the candidate) the champion.",
    ),
    "batch-inference": (
        "pipelines.batch_inference",
        "Forecast every scheduled match with the champion.",
    ),
    "publish-batch": (
        "data.publish_batch",
        "Publish forecast files to the store as a new batch (replicas follow it).",
    ),
    "monitor": (
        "pipelines.monitor",
        "Drift of the scheduled matches; live quality of the logged forecasts.",
    ),
    "workflow": (
        "tasks.workflow",
        "Run an operational step: a group of DVC stages or an API reload.",
    ),
    "stages": (
        "tasks.stages",
        "Run DVC stages' commands in one process (the daily step; then dvc commit).",
    ),
    "serve": ("app.serve", "Serve the forecasts over HTTP."),
    "worker": (
        "tasks.worker",
        "Run jobs: a Celery worker with a broker, the local worker without.",
    ),
    "summary": ("monitoring.summary", "Print what the last pipeline run produced."),
}


class LazyGroup(TyperGroup):
    """A command group that imports a command's module only when that command is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(f"matchcast.{COMMANDS[cmd_name][0]}")
        single = typer.Typer(add_completion=False, rich_markup_mode=None)
        single.command(cmd_name)(module.main)
        command = typer.main.get_command(single)
        command.name = cmd_name
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, text) for name, (_, text) in COMMANDS.items()])


app = typer.Typer(
    name="matchcast",
    cls=LazyGroup,
    help="Football 1X2 forecasts: data pipeline, model registry and serving.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

# Expected failures: (module, exception class) -> what the user can do about it.
EXPECTED_FAILURES: dict[tuple[str, str], str] = {
    ("matchcast.data.sources.fetch", "FetchError"): (
        "check the network, or point data.football_data / MATCHCAST_FOOTBALL_DATA at a "
        "reachable mirror or folder"
    ),
    ("matchcast.data.ingest", "EmptySourceError"): (
        "check data.leagues, data.seasons and data.fixtures in params.yaml against the source"
    ),
    ("matchcast.data.validation", "GateError"): (
        "see reports/validation.json and data/quarantine/ for the rows and their reasons"
    ),
    ("pydantic_core._pydantic_core", "ValidationError"): "fix the value in params.yaml",
    ("matchcast.tasks.stages", "StageCommandError"): (
        "check the stage names and their commands in dvc.yaml"
    ),
    ("matchcast.models.champion", "NoChampionError"): (
        "reports/registry.json lists the gate failures; to serve its serving_version anyway, "
        "`matchcast promote --version <serving_version>`"
    ),
}


def _explain(error: BaseException) -> str | None:
    """One line for an expected failure (None: unexpected, keep the traceback)."""
    for klass in type(error).__mro__:
        hint = EXPECTED_FAILURES.get((klass.__module__, klass.__name__))
        if hint is None:
            continue
        text = str(error).strip()
        if klass.__name__ == "ValidationError":
            first = error.errors()[0]  # type: ignore[attr-defined]
            where = ".".join(str(part) for part in first["loc"])
            text = f"bad parameter {where}: {first['msg']} (got {first.get('input')!r})"
        return f"error: {text.splitlines()[0] if text else klass.__name__}; {hint}"
    return None


def main() -> None:
    """The ``matchcast`` entry point: expected failures end in one line, not a traceback."""
    try:
        app()
    except Exception as error:
        line = _explain(error)
        if line is None or {"--verbose", "-v"} & set(sys.argv[1:2]):
            raise
        print(line, file=sys.stderr)  # noqa: T201 - the console edge
        print("(run again with --verbose for the traceback)", file=sys.stderr)  # noqa: T201
        sys.exit(1)


@app.callback()
def _main(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log at DEBUG level."),
) -> None:
    """Configure logging once for every command; quiet the libraries' routine noise."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if verbose:
        return
    # Nothing here is actionable for a user: migration plumbing, MLflow's table set-up and
    # its advice on how models are serialised (ours are pickled on purpose, ADR-0004).
    logging.getLogger("alembic").setLevel(logging.WARNING)
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    logging.getLogger("mlflow.pyfunc").addFilter(
        lambda record: "CloudPickle" not in record.getMessage()
    )
    warnings.filterwarnings("ignore", message=r".*Add type hints to the `predict` method.*")


if __name__ == "__main__":  # `python -m matchcast.cli`: how the workflow starts `stages`
    main()
