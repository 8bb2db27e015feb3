"""Response models of the API: the documented contract (OpenAPI) of every route.

The hot routes return pre-serialised bytes, so these models are applied once per record
when the predictions are loaded (which guarantees the bytes match the schema), not per
request.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from matchcast.app.market_schemas import Markets
from matchcast.app.value_schemas import MarketAwareComparison, ValueReport

Outcome = Literal["H", "D", "A"]

MATCH_ID_PATTERN = r"^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$"
MATCH_ID_MAX_LENGTH = 120
EXAMPLE_MATCH_ID = "E0-2026-03-07-arsenal-chelsea"


class Reason(BaseModel):
    """One factor behind a forecast, computed by the batch stage from the match's features."""

    factor: str = Field(description="Feature family, e.g. 'rating', 'form', 'rest'.")
    value: float | None = Field(description="Home minus away value of the factor.")
    detail: str = Field(description="Human-readable explanation.")


class OddsTriple(BaseModel):
    """Decimal odds for home win, draw and away win."""

    home: float
    draw: float
    away: float


class MarketOdds(OddsTriple):
    """The bookmakers' pre-match odds, when the source published them."""

    source: str | None = Field(default=None, description="Which bookmaker or average.")


class MarketAwareForecast(BaseModel):
    """The market-aware 1X2 forecast: the pre-match price plus a football residual (ADR-0019)."""

    home: float = Field(gt=0, lt=1)
    draw: float = Field(gt=0, lt=1)
    away: float = Field(gt=0, lt=1)


class Provenance(BaseModel):
    """Which model and which data produced a forecast."""

    name: str
    version: str
    alias: str
    run_id: str
    data_version: str = Field(description="Hash of the batch inputs (DVC md5s).")
    features_as_of: str = Field(description="Information cut-off of the features (data.as_of).")
    computed_at: dt.datetime


class PredictionRecord(BaseModel):
    """A forecast for one scheduled match."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "match_id": EXAMPLE_MATCH_ID,
                    "league": "E0",
                    "season": "2025-26",
                    "kickoff": "2026-03-07T15:00:00Z",
                    "home_team": "Arsenal",
                    "away_team": "Chelsea",
                    "p_home": 0.52,
                    "p_draw": 0.26,
                    "p_away": 0.22,
                    "forecast_kind": "football",
                    "market_aware": {"home": 0.5, "draw": 0.27, "away": 0.23},
                    "predicted": "H",
                    "fair_odds": {"home": 1.923, "draw": 3.846, "away": 4.545},
                    "market_odds": {"home": 1.85, "draw": 3.7, "away": 4.4, "source": "pinnacle"},
                    "reasons": [
                        {
                            "factor": "rating",
                            "value": 84.0,
                            "detail": "Arsenal rated 84 points above Chelsea",
                        }
                    ],
                    "model": {
                        "name": "matchcast-1x2",
                        "version": "3",
                        "alias": "champion",
                        "run_id": "0f6c1e0d5a2b4c8f9e7d6c5b4a392817",
                        "data_version": "5d41402abc4b2a76b9719d911017c592",
                        "features_as_of": "2026-03-01",
                        "computed_at": "2026-03-02T06:00:00Z",
                    },
                }
            ]
        }
    )

    match_id: str
    league: str
    season: str
    kickoff: dt.datetime
    home_team: str
    away_team: str
    p_home: float = Field(gt=0, lt=1)
    p_draw: float = Field(gt=0, lt=1)
    p_away: float = Field(gt=0, lt=1)
    forecast_kind: Literal["football", "market_aware"] = Field(
        default="football",
        description="Which forecast p_home/p_draw/p_away are: football (the registry "
        "champion, features only; the default, ADR-0019) or market_aware.",
    )
    market_aware: MarketAwareForecast | None = Field(
        default=None,
        description="The market-aware forecast (pre-match price plus a football residual) "
        "where pre-match odds exist; null otherwise and for finished matches.",
    )
    predicted: Outcome = Field(description="The most likely outcome.")
    fair_odds: OddsTriple = Field(description="1 / probability: odds without a margin.")
    market_odds: MarketOdds | None
    reasons: list[Reason]
    model: Provenance
    status: Literal["scheduled", "finished"] = Field(
        default="scheduled",
        description="scheduled: the current batch's forecast; finished: the last forecast "
        "logged before kick-off of a recently finished match (then `reasons` is empty).",
    )
    result: Outcome | None = Field(default=None, description="The result (finished matches).")
    correct: bool | None = Field(
        default=None, description="Whether `predicted` was the result (finished matches)."
    )
    markets: Markets | None = Field(
        default=None,
        description="Every market priced from the score grid (null for finished matches); "
        "`?markets=` selects some of them.",
    )


class MatchSummary(BaseModel):
    """A match for discovery: no probabilities (those are in /predict/{match_id})."""

    match_id: str
    league: str
    season: str
    date: dt.date
    kickoff: dt.datetime
    home_team: str
    away_team: str
    status: Literal["finished", "scheduled"]
    result: Outcome | None = None
    home_goals: int | None = None
    away_goals: int | None = None
    has_prediction: bool
    prediction_url: str | None = Field(description="Relative URL of the forecast, if any.")


class MatchPage(BaseModel):
    """One page of matches."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "total": 1,
                    "limit": 50,
                    "offset": 0,
                    "items": [
                        {
                            "match_id": EXAMPLE_MATCH_ID,
                            "league": "E0",
                            "season": "2025-26",
                            "date": "2026-03-07",
                            "kickoff": "2026-03-07T15:00:00Z",
                            "home_team": "Arsenal",
                            "away_team": "Chelsea",
                            "status": "scheduled",
                            "result": None,
                            "home_goals": None,
                            "away_goals": None,
                            "has_prediction": True,
                            "prediction_url": f"/predict/{EXAMPLE_MATCH_ID}",
                        }
                    ],
                }
            ]
        }
    )

    total: int = Field(ge=0, description="Matches that pass the filters, over all pages.")
    limit: int
    offset: int
    items: list[MatchSummary]


class Evaluation(BaseModel):
    """The champion's held-out evaluation against the bookmakers' closing market."""

    test_n: int | None = None
    test_log_loss: float | None = None
    test_rps: float | None = None
    market_log_loss: float | None = None
    market_rps: float | None = None
    gap_log_loss: float | None = Field(default=None, description="Model minus market.")
    gap_rps: float | None = None


class PredictionsInfo(BaseModel):
    """The predictions file currently served."""

    n_predictions: int
    data_version: str
    features_as_of: str
    computed_at: dt.datetime
    loaded_at: dt.datetime


class RunMode(BaseModel):
    """How the batch's information cut-off was chosen (ADR-0013)."""

    mode: Literal["live", "replay"] = Field(
        description="live: as_of is today; replay: a pinned or fallback date."
    )
    as_of: str = Field(description="Information cut-off: results up to this date are known.")
    reason: str = Field(description="Why this mode, e.g. the source is a frozen archive.")


class ModelInfo(BaseModel):
    """The model that produced the served predictions."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "matchcast-1x2",
                    "version": "3",
                    "alias": "champion",
                    "run_id": "0f6c1e0d5a2b4c8f9e7d6c5b4a392817",
                    "data_version": "9a0364b9e99bb480dd25e1f0284c8555",
                    "trained_through": "2026-03-01",
                    "feature_columns": ["f_elo_diff", "f_form_diff"],
                    "evaluation": {
                        "test_n": 9000,
                        "test_log_loss": 0.985,
                        "test_rps": 0.201,
                        "market_log_loss": 0.975,
                        "market_rps": 0.198,
                        "gap_log_loss": 0.010,
                        "gap_rps": 0.003,
                    },
                    "predictions": {
                        "n_predictions": 1500,
                        "data_version": "5d41402abc4b2a76b9719d911017c592",
                        "features_as_of": "2026-03-01",
                        "computed_at": "2026-03-02T06:00:00Z",
                        "loaded_at": "2026-03-02T06:00:05Z",
                    },
                }
            ]
        }
    )

    name: str
    version: str
    alias: str
    run_id: str
    data_version: str | None = Field(description="Version of the training data.")
    trained_through: str | None = None
    feature_columns: list[str] = Field(default_factory=list)
    evaluation: Evaluation
    as_of: RunMode | None = Field(default=None, description="The batch's run mode and as_of.")
    value: ValueReport | None = Field(
        default=None, description="Value and staking backtests on the test seasons."
    )
    market_aware: MarketAwareComparison | None = Field(
        default=None, description="The market-aware forecast against the model and the prices."
    )
    horizon_days: int | None = Field(
        default=None,
        description="The batch forecasts scheduled matches dated up to as_of + this many "
        "days (null: every scheduled match).",
    )
    predictions: PredictionsInfo | None = None


class Scores(BaseModel):
    """Scores of one forecaster on the test matches (lower log-loss, RPS, Brier is better)."""

    n: int
    log_loss: float | None = None
    rps: float | None = None
    brier: float | None = None
    ece: float | None = Field(default=None, description="Class-wise expected calibration error.")
    accuracy: float | None = Field(default=None, description="Share of top picks that won.")
    method: str | None = Field(default=None, description="De-margining method (market).")


class Gap(BaseModel):
    """Model minus market on the same matches, with standard errors of the paired mean."""

    n: int
    log_loss: float | None = None
    log_loss_se: float | None = None
    rps: float | None = None
    rps_se: float | None = None


class LeagueEvaluation(BaseModel):
    """The test scores of one league."""

    league: str
    n: int
    model: Scores
    market: Scores
    gap: Gap


class CalibrationBin(BaseModel):
    """One bin of the reliability table: forecast probability vs observed frequency."""

    outcome: Outcome
    bin: int = Field(ge=0)
    mean_predicted: float = Field(ge=0, le=1)
    observed_rate: float = Field(ge=0, le=1)
    count: int = Field(ge=1)


class ModelRef(BaseModel):
    """A registered model version."""

    name: str
    version: str
    alias: str
    run_id: str


class ModelEvaluation(BaseModel):
    """The champion's test evaluation, as the evaluate stage reported it."""

    model: ModelRef
    available: bool = Field(description="False when the champion's run holds no reports.")
    test_seasons: list[str] = Field(default_factory=list)
    test: Scores | None = None
    market: Scores | None = None
    gap: Gap | None = None
    baselines: dict[str, Scores] = Field(default_factory=dict)
    market_methods: dict[str, Scores] = Field(default_factory=dict)
    per_league: list[LeagueEvaluation] = Field(default_factory=list)
    calibration: list[CalibrationBin] = Field(default_factory=list)


class Health(BaseModel):
    """Liveness answer."""

    status: Literal["ok"] = "ok"


class ReadinessCheck(BaseModel):
    """One readiness check's result."""

    ok: bool
    reason: str | None = None


class Readiness(BaseModel):
    """Readiness answer: 200 when ready, 503 with the reason otherwise."""

    ready: bool
    reason: str | None = Field(
        default=None, description="The failing checks' reasons, `<check>: <reason>` joined by `; `."
    )
    checks: dict[str, ReadinessCheck] = Field(
        default_factory=dict, description="Every readiness check by name."
    )
    n_predictions: int = 0
    data_version: str | None = None
    model_version: str | None = None
    matches_loaded: bool = False


class ReloadResult(BaseModel):
    """What an admin reload changed."""

    reloaded: list[str] = Field(description="Components replaced by a newer file.")
    n_predictions: int
    data_version: str | None


class ErrorDetail(BaseModel):
    """Error body (FastAPI's HTTPException format)."""

    detail: str


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
EARLIEST_AS_OF = dt.date(1990, 1, 1)
LATEST_AS_OF = dt.date(2099, 12, 31)
# The documented as_of range as a pattern (JSON Schema has no date bounds): 1990..2099.
AS_OF_PATTERN = r"^(199[0-9]|20[0-9][0-9])-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
JobState = Literal["queued", "running", "retrying", "succeeded", "failed"]


class JobRequest(BaseModel):
    """Optional body of ``POST /admin/jobs/{name}``."""

    model_config = ConfigDict(extra="forbid")

    as_of: dt.date | None = Field(
        default=None,
        description="The day the job runs as (YYYY-MM-DD, 1990-01-01 to 2099-12-31): with "
        "data.as_of: today its stages take that day as today.",
        examples=["2025-10-01"],
        json_schema_extra={"pattern": AS_OF_PATTERN},
    )

    @field_validator("as_of", mode="before")
    @classmethod
    def _iso_date_text(cls, value: object) -> object:
        # Only YYYY-MM-DD text: pydantic would also take numbers as Unix timestamps.
        if value is not None and not (isinstance(value, str) and ISO_DATE.fullmatch(value)):
            raise ValueError("as_of must be a date written YYYY-MM-DD")
        return value

    @field_validator("as_of")
    @classmethod
    def _plausible(cls, value: dt.date | None) -> dt.date | None:
        if value is not None and not EARLIEST_AS_OF <= value <= LATEST_AS_OF:
            raise ValueError(f"as_of must be between {EARLIEST_AS_OF} and {LATEST_AS_OF}")
        return value


class JobAccepted(BaseModel):
    """A job was queued."""

    job_id: str
    name: str
    state: JobState
    status_url: str = Field(description="Poll this for the job's state (also in Location).")


class JobStatus(BaseModel):
    """A job's state, timestamps, and result or error."""

    job_id: str
    name: str
    state: JobState
    params: dict[str, str] = Field(description="The job's arguments, e.g. as_of.")
    submitted_at: dt.datetime
    started_at: dt.datetime | None = Field(description="When its first attempt started.")
    finished_at: dt.datetime | None
    attempts: int = Field(description="Attempts started (retries and redeliveries included).")
    result: dict[str, Any] | None = Field(description="What it did, once succeeded.")
    error: str | None = Field(description="Why it failed, or why the last attempt will be retried.")
    request_id: str | None = Field(
        default=None, description="X-Request-ID of the request that submitted it."
    )
