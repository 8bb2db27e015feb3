"""DVC stage ``features``: point-in-time features of every match -> features.parquet."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from matchcast.data.io import file_md5, write_parquet
from matchcast.data.params import load_section
from matchcast.features.build import build_features
from matchcast.features.checkpoint import load_checkpoint, save_checkpoint
from matchcast.features.incremental import Previous, update_features, with_features_md5
from matchcast.features.params import FeatureParams

logger = logging.getLogger(__name__)


def load_feature_params(params_path: Path) -> FeatureParams:
    """Build :class:`FeatureParams` from ``features:`` and ``model.use_market_features``.

    Args:
        params_path: The params.yaml file.

    Returns:
        Validated feature parameters.
    """
    features = load_section(params_path, "features")
    use_market = bool(load_section(params_path, "model").get("use_market_features", False))
    return FeatureParams.from_params(features, use_market_features=use_market)


def load_previous(state: Path, features: Path) -> Previous | None:
    """The last run's checkpoint and features, if both are there and belong together.

    Args:
        state: The checkpoint file.
        features: The features file written with it.

    Returns:
        None when either is missing or the features file is not the one the checkpoint
        was saved with (a run that stopped between the two writes, a ``dvc checkout``).
    """
    checkpoint = load_checkpoint(state)
    if checkpoint is None or not features.is_file():
        return None
    if file_md5(features) != checkpoint.features_md5:
        logger.info("features: %s is not the file saved with %s: rebuilding", features, state)
        return None
    return Previous(checkpoint, pd.read_parquet(features))


def main(
    matches: Path = typer.Option(..., help="The canonical match table (parquet)."),
    params: Path = typer.Option(Path("params.yaml"), help="Params file (features:, model:)."),
    out: Path = typer.Option(..., help="Features of every match (parquet)."),
    state: Annotated[
        Path | None,
        typer.Option(help="State of the passes kept between runs (.npz); none: build all."),
    ] = None,
) -> None:
    """Compute the features of every finished and scheduled match."""
    started = time.perf_counter()
    feature_params = load_feature_params(params)
    table = pd.read_parquet(matches)
    if state is None:
        frame = build_features(table, feature_params)
        write_parquet(frame, out)
    else:
        update = update_features(table, feature_params, load_previous(state, out))
        frame = update.features
        # The features first: a state saved beside an older features file is never used.
        write_parquet(frame, out)
        save_checkpoint(with_features_md5(update.checkpoint, file_md5(out)), state)
    logger.info(
        "features: %d matches x %d columns -> %s in %.1fs",
        len(frame),
        frame.shape[1],
        out,
        time.perf_counter() - started,
    )
