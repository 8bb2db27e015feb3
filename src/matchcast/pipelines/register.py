"""DVC stage ``register``: log the run to MLflow, register, gate, refit for serving.

Which version holds which alias (all under ``matchcast-1x2``):

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
from typing import Any

import mlflow
import pandas as pd
import typer
from pydantic import BaseModel, ConfigDict

from matchcast.config import get_settings
from matchcast.data import columns as C
from matchcast.data.io import file_md5, write_json
from matchcast.data.params import load_section
from matchcast.models import registry
from matchcast.models.estimator import OutcomeModel

logger = logging.getLogger(__name__)


class RegisterParams(BaseModel):
    """The ``register:`` slice of params.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model_name: str = registry.MODEL_NAME
    auto_promote: bool = True
    gates: registry.Gates = registry.Gates()


def _flat(prefix: str, value: Any, out: dict[str, Any]) -> dict[str, Any]:
    if isinstance(value, dict):
        for key, sub in value.items():
            _flat(f"{prefix}.{key}" if prefix else str(key), sub, out)
    else:
        out[prefix] = value
    return out


def evaluation_tags(report: dict[str, Any]) -> dict[str, str]:
    """The model-version tags that carry the test evaluation."""
    return {
        "test_log_loss": str(report["test"]["log_loss"]),
        "test_rps": str(report["test"]["rps"]),
        "test_ece": str(report["test"]["ece"]),
        "test_n": str(report["test"]["n"]),
        "market_log_loss": str(report["market"]["log_loss"]),
        "market_rps": str(report["market"]["rps"]),
        "gap_log_loss": str(report["gap"]["log_loss"]),
        "gap_rps": str(report["gap"]["rps"]),
        "test_seasons": ",".join(report.get("test_seasons", [])),
    }


def run_metrics(report: dict[str, Any]) -> dict[str, float]:
    """Headline numbers of the report as MLflow metrics."""
    out: dict[str, float] = {}
    for block in ("test", "market", "gap"):
        for key, value in report[block].items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                out[f"{block}_{key}"] = float(value)
    for name, scores in report.get("baselines", {}).items():
        for key in ("log_loss", "rps"):
            if isinstance(scores.get(key), float):
                out[f"baseline_{name}_{key}"] = float(scores[key])
    for league, block in report.get("per_league", {}).items():
        for key in ("log_loss", "rps"):
            if isinstance(block["gap"].get(key), float):
                out[f"gap_{key}_{league}"] = float(block["gap"][key])
    return out


def main(
    params: Path = typer.Option(
        Path("params.yaml"), help="Params file (register:, model:, data.as_of)."
    ),
    features: Path = typer.Option(..., help="Features parquet (refit data)."),
    matches: Path = typer.Option(..., help="Canonical match table (data version)."),
    model: Path = typer.Option(..., help="Tested model from the train stage."),
    train_report: Path = typer.Option(..., help="Train stage summary (JSON)."),
    metrics_path: Path = typer.Option(..., "--metrics", help="Evaluate stage report (JSON)."),
    calibration: Path = typer.Option(..., help="Reliability table (CSV)."),
    predictions: Path = typer.Option(..., help="Test predictions (parquet)."),
    out: Path = typer.Option(..., help="What was registered and which aliases moved (JSON)."),
) -> None:
    """Log, register and gate the tested model; refit and register the serving model."""
    started = time.perf_counter()
    settings = get_settings()
    reg = RegisterParams.model_validate(load_section(params, "register"))
    as_of = str(load_section(params, "data").get("as_of", "2026-03-01"))
    report = json.loads(metrics_path.read_text())
    tested: OutcomeModel = pickle.loads(model.read_bytes())
    frame = pd.read_parquet(features)
    data_version = file_md5(features)
    common_tags = {
        "data_version": data_version,
        "matches_md5": file_md5(matches),
        "feature_columns": json.dumps(tested.feature_columns),
        "as_of": as_of,
    }
    client = registry.connect(settings.mlflow_tracking_uri, settings.mlflow_artifact_root)
    gate = registry.check_gates(
        report["test"], float(report["baselines"]["class_prior"]["log_loss"]), reg.gates
    )
    with mlflow.start_run(run_name=f"train-{data_version[:8]}") as run:
        mlflow.log_params(_flat("", tested.params.model_dump(), {}))
        mlflow.log_params(
            {"as_of": as_of, "test_seasons": ",".join(report.get("test_seasons", []))}
        )
        mlflow.log_metrics(run_metrics(report))
        mlflow.set_tags({**common_tags, "gates_passed": str(gate.passed)})
        for path in (metrics_path, calibration, train_report):
            mlflow.log_artifact(str(path), artifact_path="evaluation")
        registry.log_test_predictions(pd.read_parquet(predictions))
        test_tags = {**common_tags, **evaluation_tags(report), "role": "tested"}
        test_tags["trained_through"] = str(tested.trained_through)
        tested_version = registry.log_model_version(
            client, tested, frame, artifact_name="tested", tags=test_tags, model_name=reg.model_name
        )
        refit_started = time.perf_counter()
        finished = (frame[C.STATUS] == C.FINISHED) & frame[C.RESULT].notna()
        finished &= frame[C.DATE] <= pd.Timestamp(as_of)
        serving = OutcomeModel(tested.params).fit(frame.loc[finished], refit=True)
        refit_s = time.perf_counter() - refit_started
        serving_tags = {
            **common_tags,
            **evaluation_tags(report),
            "role": "serving",
            "evaluated_version": str(tested_version.version),
            "trained_through": str(serving.trained_through),
            "gates_passed": str(gate.passed),
            "gate_failures": json.dumps(gate.reasons),
        }
        serving_version = registry.log_model_version(
            client,
            serving,
            frame,
            artifact_name="serving",
            tags=serving_tags,
            model_name=reg.model_name,
        )
        run_id = run.info.run_id
    promoted = False
    if gate.passed:
        registry.set_alias(client, registry.CANDIDATE, serving_version.version, reg.model_name)
        if reg.auto_promote:
            promoted = registry.challenge(client, serving_version, reg.model_name)
    else:
        logger.warning("gates failed: %s", "; ".join(gate.reasons))
    champion = registry.alias_version(client, registry.CHAMPION, reg.model_name)
    summary = {
        "run_id": run_id,
        "model_name": reg.model_name,
        "tested_version": tested_version.version,
        "serving_version": serving_version.version,
        "gates_passed": gate.passed,
        "gate_failures": gate.reasons,
        "candidate_version": serving_version.version if gate.passed else None,
        "promoted": promoted,
        "champion_version": champion.version if champion else None,
        "data_version": data_version,
        "refit_s": round(refit_s, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_json(summary, out)
    logger.info("register: %s", summary)
