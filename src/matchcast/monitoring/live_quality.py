"""Live quality: the logged forecasts scored against results that arrived later.

Honesty rule: a finished match is scored with the latest logged forecast whose
information cut-off (``features_as_of``, the ``data.as_of`` of its batch) lies on a date
strictly before the match date. A forecast made with data of the match day or later
could have seen the result and is never scored. The market (closing odds where present,
else pre-match odds, de-margined proportionally) is scored on the same matches.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from matchcast.data import columns as C
from matchcast.data.prediction_contract import PROBABILITY_COLUMNS
from matchcast.models import market, metrics

MARKET_PROBS = ("market_home", "market_draw", "market_away")
LOG_COLUMNS = (
    "id", C.MATCH_ID, "model_version", *PROBABILITY_COLUMNS, "features_as_of", "computed_at",
)  # fmt: skip


def _day(values: pd.Series) -> pd.Series:
    """Calendar day (naive midnight) of naive or tz-aware timestamps; UTC for aware ones."""
    stamps = pd.to_datetime(values)
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return stamps.dt.normalize().astype("datetime64[ns]")


def scored_predictions(log: pd.DataFrame, matches: pd.DataFrame) -> pd.DataFrame:
    """One row per finished match that has an honest logged forecast.

    Args:
        log: The prediction log (``load_prediction_log``): match_id, model_version, p_*,
            features_as_of, computed_at and id.
        matches: Canonical match rows (status, result, date, league, odds).

    Returns:
        match_id, league, date, result, outcome code, the forecast (p_*, model_version,
        features_as_of, computed_at) and the market's probabilities (NaN without odds),
        in date order.
    """
    absent = [name for name in LOG_COLUMNS if name not in log.columns]
    if absent:
        raise ValueError(f"prediction log lacks columns {absent}")
    finished = matches.loc[
        (matches[C.STATUS] == C.FINISHED) & matches[C.RESULT].isin(C.RESULTS)
    ].drop_duplicates(C.MATCH_ID)
    logged = log.loc[log["features_as_of"].notna(), list(LOG_COLUMNS)]
    merged = logged.merge(
        finished[[C.MATCH_ID, C.LEAGUE, C.DATE, C.RESULT]], on=C.MATCH_ID, how="inner"
    )
    honest = merged.loc[_day(merged["features_as_of"]) < _day(merged[C.DATE])]
    latest = (
        honest.sort_values(["features_as_of", "computed_at", "id"], kind="stable")
        .groupby(C.MATCH_ID, sort=False)
        .tail(1)
    )
    odds_rows = finished.set_index(C.MATCH_ID).loc[latest[C.MATCH_ID]].reset_index()
    odds, _ = market.market_triple(odds_rows)
    fair = market.market_probabilities(odds, "proportional")
    out = latest.reset_index(drop=True).assign(
        **{name: fair[:, k] for k, name in enumerate(MARKET_PROBS)}
    )
    out[C.DATE] = _day(out[C.DATE])
    out["y"] = metrics.outcome_codes(out[C.RESULT]) if len(out) else np.empty(0, np.int64)
    return out.sort_values([C.DATE, C.MATCH_ID], kind="stable").reset_index(drop=True)


def _value(x: float) -> float | None:
    return round(float(x), 6) if math.isfinite(x) else None


def _scores(probs: np.ndarray, y: np.ndarray, bins: int) -> dict[str, float | None]:
    return {
        "log_loss": _value(metrics.log_loss(probs, y)),
        "rps": _value(metrics.rps(probs, y)),
        "ece": _value(metrics.ece(probs, y, bins)),
        "hit_rate": _value(metrics.accuracy(probs, y)),
    }


def quality_block(scored: pd.DataFrame, ece_bins: int) -> dict[str, Any]:
    """Scores of model and market on a group of scored matches.

    ``model`` covers all ``n`` matches; ``market`` the ``n_market`` of them with usable
    odds; ``gap_*`` (model minus market; positive = the model is worse) is paired on
    those ``n_market`` matches.
    """
    n = len(scored)
    y = scored["y"].to_numpy(np.int64)
    model_p = scored[list(PROBABILITY_COLUMNS)].to_numpy(np.float64)
    market_p = scored[list(MARKET_PROBS)].to_numpy(np.float64)
    has_market = np.isfinite(market_p).all(axis=1)
    n_market = int(has_market.sum())
    block: dict[str, Any] = {
        "n": n,
        "n_market": n_market,
        "model": _scores(model_p, y, ece_bins) if n else None,
        "market": None,
        "gap_log_loss": None,
        "gap_rps": None,
    }
    if n_market:
        on_market = _scores(model_p[has_market], y[has_market], ece_bins)
        block["market"] = _scores(market_p[has_market], y[has_market], ece_bins)
        for key in ("log_loss", "rps"):
            model_value, market_value = on_market[key], block["market"][key]
            if model_value is not None and market_value is not None:
                block[f"gap_{key}"] = round(model_value - market_value, 6)
    return block


def _groups(
    scored: pd.DataFrame,
    keys: pd.Series,
    ece_bins: int,
    extra: Callable[[Any], dict[str, Any]],
    name: str,
) -> list[dict[str, Any]]:
    return [
        {name: key, **extra(key), **quality_block(group, ece_bins)}
        for key, group in scored.groupby(keys, sort=True)
    ]


def _iso_week(day: pd.Timestamp) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def live_quality_report(
    scored: pd.DataFrame,
    as_of: str,
    ece_bins: int = metrics.DEFAULT_BINS,
    generated_at: dt.datetime | None = None,
    excluded_late: int = 0,
) -> dict[str, Any]:
    """``live_quality.json``: overall, by league, by ISO week and by month of the match date.

    Args:
        scored: Output of :func:`scored_predictions`.
        as_of: ``data.as_of`` of this run.
        ece_bins: Equal-width bins of the calibration error.
        generated_at: Time of the run (now when omitted).
        excluded_late: Finished matches whose only logged forecasts were made too late.

    Returns:
        The report (JSON-ready; NaN-free).
    """
    when = generated_at or dt.datetime.now(dt.UTC)
    days = pd.DatetimeIndex(scored[C.DATE])
    monday = days - pd.to_timedelta(days.weekday, unit="D")
    weeks = pd.Series(monday.strftime("%Y-%m-%d"), index=scored.index, dtype=object)
    months = pd.Series(days.strftime("%Y-%m"), index=scored.index, dtype=object)
    return {
        "generated_at": when.isoformat(timespec="seconds"),
        "as_of": as_of,
        "n": len(scored),
        "excluded_after_kickoff": excluded_late,
        "model_versions": sorted(scored["model_version"].astype(str).unique().tolist())
        if len(scored)
        else [],
        "overall": quality_block(scored, ece_bins),
        "by_league": _groups(
            scored, scored[C.LEAGUE].astype(str), ece_bins, lambda _: {}, "league"
        ),
        "by_week": _groups(
            scored,
            weeks,
            ece_bins,
            lambda start: {"week": _iso_week(pd.Timestamp(start))},
            "week_start",
        ),
        "by_month": _groups(scored, months, ece_bins, lambda _: {}, "month"),
    }


def late_only(log: pd.DataFrame, matches: pd.DataFrame, scored: pd.DataFrame) -> int:
    """Finished matches with logged forecasts, none of them made before the match date."""
    finished = matches.loc[matches[C.STATUS] == C.FINISHED, C.MATCH_ID]
    logged = set(log[C.MATCH_ID].astype(str)) & set(finished.astype(str))
    return len(logged - set(scored[C.MATCH_ID].astype(str)))
