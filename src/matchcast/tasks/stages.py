"""Run several DVC stages' commands in one process: the daily step's start-up paid once.

``dvc repro`` starts every stage as its own process, and each of them imports pandas,
scipy, LightGBM and MLflow again: on this 2-core machine that start-up, not the work, was
most of a day (ADR-0018). ``matchcast stages ingest validate …`` reads each stage's
``cmd`` from the project's ``dvc.yaml`` (which stays the one place that owns the paths)
and runs it through the ``matchcast`` command line in this process, in order, stopping at
the first failure. The caller (:func:`matchcast.tasks.workflow.run_step`) then records the
stages with ``dvc commit``, so ``dvc.lock`` versions the outputs as a repro would.
"""

from __future__ import annotations

import importlib
import logging
import os
import shlex
import time
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

logger = logging.getLogger(__name__)

PROGRAM = "matchcast"


class StageCommandError(RuntimeError):
    """A stage has no ``matchcast`` command, or its command failed."""


def stage_commands(project_dir: Path, stages: list[str]) -> list[list[str]]:
    """The argument lists of ``stages``' commands (after ``matchcast``), in the order given.

    Raises:
        StageCommandError: A stage is missing, or its command is not ``matchcast …``.
    """
    spec: dict[str, Any] = yaml.safe_load((project_dir / "dvc.yaml").read_text()) or {}
    declared = spec.get("stages") or {}
    commands = []
    for name in stages:
        if name not in declared:
            raise StageCommandError(f"stage {name!r} is not in {project_dir / 'dvc.yaml'}")
        words = shlex.split(str(declared[name].get("cmd", "")))
        if not words or words[0] != PROGRAM:
            raise StageCommandError(f"stage {name!r} does not run `{PROGRAM} …`: {words[:3]}")
        commands.append(words[1:])
    return commands


def run_commands(project_dir: Path, stages: list[str]) -> dict[str, float]:
    """Run ``stages``' commands here, in ``project_dir``; return the seconds of each.

    Raises:
        StageCommandError: A stage is not a ``matchcast`` command, or exited non-zero.
    """
    # The command line is the entry point above every layer; imported by name like the
    # command line imports its commands, so no layer depends on it.
    cli = importlib.import_module("matchcast.cli")
    commands = stage_commands(project_dir, stages)
    os.chdir(project_dir)  # stage paths are relative to the project, as under dvc repro
    seconds: dict[str, float] = {}
    for name, args in zip(stages, commands, strict=True):
        started = time.perf_counter()
        logger.info("stage %s: %s %s", name, PROGRAM, " ".join(args))
        code = cli.app(args, prog_name=PROGRAM, standalone_mode=False)
        if code not in (None, 0):
            raise StageCommandError(f"stage {name!r} exited with {code}")
        seconds[name] = round(time.perf_counter() - started, 3)
    return seconds


def main(
    stages: Annotated[list[str], typer.Argument(help="Stage names of dvc.yaml, in order.")],
    project_dir: Annotated[Path, typer.Option(help="The DVC project folder.")] = Path("."),
) -> None:
    """Run DVC stages' commands in this one process (record them with `dvc commit`)."""
    seconds = run_commands(project_dir.resolve(), stages)
    typer.echo(yaml.safe_dump({"seconds": seconds}, sort_keys=False).rstrip())
