"""DVC stage ``register``: log the run to MLflow, register, gate, refit for serving.

The work is :func:`matchcast.models.release.release`. Which version holds which alias
(all under ``matchcast-1x2``):

1. the *tested* version — the train stage's model, fitted on the seasons before the test
   period; tag ``role=tested``; never aliased. The evaluate stage scores the test period
   walk-forward: the first test season with this model, each later one with the same
   settings refitted on every season before it (``models/season_models.pkl``);
2. the *serving* version — the same settings refitted on every finished match up to
   ``data.as_of``; tag ``role=serving``, ``evaluated_version`` = the tested version and
   the tested version's evaluation (``test_log_loss``, ``gap_log_loss`` ...).

When the tested model passes the gates, ``candidate`` points at the serving version.
With ``register.auto_promote`` the serving version then challenges ``champion`` (moves
only if there is none or it beats the champion's test log-loss on the same test
matches); ``matchcast promote`` does the same by hand, unconditionally.
"""

from __future__ import annotations

import json
import logging
import pickle
import time
from pathlib import Path

import pandas as pd
import typer
from pydantic import BaseModel, ConfigDict

from matchcast.config import get_settings
from matchcast.data.as_of import read_as_of
from matchcast.data.io import file_md5, write_json
from matchcast.data.params import load_section
from matchcast.models import registry
from matchcast.models.estimator import OutcomeModel
from matchcast.models.release import release

logger = logging.getLogger(__name__)


class RegisterParams(BaseModel):
    """The ``register:`` slice of params.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model_name: str = registry.MODEL_NAME
    auto_promote: bool = True
    gates: registry.Gates = registry.Gates()


def main(
    params: Path = typer.Option(Path("params.yaml"), help="Params file (register:, model:)."),
    as_of_path: Path = typer.Option(
        Path("data/interim/as_of.json"), "--as-of", help="The run's as_of (from ingest)."
    ),
    features: Path = typer.Option(..., help="Features parquet (refit data)."),
    matches: Path = typer.Option(..., help="Canonical match table (data version)."),
    model: Path = typer.Option(..., help="Tested model from the train stage."),
    train_report: Path = typer.Option(..., help="Train stage summary (JSON)."),
    report_path: Path = typer.Option(..., "--report", help="Evaluate stage's full report (JSON)."),
    calibration: Path = typer.Option(..., help="Reliability table (CSV)."),
    predictions: Path = typer.Option(..., help="Test predictions (parquet)."),
    out: Path = typer.Option(..., help="What was registered and which aliases moved (JSON)."),
) -> None:
    """Log, register and gate the tested model; refit and register the serving model."""
    started = time.perf_counter()
    settings = get_settings()
    reg = RegisterParams.model_validate(load_section(params, "register"))
    as_of = read_as_of(as_of_path).as_of.isoformat()
    tested: OutcomeModel = pickle.loads(model.read_bytes())
    data_version = file_md5(features)
    common_tags = {
        "data_version": data_version,
        "matches_md5": file_md5(matches),
        "feature_columns": json.dumps(tested.feature_columns),
        "as_of": as_of,
    }
    client = registry.connect(settings.mlflow_tracking_uri, settings.mlflow_artifact_root)
    done = release(
        client,
        tested,
        pd.read_parquet(features),
        json.loads(report_path.read_text()),
        as_of=as_of,
        common_tags=common_tags,
        artifacts=(report_path, calibration, train_report),
        test_predictions=pd.read_parquet(predictions),
        gates=reg.gates,
        model_name=reg.model_name,
        auto_promote=reg.auto_promote,
    )
    summary = {
        "run_id": done.run_id,
        "model_name": reg.model_name,
        "tested_version": done.tested_version,
        "serving_version": done.serving_version,
        "gates_passed": done.gate.passed,
        "gate_failures": done.gate.reasons,
        "candidate_version": done.serving_version if done.gate.passed else None,
        "promoted": done.promoted,
        "champion_version": done.champion_version,
        "data_version": data_version,
        "refit_s": round(done.refit_s, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_json(summary, out)
    logger.info("register: %s", summary)
