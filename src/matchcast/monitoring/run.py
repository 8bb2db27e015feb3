"""One monitoring run: the drift report of the scheduled matches and the live quality of the log.

The ``monitor`` stage calls :func:`run_monitor`; the drift and live-quality logic lives in
:mod:`matchcast.monitoring.drift` and :mod:`matchcast.monitoring.live_quality`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from matchcast.data import store
from matchcast.data.io import atomic_write_bytes, write_json
from matchcast.monitoring import drift, live_quality
from matchcast.monitoring.report import render_drift_html

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MonitorParams:
    """The ``monitor`` section of params.yaml."""

    thresholds: drift.DriftThresholds
    reference_years: int
    horizon_days: int | None
    ece_bins: int

    @classmethod
    def from_section(cls, section: dict[str, Any]) -> MonitorParams:
        """Parse the section; unknown drift keys fail."""
        horizon = section.get("current_horizon_days")
        return cls(
            thresholds=drift.DriftThresholds(**section.get("drift", {})),
            reference_years=int(section.get("reference_years", 2)),
            horizon_days=None if horizon is None else int(horizon),
            ece_bins=int(section.get("live", {}).get("ece_bins", 10)),
        )


def read_prediction_log(database_url: str) -> pd.DataFrame:
    """The store's prediction log; empty when the store has no log table yet."""
    with store.migrated_engine(database_url, revision=None) as engine:  # read only
        if not sa.inspect(engine).has_table(store.PREDICTION_LOG.name):
            logger.warning("the store has no prediction log yet: nothing to score")
            empty = {name: pd.Series(dtype=object) for name in live_quality.LOG_COLUMNS}
            return pd.DataFrame(empty)
        return store.load_prediction_log(engine)


def run_monitor(
    features_path: Path,
    matches_path: Path,
    predictions_path: Path,
    model_path: Path,
    reference_predictions_path: Path,
    drift_out: Path,
    drift_html: Path,
    live_quality_out: Path,
    as_of: str,
    params: MonitorParams,
    database_url: str,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Compute and write the drift and live-quality reports.

    Returns:
        ``(drift report, live-quality report)``.
    """
    generated_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    features = pd.read_parquet(features_path)
    predictions = pd.read_parquet(predictions_path)
    card = json.loads(model_path.read_text())
    columns = [str(c) for c in card.get("feature_columns") or []]
    if not columns:
        raise ValueError(f"{model_path} lists no feature_columns")
    reference_predictions = pd.read_parquet(reference_predictions_path)
    drift_json, feature_drift, prediction_drift = drift.drift_report(
        features,
        predictions,
        columns,
        reference_predictions,
        as_of=as_of,
        thresholds=params.thresholds,
        reference_years=params.reference_years,
        horizon_days=params.horizon_days,
        generated_at=generated_at,
    )
    drift_json["model"] = {"name": card.get("name"), "version": card.get("version")}
    html = render_drift_html(drift_json, feature_drift, prediction_drift)
    write_json(drift_json, drift_out)
    atomic_write_bytes(drift_html, html.encode("utf-8"))
    summary = drift_json["summary"]
    logger.info(
        "drift: %d of %d features over threshold (reference %d, current %d matches)",
        summary["features_over_threshold"],
        summary["features_checked"],
        drift_json["reference"]["n"],
        drift_json["current"]["n"],
    )

    matches = pd.read_parquet(matches_path)
    log = read_prediction_log(database_url)
    scored = live_quality.scored_predictions(log, matches)
    report = live_quality.live_quality_report(
        scored,
        as_of=as_of,
        ece_bins=params.ece_bins,
        generated_at=dt.datetime.fromisoformat(generated_at),
        excluded_late=live_quality.late_only(log, matches, scored),
    )
    write_json(report, live_quality_out)
    overall = report["overall"]
    logger.info(
        "live quality: %d logged forecasts, %d finished matches scored (%d with market), "
        "log-loss gap to the market %s",
        len(log),
        overall["n"],
        overall["n_market"],
        overall["gap_log_loss"],
    )
    return drift_json, report
