"""Forecasts of recently finished matches, taken from the store's prediction log.

The batch stage publishes, next to the forecasts of scheduled matches, the last forecast
each recently finished match received *before* it was played, with its result and whether
the forecast was right, so that a client can show how the published forecasts fared. The
selection is a plain join of the prediction log and the match table: no model runs here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from matchcast.data import columns as C
from matchcast.data.prediction_contract import (
    CORRECT,
    PREDICTED,
    PROBABILITY_COLUMNS,
    forecast_frame,
    market_odds,
    validate_forecasts,
)
from matchcast.data.store import PREDICTION_COLUMNS

# What a logged forecast carries: the prediction log's columns.
LOG_COLUMNS = PREDICTION_COLUMNS
MATCH_COLUMNS = (
    C.MATCH_ID,
    C.LEAGUE,
    C.SEASON,
    C.DATE,
    C.KICKOFF,
    C.HOME_TEAM,
    C.AWAY_TEAM,
    C.STATUS,
    C.RESULT,
)


def _day(values: pd.Series[Any]) -> pd.Series[Any]:
    """Calendar day of timestamps, tz-aware or naive, as naive midnight."""
    stamps = pd.to_datetime(values)
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return stamps.dt.normalize()


def last_forecasts_before_kickoff(
    log: pd.DataFrame, matches: pd.DataFrame, as_of: str, window_days: int
) -> pd.DataFrame:
    """The last logged forecast of each match finished in the window, with its outcome.

    A forecast counts only if its information cut-off (``features_as_of``) is before the
    match date, so it was known before kick-off. Among those, the latest cut-off wins
    (then the latest ``computed_at``, then the latest log entry).

    Args:
        log: The prediction log (``store.load_prediction_log``), oldest entry first.
        matches: The match table (at least :data:`MATCH_COLUMNS`).
        as_of: ``data.as_of``: matches dated after it are not finished yet.
        window_days: Finished matches dated in ``(as_of - window_days, as_of]`` are kept.

    Returns:
        One row per match with the log's columns, the match's key columns, ``result`` and
        ``correct`` (the forecast's most likely outcome was the result), in kick-off order.

    Raises:
        ValueError: ``window_days`` is negative or a needed column is missing.
    """
    if window_days < 0:
        raise ValueError(f"window_days must be >= 0, got {window_days}")
    missing = [c for c in LOG_COLUMNS if c not in log.columns]
    missing += [c for c in MATCH_COLUMNS if c not in matches.columns]
    if missing:
        raise ValueError(f"cannot select finished forecasts: missing columns {missing}")
    end = pd.Timestamp(as_of).normalize()
    start = end - pd.Timedelta(days=window_days)
    day = _day(matches[C.DATE])
    recent = matches.loc[
        (matches[C.STATUS] == C.FINISHED)
        & matches[C.RESULT].notna()
        & (day > start)
        & (day <= end),
        list(MATCH_COLUMNS),
    ].assign(_day=day)
    entries = log.loc[log[C.MATCH_ID].isin(recent[C.MATCH_ID]), list(LOG_COLUMNS)]
    entries = entries.assign(_order=np.arange(len(entries)))
    joined = entries.merge(recent, on=C.MATCH_ID, how="inner")
    cutoff = _day(joined["features_as_of"])
    joined = joined[cutoff.notna() & (cutoff < joined["_day"])]
    joined = joined.sort_values(["features_as_of", "computed_at", "_order"], kind="stable")
    last = joined.drop_duplicates(C.MATCH_ID, keep="last")
    last = last.assign(
        kickoff=pd.to_datetime(last[C.KICKOFF], utc=True),
        result=last[C.RESULT].astype(str),
        predicted=last["predicted"].astype(str),
    )
    last = last.assign(correct=last["predicted"] == last[C.RESULT])
    last = last.sort_values([C.KICKOFF, C.MATCH_ID], kind="stable")
    return last.drop(columns=["_day", "_order", C.STATUS]).reset_index(drop=True)


def finished_frame(forecasts: pd.DataFrame, market: pd.DataFrame, alias: str) -> pd.DataFrame:
    """Lay out finished matches' logged forecasts as ``finished.parquet``.

    Args:
        forecasts: Output of :func:`last_forecasts_before_kickoff`.
        market: match_id with odds_pre_home/draw/away and odds_pre_source.
        alias: The registry alias the batch stage forecasts with (the log does not keep it).

    Returns:
        The contract's ``FINISHED_COLUMNS``: each forecast keeps the provenance it was
        logged with; ``reasons`` is empty; ``status`` = finished, ``result``, ``correct``.
    """
    probs = forecasts[list(PROBABILITY_COLUMNS)].to_numpy(dtype=np.float64).reshape(-1, 3)
    as_of = pd.to_datetime(forecasts["features_as_of"], utc=True).dt.strftime("%Y-%m-%d")
    provenance: dict[str, Any] = {
        name: forecasts[name].astype(str).to_numpy()
        for name in ("model_name", "model_version", "model_run_id", "data_version")
    }
    provenance.update(
        model_alias=alias, features_as_of=as_of.to_numpy(), computed_at=forecasts["computed_at"]
    )
    return forecast_frame(
        forecasts,
        probs,
        market_odds(forecasts, market),
        "[]",
        provenance,
        predicted=forecasts[PREDICTED].astype(str).to_numpy(),
        outcome={C.RESULT: forecasts[C.RESULT], CORRECT: forecasts[CORRECT]},
    )


def finished_forecasts(
    log: pd.DataFrame, matches: pd.DataFrame, as_of: str, window_days: int, alias: str
) -> pd.DataFrame:
    """The validated ``finished.parquet`` frame: see :func:`last_forecasts_before_kickoff`.

    Args:
        log: The prediction log (``store.load_prediction_log``), oldest entry first.
        matches: The match table (:data:`MATCH_COLUMNS` and the pre-match odds).
        as_of: ``data.as_of``: matches dated after it are not finished yet.
        window_days: Finished matches dated in ``(as_of - window_days, as_of]`` are kept.
        alias: The registry alias the batch stage forecasts with.

    Returns:
        One row per recently finished match with a forecast logged before kick-off.
    """
    forecasts = last_forecasts_before_kickoff(log, matches, as_of, window_days)
    market = matches[[C.MATCH_ID, *C.ODDS_PRE, C.ODDS_PRE_SOURCE]]
    frame = finished_frame(forecasts, market, alias)
    validate_forecasts(frame, finished=True)
    return frame
