"""What clients read about the served model: ``model.json`` and ``evaluation.json``.

``model.json`` is the champion's identity and headline evaluation (from its version's
tags); ``evaluation.json`` its full test evaluation, read from the evaluate stage's reports
that the register stage logs in the champion's own run.
"""

from __future__ import annotations

import json
import logging
import math
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from matchcast.models.champion import Champion

logger = logging.getLogger(__name__)

EVALUATION_TAGS = (
    "test_n",
    "test_log_loss",
    "test_rps",
    "market_log_loss",
    "market_rps",
    "gap_log_loss",
    "gap_rps",
)
# Where the register stage logs the evaluate stage's reports in the model's run: the full
# report (runs registered before it was split from metrics.json logged that file whole).
REPORT_ARTIFACTS = ("evaluation/test_report.json", "evaluation/metrics.json")
CALIBRATION_ARTIFACT = "evaluation/calibration.csv"
REPORT_BLOCKS = ("test", "market", "gap", "baselines", "market_methods", "test_seasons")


def _number(value: str | None) -> float | None:
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


def model_card(champion: Champion) -> dict[str, Any]:
    """The content of ``model.json``: the champion's identity and evaluation (from its tags)."""
    tags = champion.tags
    evaluation: dict[str, Any] = {key: _number(tags.get(key)) for key in EVALUATION_TAGS}
    if evaluation["test_n"] is not None:
        evaluation["test_n"] = int(evaluation["test_n"])
    return {
        "name": champion.name,
        "version": str(champion.version.version),
        "alias": champion.alias,
        "run_id": str(champion.version.run_id),
        "data_version": tags.get("data_version"),
        "trained_through": tags.get("trained_through"),
        "feature_columns": champion.feature_columns,
        "evaluation": evaluation,
    }


def _per_league(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {"league": league, **{k: block.get(k) for k in ("n", "model", "market", "gap")}}
        for league, block in sorted(report.get("per_league", {}).items())
    ]


def evaluation_card(client: MlflowClient, champion: Champion) -> dict[str, Any]:
    """The content of ``evaluation.json``: the champion's test evaluation, for clients.

    The reports come from the champion's own MLflow run (the register stage logs the
    evaluate stage's full report and ``calibration.csv`` there), so they describe
    the model that is served even when a later evaluation did not move the champion.

    Args:
        client: Registry client.
        champion: The served model.

    Returns:
        ``model`` (identity), ``available``, the report blocks (``test``, ``market``,
        ``gap``, ``baselines``, ``market_methods``, ``test_seasons``), ``per_league`` (a
        list) and ``calibration`` (the reliability table as records).
    """
    report: dict[str, Any] | None = None
    calibration: pd.DataFrame | None = None
    try:
        run_id = str(champion.version.run_id)
        logged = {item.path for item in client.list_artifacts(run_id, "evaluation")}
        report_name = next((name for name in REPORT_ARTIFACTS if name in logged), None)
        if report_name is None or CALIBRATION_ARTIFACT not in logged:
            raise OSError(f"no {REPORT_ARTIFACTS[0]} and {CALIBRATION_ARTIFACT} in run {run_id}")
        with tempfile.TemporaryDirectory() as tmp:
            local = Path(client.download_artifacts(run_id, report_name, tmp))
            report = json.loads(local.read_text())
            local = Path(client.download_artifacts(run_id, CALIBRATION_ARTIFACT, tmp))
            calibration = pd.read_csv(local)
    except (MlflowException, OSError) as exc:
        logger.warning("the champion's run has no evaluation reports (%s)", exc)
        report, calibration = None, None
    card: dict[str, Any] = {
        "model": {
            "name": champion.name,
            "version": str(champion.version.version),
            "alias": champion.alias,
            "run_id": str(champion.version.run_id),
        },
        "available": report is not None,
        "per_league": [],
        "calibration": [],
    }
    if report is not None:
        card.update({k: report.get(k) for k in REPORT_BLOCKS})
        card["per_league"] = _per_league(report)
    if calibration is not None:
        card["calibration"] = [
            {
                "outcome": str(r["outcome"]),
                "bin": int(r["bin"]),
                "mean_predicted": float(r["mean_predicted"]),
                "observed_rate": float(r["observed_rate"]),
                "count": int(r["count"]),
            }
            for r in calibration.to_dict("records")
        ]
    return card


def value_card(markets_report: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ``value`` block of ``model.json`` from ``reports/markets.json`` (None without one)."""
    value = markets_report.get("value")
    if not isinstance(value, Mapping):
        return None
    markets = {name: block for name, block in value.items() if isinstance(block, Mapping)}
    return {"test_seasons": list(markets_report.get("test_seasons", [])), "markets": markets}


def market_aware_card(report: Mapping[str, Any], default: str) -> dict[str, Any] | None:
    """The ``market_aware`` block of ``model.json`` from ``reports/market_aware.json``."""
    block = report.get("all")
    if not isinstance(block, Mapping) or "forecasters" not in block:
        return None
    return {
        "default": default,
        "test_seasons": list(report.get("test_seasons", [])),
        "n": int(block.get("n", 0)),
        "forecasters": dict(block["forecasters"]),
    }
