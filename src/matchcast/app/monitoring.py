"""The monitor stage's reports as the API serves them: validated once when loaded.

``live_quality.json`` is served at ``GET /model/live-quality`` and, with the summary of
``drift.json``, exported as Prometheus gauges. The API computes none of it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import orjson
from pydantic import BaseModel, ConfigDict, Field


class QualityScores(BaseModel):
    """Scores of one forecaster on a group of finished matches."""

    log_loss: float | None
    rps: float | None
    ece: float | None = Field(description="Class-wise expected calibration error.")
    hit_rate: float | None = Field(description="Share of matches whose top outcome happened.")


class QualityBlock(BaseModel):
    """Model and market on the same finished matches."""

    n: int = Field(ge=0, description="Finished matches scored (honest forecasts only).")
    n_market: int = Field(ge=0, description="Of them, matches with usable market odds.")
    model: QualityScores | None = Field(description="On all n matches; null when n = 0.")
    market: QualityScores | None = Field(description="On the n_market matches.")
    gap_log_loss: float | None = Field(
        description="Model minus market on the n_market matches (positive: model worse)."
    )
    gap_rps: float | None


class LeagueQuality(QualityBlock):
    """One league."""

    league: str


class WeekQuality(QualityBlock):
    """One ISO week of match dates."""

    week: str = Field(pattern=r"^\d{4}-W\d{2}$")
    week_start: dt.date


class MonthQuality(QualityBlock):
    """One calendar month of match dates."""

    month: str = Field(pattern=r"^\d{4}-\d{2}$")


class LiveQualityReport(BaseModel):
    """``live_quality.json``: the prediction log scored against results that came later."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "generated_at": "2025-10-06T06:10:00+00:00",
                    "as_of": "2025-10-05",
                    "n": 120,
                    "excluded_after_kickoff": 0,
                    "model_versions": ["3"],
                    "overall": {
                        "n": 120,
                        "n_market": 120,
                        "model": {"log_loss": 0.99, "rps": 0.205, "ece": 0.04, "hit_rate": 0.5},
                        "market": {"log_loss": 0.98, "rps": 0.2, "ece": 0.04, "hit_rate": 0.51},
                        "gap_log_loss": 0.01,
                        "gap_rps": 0.005,
                    },
                    "by_league": [],
                    "by_week": [],
                    "by_month": [],
                }
            ]
        }
    )

    generated_at: dt.datetime
    as_of: str = Field(description="data.as_of of the monitor run.")
    n: int = Field(ge=0)
    excluded_after_kickoff: int = Field(
        default=0, ge=0, description="Finished matches whose only forecasts came too late."
    )
    model_versions: list[str] = Field(default_factory=list)
    overall: QualityBlock
    by_league: list[LeagueQuality]
    by_week: list[WeekQuality]
    by_month: list[MonthQuality]


class DriftColumn(BaseModel):
    """Drift of one predicted probability."""

    model_config = ConfigDict(extra="ignore")

    feature: str
    psi: float | None
    drifted: bool


class DriftSummaryCounts(BaseModel):
    """The counts of ``drift.json``."""

    model_config = ConfigDict(extra="ignore")

    features_total: int = Field(ge=0)
    features_checked: int = Field(ge=0)
    features_over_threshold: int = Field(ge=0)
    max_psi: float | None = None


class DriftPrediction(BaseModel):
    """Prediction drift of ``drift.json``."""

    model_config = ConfigDict(extra="ignore")

    columns: list[DriftColumn]


class DriftSummary(BaseModel):
    """What the API keeps of ``drift.json`` (the full report stays on disk)."""

    model_config = ConfigDict(extra="ignore")

    generated_at: dt.datetime | None = None
    as_of: str
    summary: DriftSummaryCounts
    prediction: DriftPrediction


def load_live_quality(path: Path) -> tuple[LiveQualityReport, bytes]:
    """Read and validate ``live_quality.json``; return it and its response body."""
    report = LiveQualityReport.model_validate(orjson.loads(path.read_bytes()))
    return report, report.model_dump_json().encode()


def load_drift_summary(path: Path) -> DriftSummary:
    """Read and validate the parts of ``drift.json`` the API exports."""
    return DriftSummary.model_validate(orjson.loads(path.read_bytes()))
