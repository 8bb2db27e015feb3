"""Value and staking, as information: edge over the best price, fractional Kelly, a backtest.

For each match and market the selection with the largest edge ``p × odds − 1`` (our
probability ``p`` at the best pre-match price in the data) is backed when the edge is at
least ``min_edge``. Two staking plans are replayed in date order over the test seasons:
flat (one unit per bet) and fractional Kelly (``fraction × (p·o − 1) / (o − 1)`` of the
bankroll at the start of the day, at most ``max_stake``). Reported: bets, ROI with a
bootstrap 95 % interval (bets resampled), maximum drawdown, and closing-line value: how
often the price taken beat the closing price, and the mean expected return of the price
taken under the de-margined closing probability (a price beats the closing line when that
return is positive, i.e. it pays more than the closing line's fair odds). The report also
carries the bankroll over time (``curve``, at most :data:`CURVE_POINTS` days) for the
dashboard's chart.

Markets whose bets can be half won or pushed (the Asian handicap) pass the realised profit
of every selection and its expected profit instead of a winner: the Kelly stake then uses
the equivalent win probability ``(1 + edge) / odds``, which is ``p`` for a win-or-lose bet.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

FloatArray = NDArray[np.float64]
#: The bankroll curve keeps at most this many days (evenly spaced, the last day always).
CURVE_POINTS = 120


class StakingParams(BaseModel):
    """The ``markets.staking`` slice of params.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_edge: float = Field(default=0.02, ge=0)
    kelly_fraction: float = Field(default=0.25, gt=0, le=1)
    max_stake: float = Field(default=0.02, gt=0, le=1, description="Share of the bankroll.")
    bootstrap: int = Field(default=2000, ge=100)
    seed: int = 42


def edge(p: FloatArray, odds: FloatArray) -> FloatArray:
    """Expected profit per unit stake: ``p × odds − 1``."""
    return np.asarray(p * odds - 1.0, dtype=np.float64)


def kelly_stake(p: FloatArray, odds: FloatArray, fraction: float, cap: float) -> FloatArray:
    """Fractional-Kelly share of the bankroll, clipped to ``[0, cap]``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        full = (p * odds - 1.0) / (odds - 1.0)
    return np.asarray(np.clip(np.nan_to_num(fraction * full), 0.0, cap), dtype=np.float64)


def _drawdown(curve: FloatArray) -> float:
    """Largest fall from a running peak (starting at 0) of a cumulative profit curve."""
    peak = np.maximum.accumulate(np.concatenate([[0.0], curve]))[1:]
    return float((peak - curve).max(initial=0.0))


def _r(x: float, digits: int = 4) -> float | None:
    return None if not np.isfinite(x) else round(float(x), digits)


def _curve(days: NDArray[np.int64], flat: FloatArray, kelly: FloatArray) -> list[dict[str, Any]]:
    """Flat profit (units) and Kelly bankroll at the end of each betting day, thinned."""
    keep = np.unique(np.linspace(0, len(days) - 1, min(len(days), CURVE_POINTS)).astype(int))
    return [
        {
            "date": str(np.datetime64(int(days[i]), "D")),
            "flat_units": round(float(flat[i]), 2),
            "kelly_bankroll": round(float(kelly[i]), 4),
        }
        for i in keep
    ]


def backtest(
    days: NDArray[np.int64],
    p: FloatArray,
    odds: FloatArray,
    outcome: NDArray[np.int64] | None,
    closing: FloatArray,
    params: StakingParams,
    expected: FloatArray | None = None,
    realised: FloatArray | None = None,
) -> dict[str, Any]:
    """Replay flat and fractional-Kelly staking on one market.

    Args:
        days: Day number of each match (for ordering and same-day Kelly stakes).
        p: ``(n, k)`` our probabilities of the market's ``k`` selections.
        odds: ``(n, k)`` best pre-match decimal odds (NaN: not available).
        outcome: Index of the winning selection per match (None with ``realised``).
        closing: ``(n, k)`` closing decimal odds (for closing-line value; NaN allowed).
        params: Thresholds, Kelly fraction, cap, bootstrap size.
        expected: ``(n, k)`` expected profit per unit stake, for markets with half
            results and pushes; None: ``p × odds − 1``.
        realised: ``(n, k)`` realised profit per unit stake of each selection; None: from
            ``outcome`` (``odds − 1`` for the winner, ``−1`` otherwise).

    Returns:
        Bets, flat and Kelly results, closing-line value, the bankroll curve.
    """
    e = edge(p, odds) if expected is None else expected
    e = np.where(np.isfinite(e), e, -np.inf)
    pick = e.argmax(axis=1)
    rows = np.arange(len(p))
    chosen = e[rows, pick]
    bet = np.flatnonzero(chosen >= params.min_edge)
    bet = bet[np.argsort(days[bet], kind="stable")]
    n = len(bet)
    report: dict[str, Any] = {"matches": len(p), "bets": n, "min_edge": params.min_edge}
    if n == 0:
        report["verdict"] = "no bet reaches the minimum edge"
        return report
    taken = odds[bet, pick[bet]]
    if realised is None:
        if outcome is None:
            raise ValueError("backtest needs the outcome or the realised profit per selection")
        profit = np.where(outcome[bet] == pick[bet], taken - 1.0, -1.0)
    else:
        profit = realised[bet, pick[bet]]
    won = profit > 0
    rng = np.random.default_rng(params.seed)
    draws = rng.integers(0, n, size=(params.bootstrap, n))
    boot = profit[draws].mean(axis=1)
    low, high = np.quantile(boot, [0.025, 0.975])
    report["mean_edge"] = _r(float(chosen[bet].mean()))
    report["flat"] = {
        "roi": _r(float(profit.mean())),
        "roi_ci95": [_r(float(low)), _r(float(high))],
        "profit_units": _r(float(profit.sum()), 2),
        "max_drawdown_units": _r(_drawdown(np.cumsum(profit)), 2),
        "hit_rate": _r(float(won.mean())),
    }
    bankroll, staked, peak, worst = 1.0, 0.0, 1.0, 0.0
    win_equivalent = (1.0 + chosen[bet]) / taken
    share = kelly_stake(win_equivalent, taken, params.kelly_fraction, params.max_stake)
    flat_curve = np.cumsum(profit)
    bet_days = days[bet]
    day_list = np.unique(bet_days)
    kelly_curve = np.empty(len(day_list))
    flat_at_day = np.empty(len(day_list))
    for j, day in enumerate(day_list):
        today = bet_days == day
        stakes = share[today] * bankroll
        staked += float(stakes.sum())
        bankroll += float((stakes * profit[today]).sum())
        peak = max(peak, bankroll)
        worst = max(worst, (peak - bankroll) / peak)
        kelly_curve[j] = bankroll
        flat_at_day[j] = flat_curve[np.flatnonzero(today)[-1]]
    report["kelly"] = {
        "fraction": params.kelly_fraction,
        "max_stake": params.max_stake,
        "final_bankroll": _r(bankroll),
        "roi": _r((bankroll - 1.0) / staked) if staked > 0 else None,
        "max_drawdown": _r(worst),
    }
    report["curve"] = _curve(day_list, flat_at_day, kelly_curve)
    close = closing[bet]
    known = np.isfinite(close).all(axis=1) & (close > 1.0).all(axis=1)
    if known.any():
        fair = (1.0 / close[known]) / (1.0 / close[known]).sum(axis=1, keepdims=True)
        p_close = fair[np.arange(known.sum()), pick[bet][known]]
        report["closing_line_value"] = {
            "bets": int(known.sum()),
            # Against the closing price with its margin removed: a price taken beats it
            # when it pays more than the closing line's fair odds.
            "beat_closing_share": _r(float((taken[known] * p_close > 1.0).mean())),
            "mean_ev_at_closing": _r(float((taken[known] * p_close - 1.0).mean())),
        }
    if low > 0:
        report["verdict"] = "an edge: the flat ROI's 95 % interval is above zero"
    elif high < 0:
        report["verdict"] = (
            "no edge: backing these prices loses (the flat ROI's 95 % interval is below zero)"
        )
    else:
        report["verdict"] = "no demonstrated edge: the flat ROI's 95 % interval includes zero"
    return report
