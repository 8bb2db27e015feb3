"""``matchcast publish-batch``: publish existing forecast files to the store as a new batch.

``batch_inference`` publishes every batch it makes; this command publishes files made
elsewhere (a single-host run, a restored backup) so that replicas following the store
(``MATCHCAST_FOLLOW_BATCHES``) serve them. The model version comes from ``model.json``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import orjson
import typer

from matchcast.config import get_settings
from matchcast.data import store

logger = logging.getLogger(__name__)


def main(
    predictions: Annotated[Path, typer.Option(help="predictions.parquet", exists=True)],
    model: Annotated[Path, typer.Option(help="model.json", exists=True)],
    finished: Annotated[Path | None, typer.Option(help="finished.parquet", exists=True)] = None,
    evaluation: Annotated[Path | None, typer.Option(help="evaluation.json", exists=True)] = None,
    moved: Annotated[Path | None, typer.Option(help="moved.parquet", exists=True)] = None,
) -> None:
    """Publish the files to MATCHCAST_DATABASE_URL as the newest forecast batch."""
    roles = {"predictions": predictions, "model": model, "finished": finished}
    roles |= {"evaluation": evaluation, "moved": moved}
    files = {role: path.read_bytes() for role, path in roles.items() if path is not None}
    version = str(orjson.loads(files["model"])["version"])
    with store.migrated_engine(get_settings().database_url) as engine:
        number = store.publish_batch(engine, files, version)
    typer.echo(f"published forecast batch {number} (model v{version})")
