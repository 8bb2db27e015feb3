"""Goal markets scored against the closing line: over/under 2.5 and Asian handicap.

Every forecaster is scored on the same matches: those with every forecaster's number and
the closing prices. Prices are de-margined proportionally (two-way: ``(1/o) / Σ 1/o``).
Over/under 2.5 is a binary event. The Asian handicap is scored at each match's closing
line ``AHCh`` as the binary event "the home side's bet returns more than its stake" (win
or half-win); matches where it returns exactly the stake (a push) are left out for every
forecaster alike. A forecaster's number for it is its two-way expected-payout probability
(:func:`matchcast.models.markets.handicap_home_probability`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from numpy.typing import NDArray

from matchcast.data import columns as C
from matchcast.models.markets import settle
from matchcast.models.metrics import paired_difference

FloatArray = NDArray[np.float64]
EPS = 1e-12
BENCHMARK = "closing"


def two_way(first: npt.ArrayLike, second: npt.ArrayLike) -> FloatArray:
    """De-margined probability of the first side of a two-way price (NaN if incomplete)."""
    a = 1.0 / np.asarray(first, dtype=np.float64)
    b = 1.0 / np.asarray(second, dtype=np.float64)
    return np.asarray(a / (a + b), dtype=np.float64)


def binary_log_loss(p: FloatArray, y: FloatArray) -> FloatArray:
    """Per-match binary log-loss."""
    q = np.clip(p, EPS, 1.0 - EPS)
    return np.asarray(-(y * np.log(q) + (1.0 - y) * np.log(1.0 - q)), dtype=np.float64)


def binary_brier(p: FloatArray, y: FloatArray) -> FloatArray:
    """Per-match Brier score of a binary forecast (squared error of P(event))."""
    return np.asarray((p - y) ** 2, dtype=np.float64)


def handicap_targets(goal_diff: FloatArray, lines: FloatArray) -> FloatArray:
    """1 where the home side's bet returns more than the stake, 0 less, NaN on a push."""
    out = np.full(len(lines), np.nan)
    for i, (d, line) in enumerate(zip(goal_diff, lines, strict=True)):
        if not (np.isfinite(d) and np.isfinite(line)):
            continue
        result = settle(int(d), float(line))
        out[i] = np.nan if result == "push" else float(result in ("win", "half_win"))
    return out


def _round(value: float, digits: int = 5) -> float | None:
    return None if not np.isfinite(value) else round(float(value), digits)


def _scores(
    forecasts: Mapping[str, FloatArray], y: FloatArray, rows: NDArray[np.int64]
) -> dict[str, Any]:
    losses = {name: binary_log_loss(p[rows], y[rows]) for name, p in forecasts.items()}
    briers = {name: binary_brier(p[rows], y[rows]) for name, p in forecasts.items()}
    block: dict[str, Any] = {"n": len(rows), "forecasters": {}, "gap_to_closing": {}}
    for name in forecasts:
        block["forecasters"][name] = {
            "log_loss": _round(float(losses[name].mean())) if len(rows) else None,
            "brier": _round(float(briers[name].mean())) if len(rows) else None,
        }
        if name == BENCHMARK or len(rows) < 2:
            continue
        gap, se = paired_difference(losses[name], losses[BENCHMARK])
        gap_b, se_b = paired_difference(briers[name], briers[BENCHMARK])
        block["gap_to_closing"][name] = {
            "log_loss": _round(gap),
            "log_loss_se": _round(se),
            "brier": _round(gap_b),
            "brier_se": _round(se_b),
        }
    return block


def score_market(
    forecasts: Mapping[str, FloatArray], y: FloatArray, leagues: NDArray[Any]
) -> dict[str, Any]:
    """Scores of every forecaster on the rows where all of them and the outcome are known.

    Args:
        forecasts: Name -> P(event) per match; must include ``closing`` (the benchmark).
        y: The event per match (1, 0, or NaN when not scored).
        leagues: League code per match.

    Returns:
        ``{"n", "forecasters", "gap_to_closing", "per_league"}``.
    """
    known = np.isfinite(y)
    for p in forecasts.values():
        known &= np.isfinite(p)
    rows = np.flatnonzero(known)
    report = _scores(forecasts, y, rows)
    report["per_league"] = {
        str(league): _scores(forecasts, y, rows[leagues[rows] == league])
        for league in sorted(set(leagues[rows].tolist()))
    }
    return report


def goal_market_report(
    test: pd.DataFrame,
    prices: pd.DataFrame,
    over25: Mapping[str, FloatArray],
    ah_home: Mapping[str, FloatArray],
) -> dict[str, Any]:
    """Over/under 2.5 and Asian handicap (closing line) of every forecaster vs the closing price.

    Args:
        test: Test matches (``match_id``, ``league``, goals), aligned with the forecasts.
        prices: :func:`matchcast.data.sources.goal_prices.read_goal_prices` output.
        over25: Forecaster name -> P(over 2.5) per test match.
        ah_home: Forecaster name -> two-way P(home side) at the match's closing line.

    Returns:
        ``{"over_under_2_5": ..., "asian_handicap": ...}`` as :func:`score_market` returns.
    """
    joined = test[[C.MATCH_ID]].merge(prices, on=C.MATCH_ID, how="left")
    home = test[C.HOME_GOALS].to_numpy(dtype=np.float64)
    away = test[C.AWAY_GOALS].to_numpy(dtype=np.float64)
    leagues = test[C.LEAGUE].astype(str).to_numpy()
    over = np.where(np.isfinite(home + away), (home + away > 2.5).astype(np.float64), np.nan)
    ou = {
        **over25,
        "pre_match": two_way(joined["ou25_pre_over"], joined["ou25_pre_under"]),
        BENCHMARK: two_way(joined["ou25_close_over"], joined["ou25_close_under"]),
    }
    lines = joined["ah_close_line"].to_numpy(dtype=np.float64)
    ah = {**ah_home, BENCHMARK: two_way(joined["ah_close_home"], joined["ah_close_away"])}
    return {
        "over_under_2_5": score_market(ou, over, leagues),
        "asian_handicap": score_market(ah, handicap_targets(home - away, lines), leagues),
    }
