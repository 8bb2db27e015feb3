"""DVC stage ``features``: point-in-time features of every match -> features.parquet."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pandas as pd
import typer

from matchcast.data.io import write_parquet
from matchcast.data.params import load_section
from matchcast.features.build import build_features
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


def main(
    matches: Path = typer.Option(..., help="The canonical match table (parquet)."),
    params: Path = typer.Option(Path("params.yaml"), help="Params file (features:, model:)."),
    out: Path = typer.Option(..., help="Features of every match (parquet)."),
) -> None:
    """Compute the features of every finished and scheduled match."""
    started = time.perf_counter()
    feature_params = load_feature_params(params)
    frame = build_features(pd.read_parquet(matches), feature_params)
    write_parquet(frame, out)
    logger.info(
        "features: %d matches x %d columns -> %s in %.1fs",
        len(frame),
        frame.shape[1],
        out,
        time.perf_counter() - started,
    )
