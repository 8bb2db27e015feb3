"""One release of the 1X2 model: log the run, register both versions, gate, move aliases.

Which version holds which alias (all under ``matchcast-1x2``):

1. the *tested* version — the train stage's model, fitted on the seasons before the test
   period; tag ``role=tested``; never aliased;
2. the *serving* version — the same settings refitted on every finished match up to
   ``as_of`` (:func:`refit_for_serving`); tag ``role=serving``, ``evaluated_version`` =
   the tested version, and the tested version's evaluation (``test_log_loss`` ...).

When the tested model passes the gates, ``candidate`` points at the serving version; with
``auto_promote`` the serving version then challenges ``champion`` (see
:func:`registry.challenge`).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.tracking import MlflowClient

from matchcast.data import columns as C
from matchcast.models import registry
from matchcast.models.estimator import OutcomeModel

logger = logging.getLogger(__name__)


def _flat(prefix: str, value: Any, out: dict[str, Any]) -> dict[str, Any]:
    if isinstance(value, dict):
        for key, sub in value.items():
            _flat(f"{prefix}.{key}" if prefix else str(key), sub, out)
    else:
        out[prefix] = value
    return out


def evaluation_tags(report: Mapping[str, Any]) -> dict[str, str]:
    """The model-version tags that carry the test evaluation.

    Without a market (a results-only source) the market and gap tags are absent and
    ``benchmark`` names the best baseline the ``benchmark_gap_*`` tags compare with.
    """
    tags = {
        "test_log_loss": str(report["test"]["log_loss"]),
        "test_rps": str(report["test"]["rps"]),
        "test_ece": str(report["test"]["ece"]),
        "test_n": str(report["test"]["n"]),
        "test_seasons": ",".join(report.get("test_seasons", [])),
    }
    for block, key in (
        ("market", "log_loss"),
        ("market", "rps"),
        ("gap", "log_loss"),
        ("gap", "rps"),
    ):
        value = report.get(block, {}).get(key)
        if value is not None:
            tags[f"{block}_{key}"] = str(value)
    bench = report.get("benchmark")
    if bench and bench.get("name"):
        tags["benchmark"] = str(bench["name"])
        for key in ("log_loss", "rps"):
            if bench["gap"].get(key) is not None:
                tags[f"benchmark_gap_{key}"] = str(bench["gap"][key])
    return tags


def run_metrics(report: Mapping[str, Any]) -> dict[str, float]:
    """Headline numbers of the report as MLflow metrics."""
    out: dict[str, float] = {}
    for block in ("test", "market", "gap"):
        for key, value in report.get(block, {}).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                out[f"{block}_{key}"] = float(value)
    for name, scores in report.get("baselines", {}).items():
        for key in ("log_loss", "rps"):
            if isinstance(scores.get(key), float):
                out[f"baseline_{name}_{key}"] = float(scores[key])
    bench = report.get("benchmark", {}).get("gap", {})
    for key in ("log_loss", "rps"):
        if isinstance(bench.get(key), float):
            out[f"benchmark_gap_{key}"] = float(bench[key])
    for league, block in report.get("per_league", {}).items():
        for key in ("log_loss", "rps"):
            if isinstance(block["gap"].get(key), float):
                out[f"gap_{key}_{league}"] = float(block["gap"][key])
    return out


def refit_for_serving(tested: OutcomeModel, features: pd.DataFrame, as_of: str) -> OutcomeModel:
    """The tested model's settings refitted on every finished match dated up to ``as_of``.

    Args:
        tested: The train stage's model (its params are reused, not its fit).
        features: The features table (finished and scheduled rows).
        as_of: The information cut-off: matches dated after it are not used.

    Returns:
        The serving model.
    """
    finished = (features[C.STATUS] == C.FINISHED) & features[C.RESULT].notna()
    finished &= features[C.DATE] <= pd.Timestamp(as_of)
    return OutcomeModel(tested.params).fit(features.loc[finished], refit=True)


@dataclass(frozen=True)
class Release:
    """What one release registered and which aliases moved."""

    run_id: str
    tested_version: str
    serving_version: str
    gate: registry.GateResult
    promoted: bool
    champion_version: str | None
    refit_s: float


def release(
    client: MlflowClient,
    tested: OutcomeModel,
    features: pd.DataFrame,
    report: Mapping[str, Any],
    *,
    as_of: str,
    common_tags: Mapping[str, str],
    artifacts: Sequence[Path],
    test_predictions: pd.DataFrame,
    gates: registry.Gates,
    model_name: str = registry.MODEL_NAME,
    auto_promote: bool = True,
) -> Release:
    """Log one MLflow run with the tested and the serving version, then apply the gates.

    Args:
        client: Registry client (:func:`registry.connect`).
        tested: The train stage's model.
        features: The features table (the refit's data and the signature's example rows).
        report: The evaluate stage's report (``test``, ``market``, ``gap``, ``baselines``).
        as_of: The information cut-off of the serving refit.
        common_tags: Tags of the run and of both versions (data version, hashes ...).
        artifacts: The evaluate and train reports, logged under ``evaluation/``.
        test_predictions: The test-period predictions (for the champion challenge).
        gates: Release gates on the test metrics.
        model_name: Registered model name.
        auto_promote: Let a candidate challenge the champion.

    Returns:
        The versions, the gate result and the alias moves.
    """
    prior = float(report["baselines"]["class_prior"]["log_loss"])
    market = report.get("market", {}).get("log_loss")
    gate = registry.check_gates(
        report["test"], prior, gates, None if market is None else float(market)
    )
    data_version = str(common_tags.get("data_version", ""))
    with mlflow.start_run(run_name=f"train-{data_version[:8]}") as run:
        mlflow.log_params(_flat("", tested.params.model_dump(), {}))
        seasons = ",".join(report.get("test_seasons", []))
        mlflow.log_params({"as_of": as_of, "test_seasons": seasons})
        mlflow.log_metrics(run_metrics(report))
        mlflow.set_tags({**common_tags, "gates_passed": str(gate.passed)})
        for path in artifacts:
            mlflow.log_artifact(str(path), artifact_path="evaluation")
        registry.log_test_predictions(test_predictions)
        test_tags = {**common_tags, **evaluation_tags(report), "role": "tested"}
        test_tags["trained_through"] = str(tested.trained_through)
        tested_version = registry.log_model_version(
            client, tested, features, artifact_name="tested", tags=test_tags, model_name=model_name
        )
        refit_started = time.perf_counter()
        serving = refit_for_serving(tested, features, as_of)
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
            client, serving, features, artifact_name="serving", tags=serving_tags,
            model_name=model_name,
        )  # fmt: skip
        run_id = str(run.info.run_id)
    promoted = False
    if gate.passed:
        registry.set_alias(client, registry.CANDIDATE, serving_version.version, model_name)
        if auto_promote:
            promoted = registry.challenge(client, serving_version, model_name)
    else:
        logger.warning("gates failed: %s", "; ".join(gate.reasons))
    champion = registry.alias_version(client, registry.CHAMPION, model_name)
    return Release(
        run_id=run_id,
        tested_version=str(tested_version.version),
        serving_version=str(serving_version.version),
        gate=gate,
        promoted=promoted,
        champion_version=str(champion.version) if champion else None,
        refit_s=refit_s,
    )
