"""Scoring of the model, the baselines and the market on exactly the same test matches.

Every forecaster is scored on the *comparison set*: test matches with a result, usable
market odds and a finite forecast from every forecaster. The gap is model minus market,
per match, with the standard error of the paired mean.

A results-only source has no odds: when no test match has a usable market price, the
comparison set drops the market condition, the ``market`` and ``gap`` blocks say that no
market benchmark exists (``available: false``), and the ``benchmark`` block compares the
model with the best baseline instead (ADR-0014).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matchcast.data import columns as C
from matchcast.models import metrics

logger = logging.getLogger(__name__)
FloatArray = NDArray[np.float64]
NO_MARKET = "no bookmaker odds for any test match: no market benchmark"
BIG_FIVE = ("E0", "D1", "I1", "SP1", "F1")
#: Blocks of the full report that stay in the DVC metrics file (``dvc metrics show``); the
#: per-league, per-baseline and per-method detail lives in the full report only.
HEADLINE_BLOCKS = (
    "test",
    "market",
    "gap",
    "benchmark",
    "per_season",
    "test_all_finished",
    "excluded",
    "test_seasons",
    "seconds",
)


@dataclass(frozen=True)
class Evaluation:
    """The metrics report, the reliability table and the per-match predictions."""

    report: dict[str, Any]
    calibration: pd.DataFrame
    predictions: pd.DataFrame


def _round(value: float) -> float | None:
    return None if not np.isfinite(value) else round(float(value), 6)


def _scores(probs: FloatArray, y: NDArray[np.int64], full: bool) -> dict[str, Any]:
    if len(y) == 0:
        return {"n": 0}
    if full:
        return {
            k: (_round(v) if isinstance(v, float) else v)
            for k, v in metrics.summarize(probs, y).items()
        }
    return {
        "n": len(y),
        "log_loss": _round(metrics.log_loss(probs, y)),
        "rps": _round(metrics.rps(probs, y)),
    }


def _with_chance(scores: dict[str, Any], probs: FloatArray) -> dict[str, Any]:
    """The headline block with the ECE its forecasts would reach by chance if calibrated
    (the register stage's ECE gate allows for it on a small test period)."""
    if not len(probs):
        return scores
    return {**scores, "ece_chance": _round(metrics.ece_by_chance(probs))}


def _gap(model: FloatArray, market: FloatArray, y: NDArray[np.int64]) -> dict[str, Any]:
    if len(y) == 0:
        return {"n": 0}
    ll, ll_se = metrics.paired_difference(
        metrics.per_match_log_loss(model, y), metrics.per_match_log_loss(market, y)
    )
    rp, rp_se = metrics.paired_difference(
        metrics.per_match_rps(model, y), metrics.per_match_rps(market, y)
    )
    return {
        "n": len(y),
        "log_loss": _round(ll),
        "log_loss_se": _round(ll_se),
        "rps": _round(rp),
        "rps_se": _round(rp_se),
    }


def _block(
    model: FloatArray,
    market: FloatArray | None,
    baselines: Mapping[str, FloatArray],
    y: NDArray[np.int64],
    full: bool,
) -> dict[str, Any]:
    return {
        "n": len(y),
        "model": _scores(model, y, full),
        "market": _scores(market, y, full) if market is not None else _no_market(),
        "gap": _gap(model, market, y) if market is not None else {"n": 0},
        "baselines": {name: _scores(p, y, False) for name, p in baselines.items()},
    }


def _no_market() -> dict[str, Any]:
    return {"n": 0, "available": False, "note": NO_MARKET}


def _finite(probs: FloatArray) -> NDArray[np.bool_]:
    return np.asarray(np.isfinite(probs).all(axis=1), dtype=bool)


def _benchmark(
    model: FloatArray,
    market: FloatArray | None,
    market_name: str,
    baselines: Mapping[str, FloatArray],
    y: NDArray[np.int64],
) -> dict[str, Any]:
    """The forecaster the model is measured against: the market, else the best baseline."""
    if market is not None:
        return {"kind": "market", "name": market_name, "gap": _gap(model, market, y)}
    if not baselines or len(y) == 0:
        return {"kind": "none", "name": None, "gap": {"n": 0}}
    losses = {name: metrics.log_loss(p, y) for name, p in baselines.items()}
    best = min(losses, key=lambda name: losses[name])
    return {
        "kind": "baseline",
        "name": best,
        "note": f"{NO_MARKET}; the best baseline on the test matches is the benchmark",
        "gap": _gap(model, baselines[best], y),
    }


def evaluate(
    test: pd.DataFrame,
    model: FloatArray,
    market: Mapping[str, FloatArray],
    baselines: Mapping[str, FloatArray],
    *,
    market_sources: Sequence[str] | None = None,
    bins: int = 10,
    big_five: Sequence[str] = BIG_FIVE,
) -> Evaluation:
    """Score everything on the comparison set and build the report.

    Args:
        test: the test matches (match_id, league, season, result), one row per forecast row.
        model: the model's probabilities (n, 3).
        market: margin-free market probabilities per method; the first is the benchmark.
        baselines: other forecasters' probabilities (n, 3), e.g. class prior, Dixon–Coles.
        market_sources: per-row label of the odds used (e.g. ``close:pinnacle``).
        bins: bins of the reliability table and ECE.
        big_five: leagues pooled in the ``big_five`` block.

    Returns:
        The report (``test``, ``market``, ``gap``, ``benchmark``, ``baselines``,
        ``market_methods``, ``per_league``, ``per_season``, ``big_five``), the model's
        reliability table and per-match predictions of the comparison set. Without any
        market price the ``market`` and ``gap`` blocks have ``n: 0`` and
        ``available: false``, and ``benchmark`` is the best baseline.
    """
    benchmark_name = next(iter(market))
    finished = test[C.RESULT].notna().to_numpy(dtype=bool)
    usable = finished & _finite(model)
    for probs in baselines.values():
        usable &= _finite(probs)
    priced = usable.copy()
    for probs in market.values():
        priced &= _finite(probs)
    has_market = bool(priced.any())
    if has_market:
        usable = priced
    else:
        logger.warning("%s: the model is compared with the baselines only", NO_MARKET)
    benchmark = market[benchmark_name] if has_market else None
    idx = np.flatnonzero(usable)
    y_all = np.full(len(test), -1, dtype=np.int64)
    y_all[finished] = metrics.outcome_codes(test.loc[finished, C.RESULT])
    y = y_all[idx]

    def take(p: FloatArray, rows: NDArray[np.int64]) -> FloatArray:
        return p[rows]

    def sub(p: FloatArray | None, rows: NDArray[np.int64]) -> FloatArray | None:
        return None if p is None else p[rows]

    report: dict[str, Any] = {
        "test": _with_chance(_scores(take(model, idx), y, True), take(model, idx)),
        "test_all_finished": _scores(model[finished], y_all[finished], True),
        "market": (
            {**_scores(take(benchmark, idx), y, True), "method": benchmark_name}
            if benchmark is not None
            else {**_no_market(), "method": None}
        ),
        "gap": _gap(take(model, idx), take(benchmark, idx), y)
        if benchmark is not None
        else {"n": 0},
        "benchmark": _benchmark(
            take(model, idx),
            sub(benchmark, idx),
            benchmark_name,
            {name: take(p, idx) for name, p in baselines.items()},
            y,
        ),
        "baselines": {name: _scores(take(p, idx), y, True) for name, p in baselines.items()},
        "market_methods": (
            {name: _scores(take(p, idx), y, True) for name, p in market.items()}
            if has_market
            else {}
        ),
        "excluded": {
            "no_result": int((~finished).sum()),
            "no_market_or_forecast": int(finished.sum() - len(idx)),
        },
    }
    if market_sources is not None:
        src = pd.Series(np.asarray(market_sources, dtype=object)[idx])
        report["market"]["sources"] = {str(k): int(v) for k, v in src.value_counts().items()}

    def grouped(column: str, keep: Sequence[str] | None = None) -> dict[str, Any]:
        values = test[column].astype("string").to_numpy(dtype=object)[idx]
        out: dict[str, Any] = {}
        for value in sorted(set(values)):
            if keep is not None and value not in keep:
                continue
            rows = idx[values == value]
            mine = np.flatnonzero(values == value)
            out[str(value)] = _block(
                model[rows],
                sub(benchmark, rows),
                {k: p[rows] for k, p in baselines.items()},
                y[mine],
                True,
            )
        return out

    report["per_league"] = grouped(C.LEAGUE)
    report["per_season"] = grouped(C.SEASON)
    leagues = test[C.LEAGUE].astype("string").to_numpy(dtype=object)[idx]
    in_five = np.isin(leagues, list(big_five))
    five_rows = idx[in_five]
    report["big_five"] = {
        "pooled": _block(
            model[five_rows],
            sub(benchmark, five_rows),
            {k: p[five_rows] for k, p in baselines.items()},
            y[in_five],
            True,
        ),
        **{k: v for k, v in report["per_league"].items() if k in big_five},
    }
    calibration = metrics.calibration_table(take(model, idx), y, bins)
    rows = test.iloc[idx]
    market_idx = benchmark[idx] if benchmark is not None else np.full((len(idx), 3), np.nan)
    predictions = pd.DataFrame(
        {
            C.MATCH_ID: rows[C.MATCH_ID].astype("string").to_numpy(),
            C.LEAGUE: rows[C.LEAGUE].astype("string").to_numpy(),
            C.SEASON: rows[C.SEASON].astype("string").to_numpy(),
            C.DATE: rows[C.DATE].to_numpy(),
            C.RESULT: rows[C.RESULT].astype("string").to_numpy(),
            "p_home": model[idx, 0],
            "p_draw": model[idx, 1],
            "p_away": model[idx, 2],
            "market_home": market_idx[:, 0],
            "market_draw": market_idx[:, 1],
            "market_away": market_idx[:, 2],
        }
    )
    return Evaluation(report=report, calibration=calibration, predictions=predictions)


def headline(report: Mapping[str, Any]) -> dict[str, Any]:
    """The headline blocks of a full evaluation report (what ``dvc metrics`` shows)."""
    return {key: report[key] for key in HEADLINE_BLOCKS if key in report}
