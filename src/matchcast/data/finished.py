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
