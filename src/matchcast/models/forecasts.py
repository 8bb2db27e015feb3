"""Forecasts of scheduled matches with the champion, laid out as ``predictions.parquet``."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from matchcast.data import columns as C
from matchcast.data.prediction_contract import (
    PROBABILITY_COLUMNS,
    forecast_frame,
    market_odds,
    validate_forecasts,
)
from matchcast.models.champion import Champion
from matchcast.models.market_aware import MarketAwareModel
from matchcast.models.markets import markets_json, reconcile
from matchcast.models.reasons import compute_reasons
from matchcast.models.scoreline import ScorelineModel

logger = logging.getLogger(__name__)

PROBABILITY_FLOOR = 1e-9


def within_horizon(matches: pd.DataFrame, as_of: str, horizon_days: int | None) -> pd.Series:
    """Which rows of the match table are scheduled and dated within the forecast horizon.

    Args:
        matches: The match table (``status``, ``date``).
        as_of: Information cut-off (ISO date).
        horizon_days: Matches dated up to ``as_of + horizon_days`` (inclusive) are in;
            None: every scheduled match.

    Returns:
        A boolean mask aligned with ``matches``.
    """
    scheduled = matches[C.STATUS] == C.SCHEDULED
    if horizon_days is None:
        return scheduled
    last = pd.Timestamp(as_of) + pd.Timedelta(days=horizon_days)
    return scheduled & (pd.to_datetime(matches[C.DATE]) <= last)


def scheduled_rows(
    features: pd.DataFrame,
    matches: pd.DataFrame,
    as_of: str | None = None,
    horizon_days: int | None = None,
) -> pd.DataFrame:
    """The feature rows of the scheduled matches to forecast, in kick-off order.

    Args:
        features: The features table.
        matches: The match table.
        as_of: Information cut-off (ISO date); needed with ``horizon_days``.
        horizon_days: Only matches dated up to ``as_of`` + this many days (None: all).

    Raises:
        ValueError: A wanted match has no feature row, or a match id repeats.
    """
    if horizon_days is not None and as_of is None:
        raise ValueError("a forecast horizon needs the as_of it counts from")
    mask = within_horizon(matches, as_of or "", horizon_days)
    wanted = matches.loc[mask, C.MATCH_ID]
    rows = features[features[C.MATCH_ID].isin(wanted)]
    if rows[C.MATCH_ID].duplicated().any():
        raise ValueError("features have duplicate rows for scheduled matches")
    missing = sorted(set(wanted) - set(rows[C.MATCH_ID]))
    if missing:
        raise ValueError(f"{len(missing)} scheduled matches have no features, e.g. {missing[:3]}")
    return rows.sort_values([C.KICKOFF, C.MATCH_ID], kind="stable").reset_index(drop=True)


def predict_probabilities(
    model: Any, rows: pd.DataFrame, feature_columns: Sequence[str]
) -> npt.NDArray[np.float64]:
    """Call the pyfunc and return (n, 3) probabilities in (0, 1) whose rows sum to 1.

    Raises:
        ValueError: The model returned the wrong shape or non-finite values.
    """
    if rows.empty:
        return np.empty((0, 3))
    absent = [c for c in feature_columns if c not in rows.columns]
    if absent:
        logger.warning("%d feature columns absent, passed as NaN: %s", len(absent), absent[:5])
    model_input = rows.reindex(columns=list(feature_columns)).astype("float64")
    output = pd.DataFrame(model.predict(model_input))
    probs = output.reindex(columns=list(PROBABILITY_COLUMNS)).to_numpy(dtype=np.float64)
    if probs.shape != (len(rows), 3) or not np.isfinite(probs).all():
        raise ValueError(f"model output has shape {probs.shape} or non-finite values")
    probs = np.clip(probs, PROBABILITY_FLOOR, None)
    return np.asarray(probs / probs.sum(axis=1, keepdims=True), dtype=np.float64)


def build_predictions(
    rows: pd.DataFrame,
    probs: npt.NDArray[np.float64],
    market: pd.DataFrame,
    reasons: Sequence[str],
    champion: Champion,
    data_version: str,
    as_of: str,
    computed_at: pd.Timestamp,
    markets: Sequence[str | None] | None = None,
    market_aware: npt.NDArray[np.float64] | None = None,
) -> pd.DataFrame:
    """Assemble ``predictions.parquet``: one row per scheduled match (see the contract).

    Args:
        rows: Feature rows of the scheduled matches (key columns used).
        probs: (n, 3) probabilities aligned with ``rows``.
        market: match_id with odds_pre_home/draw/away and odds_pre_source.
        reasons: JSON reasons aligned with ``rows``.
        champion: The model that produced ``probs``.
        data_version: Hash of the batch inputs.
        as_of: Information cut-off of the features.
        computed_at: Time of this run (UTC).
        markets: JSON markets aligned with ``rows`` (None: no markets).
        market_aware: (n, 3) market-aware forecasts aligned with ``rows`` (None: none).

    Returns:
        The predictions frame.
    """
    provenance = {
        "model_name": champion.name,
        "model_version": str(champion.version.version),
        "model_alias": champion.alias,
        "model_run_id": str(champion.version.run_id),
        "data_version": data_version,
        "features_as_of": as_of,
        "computed_at": computed_at,
    }
    odds = market_odds(rows, market)
    return forecast_frame(
        rows, probs, odds, reasons, provenance, markets=markets, market_aware=market_aware
    )


def price_scheduled(
    scoreline: ScorelineModel, rows: pd.DataFrame, probs: npt.NDArray[np.float64]
) -> list[str]:
    """Every market of each row from its score grid, reconciled to the served 1X2 ``probs``."""
    if rows.empty:
        return []
    return markets_json(reconcile(scoreline.grid(rows), probs))


def forecast_scheduled(
    champion: Champion,
    features: pd.DataFrame,
    matches: pd.DataFrame,
    data_version: str,
    as_of: str,
    computed_at: pd.Timestamp,
    scoreline: ScorelineModel | None = None,
    market_aware: MarketAwareModel | None = None,
    horizon_days: int | None = None,
) -> pd.DataFrame:
    """Forecast the scheduled matches within the horizon, laid out as the contract says.

    Args:
        champion: The served model.
        features: The features table (the scheduled matches' rows, and every match's
            rows to scale the reasons).
        matches: The match table (status, ``odds_pre_*`` and ``odds_pre_source``).
        data_version: Hash of the batch inputs.
        as_of: Information cut-off of the features.
        computed_at: Time of this run (UTC).
        scoreline: The scoreline model pricing the markets (None: no markets).
        market_aware: The market-aware model, served beside the champion's forecast where
            the match has pre-match odds (None: no market-aware forecasts; ADR-0019).
        horizon_days: Only matches dated up to ``as_of`` + this many days (None: every
            scheduled match).

    Returns:
        The validated ``predictions.parquet`` frame.
    """
    rows = scheduled_rows(features, matches, as_of, horizon_days)
    probs = predict_probabilities(champion.model, rows, champion.feature_columns)
    market = matches[[C.MATCH_ID, *C.ODDS_PRE, C.ODDS_PRE_SOURCE]]
    reasons = compute_reasons(rows, features)
    markets = None if scoreline is None else price_scheduled(scoreline, rows, probs)
    aware = None
    if market_aware is not None:
        aware = market_aware.predict(rows.merge(market, on=C.MATCH_ID, how="left"))
    frame = build_predictions(
        rows, probs, market, reasons, champion, data_version, as_of, computed_at, markets, aware
    )
    validate_forecasts(frame)
    return frame
