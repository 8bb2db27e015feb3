"""``matchcast promote``: point the champion alias at a version by hand."""

from __future__ import annotations

import logging

import typer
from mlflow.exceptions import MlflowException

from matchcast.config import get_settings
from matchcast.models import registry

logger = logging.getLogger(__name__)


def main(
    version: int | None = typer.Option(
        None, help="Model version to promote; default: the current candidate."
    ),
    model_name: str = typer.Option(registry.MODEL_NAME, help="Registered model name."),
) -> None:
    """Make a registered version (default: the candidate) the champion."""
    settings = get_settings()
    client = registry.connect(settings.mlflow_tracking_uri, settings.mlflow_artifact_root)
    try:
        promoted = registry.promote(client, None if version is None else str(version), model_name)
    except (ValueError, MlflowException) as exc:
        raise typer.BadParameter(str(exc)) from exc
    typer.echo(f"{model_name} version {promoted} is now {registry.CHAMPION}")
    logger.info("promoted %s version %s", model_name, promoted)
