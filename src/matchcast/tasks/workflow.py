"""Operational steps over a DVC project: what Celery jobs and Airflow DAGs both call.

A *step* is a named group of DVC stages run with ``dvc repro --single-item`` in a project
folder (a checkout of this repository, or any folder holding its ``dvc.yaml`` and
``params.yaml``). Running single items lets the daily path refresh data and forecasts with
the champion already registered, without retraining; ``pipeline`` runs ``dvc repro`` whole
(retrain, evaluate, register by the registry's rules, then forecast). DVC stays the only
thing that decides what is stale and what is cached, so every run is versioned by
``dvc.lock``. ``reload`` asks a running API to swap in the new files.

Steps take an optional ``as_of``: the day the run treats as today. The step reads the
clock once (``data.clock.today()``, or that day) and hands it to every stage it starts as
``MATCHCAST_TODAY``; with ``data.as_of: today`` the ingest stage resolves the run's cut-off
from it (ADR-0013). Nobody edits ``params.yaml``: a daily run moves forward by itself.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
import yaml

from matchcast.config import get_settings
from matchcast.data import clock
from matchcast.tasks.errors import LockHeld, WorkflowError
from matchcast.tasks.lock import lock_url, project_lock

logger = logging.getLogger(__name__)

# step → DVC stages, in order (each run with --single-item); None = the whole pipeline.
STEPS: dict[str, tuple[str, ...] | None] = {
    "refresh-data": ("ingest",),
    "validate": ("validate", "store"),
    "features": ("features",),
    "batch-inference": ("features", "batch_inference"),
    "monitor": ("monitor",),
    # One day of operation in one DVC run: refresh, validate, store, features, forecast,
    # monitor (the champion stays; follow with `reload`).
    "daily": ("ingest", "validate", "store", "features", "batch_inference", "monitor"),
    "train": ("features", "train"),
    # markets, market_aware: the scoreline and market-aware models batch_inference reads
    "evaluate": ("evaluate", "markets", "market_aware"),
    "register": ("register",),
    "pipeline": None,
}
# Steps whose stages run in one `matchcast stages` process, then `dvc commit`: a day's
# stages all change every day, and one process pays the imports once instead of six
# times (ADR-0018). The other steps keep `dvc repro`, which skips what did not change.
ONE_PROCESS = frozenset({"daily"})
RELOAD = "reload"
STEP_NAMES = (*STEPS, RELOAD)
OUTPUT_TAIL = 4000
EX_TEMPFAIL = 75  # sysexits.h: try again later


@dataclass
class StepResult:
    """What one step did."""

    step: str
    project_dir: str
    as_of: str | None
    stages: list[str]
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (Celery results, job status, CLI output)."""
        return asdict(self)


def _stages(project_dir: Path) -> dict[str, Any]:
    """The ``stages`` of ``<project_dir>/dvc.yaml`` (the one place that reads the file)."""
    path = project_dir / "dvc.yaml"
    if not path.is_file():
        raise WorkflowError(f"{project_dir} is not a matchcast DVC project: no dvc.yaml")
    spec = yaml.safe_load(path.read_text()) or {}
    return dict(spec.get("stages") or {})


def project_stages(project_dir: Path) -> list[str]:
    """The stage names declared in ``<project_dir>/dvc.yaml``."""
    return [str(name) for name in _stages(project_dir)]


def declared_outputs(project_dir: Path) -> list[Path]:
    """Every output path declared in the project's ``dvc.yaml`` (outs, metrics, plots)."""
    paths = []
    for stage in _stages(project_dir).values():
        for kind in ("outs", "metrics", "plots"):
            for entry in stage.get(kind) or ():
                name = next(iter(entry)) if isinstance(entry, dict) else entry
                paths.append(project_dir / str(name))
    return paths


def _environment(extra: Mapping[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    # Stage commands call `matchcast`: put this interpreter's scripts first on PATH.
    scripts = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([scripts, env.get("PATH", "")])
    if extra:
        env.update(extra)
    return env


def _parse_dvc_output(stdout: str) -> tuple[list[str], list[str]]:
    ran, skipped = [], []
    for line in stdout.splitlines():
        if line.startswith("Running stage '"):
            ran.append(line.split("'")[1])
        elif line.startswith("Stage '") and "didn't change" in line:
            skipped.append(line.split("'")[1])
    return ran, skipped


def run_dvc(project_dir: Path, args: Sequence[str], env: Mapping[str, str] | None = None) -> str:
    """Run ``dvc <args>`` in ``project_dir``; return its stdout or raise WorkflowError."""
    command = [sys.executable, "-m", "dvc", *args]
    logger.info("%s: %s", project_dir, " ".join(["dvc", *args]))
    done = subprocess.run(
        command, cwd=project_dir, env=_environment(env), capture_output=True, text=True
    )
    if done.returncode != 0:
        tail = (done.stdout + done.stderr)[-OUTPUT_TAIL:]
        raise WorkflowError(f"dvc {' '.join(args)} failed ({done.returncode}):\n{tail}")
    return done.stdout


def run_in_one_process(
    project_dir: Path, stages: Sequence[str], env: Mapping[str, str] | None = None
) -> str:
    """Run ``stages``' commands in one ``matchcast stages`` process; return its stdout.

    Raises:
        WorkflowError: A stage failed (its outputs stay as they were: each stage
            publishes atomically); the stages before it ran but are not committed.
    """
    command = [sys.executable, "-m", "matchcast.cli", "stages", *stages]
    command += ["--project-dir", str(project_dir)]
    logger.info("%s: matchcast stages %s", project_dir, " ".join(stages))
    done = subprocess.run(
        command, cwd=project_dir, env=_environment(env), capture_output=True, text=True
    )
    if done.returncode != 0:
        tail = (done.stdout + done.stderr)[-OUTPUT_TAIL:]
        raise WorkflowError(
            f"matchcast stages {' '.join(stages)} failed ({done.returncode}):\n{tail}"
        )
    return done.stdout


def reload_api(api_url: str | None, api_key: str | None, timeout_s: float = 30.0) -> str:
    """Ask a running API to reload its files; a no-op description when none is configured."""
    if not api_url:
        return "no API configured (MATCHCAST_API_URL unset); its file watcher reloads by itself"
    headers = {"X-API-Key": api_key} if api_key else {}
    response = httpx.post(f"{api_url.rstrip('/')}/admin/reload", headers=headers, timeout=timeout_s)
    if response.status_code != 200:
        raise WorkflowError(
            f"POST {api_url}/admin/reload answered {response.status_code}: {response.text[:500]}"
        )
    return response.text


def check_step(step: str) -> None:
    """Raise WorkflowError for a step name that is not one of ``STEP_NAMES``."""
    if step not in STEP_NAMES:
        raise WorkflowError(f"unknown step {step!r}; known: {', '.join(STEP_NAMES)}")


def run_step(
    step: str,
    project_dir: Path | None = None,
    as_of: dt.date | None = None,
    env: Mapping[str, str] | None = None,
) -> StepResult:
    """Run one step in a DVC project.

    Args:
        step: One of ``STEP_NAMES``.
        project_dir: The project folder; default ``MATCHCAST_PROJECT_DIR`` (else the cwd).
        as_of: The day the stages treat as today (default: the clock's today).
        env: Extra environment for the stage commands.

    Returns:
        The stages run and skipped, and how long it took.

    Raises:
        WorkflowError: Unknown step, missing stage, or a failing DVC run.
    """
    check_step(step)
    settings = get_settings()
    folder = Path(project_dir or settings.project_dir).resolve()
    started = time.perf_counter()
    if step == RELOAD:
        key = settings.api_key
        detail = reload_api(settings.api_url, None if key is None else key.get_secret_value())
        return StepResult(
            step, str(folder), None, [], detail=detail, seconds=time.perf_counter() - started
        )
    stages = STEPS[step]
    declared = project_stages(folder)
    missing = [s for s in stages or () if s not in declared]
    if missing:
        raise WorkflowError(f"step {step!r} needs stage(s) {missing} missing from dvc.yaml")
    day = as_of or clock.today()
    stage_env = {**(env or {}), clock.TODAY_ENV: day.isoformat()}
    if step in ONE_PROCESS and stages is not None:
        run_in_one_process(folder, stages, stage_env)
        run_dvc(folder, ["commit", "--force", "--quiet", *stages], stage_env)
        ran, skipped = list(stages), list[str]()
    else:
        args = ["repro"] if stages is None else ["repro", "--single-item", *stages]
        ran, skipped = _parse_dvc_output(run_dvc(folder, args, stage_env))
    return StepResult(
        step=step,
        project_dir=str(folder),
        as_of=day.isoformat(),
        stages=list(stages or declared),
        ran=ran,
        skipped=skipped,
        seconds=round(time.perf_counter() - started, 3),
    )


def main(
    step: Annotated[str, typer.Argument(help=f"One of: {', '.join(STEP_NAMES)}.")],
    project_dir: Annotated[
        Path | None,
        typer.Option(help="DVC project folder (default MATCHCAST_PROJECT_DIR, else the cwd)."),
    ] = None,
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"], help="Run as if today were this day (default: the clock)."
        ),
    ] = None,
) -> None:
    """Run an operational step (a group of DVC stages, the whole pipeline, or an API reload).

    The step holds the project's job lock (the one Celery and local jobs take, ADR-0008),
    so a scheduler's step and a job never run in one project at once; a held lock exits
    with code 75 (EX_TEMPFAIL), which schedulers retry.
    """
    settings = get_settings()
    folder = Path(project_dir or settings.project_dir).resolve()
    holder = {
        "job": f"workflow {step}",
        "job_id": f"cli-{os.getpid()}",
        "worker": f"{socket.gethostname()}:{os.getpid()}",
        "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    try:
        check_step(step)
        if step != RELOAD:
            project_stages(folder)  # refuse a folder that is not a project before locking it
        with project_lock(folder, holder, lock_url(settings), settings.job_lock_ttl_s):
            result = run_step(step, folder, None if as_of is None else as_of.date())
    except LockHeld as error:
        typer.echo(f"error: {error}; try again later", err=True)
        raise typer.Exit(EX_TEMPFAIL) from error
    except WorkflowError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error
    typer.echo(yaml.safe_dump(result.to_dict(), sort_keys=False).rstrip())
