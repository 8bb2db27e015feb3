"""Scoring of the model, the baselines and the market on exactly the same test matches.

Every forecaster is scored on the *comparison set*: test matches with a result, usable
market odds and a finite forecast from every forecaster. The gap is model minus market,
per match, with the standard error of the paired mean.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matchcast.data import columns as C
from matchcast.models import metrics

FloatArray = NDArray[np.float64]
BIG_FIVE = ("E0", "D1", "I1", "SP1", "F1")
#: Blocks of the full report that stay in the DVC metrics file (``dvc metrics show``); the
#: per-league, per-baseline and per-method detail lives in the full report only.
HEADLINE_BLOCKS = (
    "test",
    "market",
    "gap",
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
    market: FloatArray,
    baselines: Mapping[str, FloatArray],
    y: NDArray[np.int64],
    full: bool,
) -> dict[str, Any]:
    return {
        "n": len(y),
        "model": _scores(model, y, full),
        "market": _scores(market, y, full),
        "gap": _gap(model, market, y),
        "baselines": {name: _scores(p, y, False) for name, p in baselines.items()},
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
        The report (``test``, ``market``, ``gap``, ``baselines``, ``market_methods``,
        ``per_league``, ``per_season``, ``big_five``), the model's reliability table and
        per-match predictions of the comparison set.
    """
    benchmark_name = next(iter(market))
    benchmark = market[benchmark_name]
    finished = test[C.RESULT].notna().to_numpy(dtype=bool)
    usable = finished & np.isfinite(benchmark).all(axis=1) & np.isfinite(model).all(axis=1)
    for probs in [*market.values(), *baselines.values()]:
        usable &= np.isfinite(probs).all(axis=1)
    idx = np.flatnonzero(usable)
    y_all = np.full(len(test), -1, dtype=np.int64)
    y_all[finished] = metrics.outcome_codes(test.loc[finished, C.RESULT])
    y = y_all[idx]

    def take(p: FloatArray, rows: NDArray[np.int64]) -> FloatArray:
        return p[rows]

    report: dict[str, Any] = {
        "test": _scores(take(model, idx), y, True),
        "test_all_finished": _scores(model[finished], y_all[finished], True),
        "market": {**_scores(take(benchmark, idx), y, True), "method": benchmark_name},
        "gap": _gap(take(model, idx), take(benchmark, idx), y),
        "baselines": {name: _scores(take(p, idx), y, True) for name, p in baselines.items()},
        "market_methods": {name: _scores(take(p, idx), y, True) for name, p in market.items()},
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
            sub = np.flatnonzero(values == value)
            out[str(value)] = _block(
                model[rows],
                benchmark[rows],
                {k: p[rows] for k, p in baselines.items()},
                y[sub],
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
            benchmark[five_rows],
            {k: p[five_rows] for k, p in baselines.items()},
            y[in_five],
            True,
        ),
        **{k: v for k, v in report["per_league"].items() if k in big_five},
    }
    calibration = metrics.calibration_table(take(model, idx), y, bins)
    rows = test.iloc[idx]
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
            "market_home": benchmark[idx, 0],
            "market_draw": benchmark[idx, 1],
            "market_away": benchmark[idx, 2],
        }
    )
    return Evaluation(report=report, calibration=calibration, predictions=predictions)


def headline(report: Mapping[str, Any]) -> dict[str, Any]:
    """The headline blocks of a full evaluation report (what ``dvc metrics`` shows)."""
    return {key: report[key] for key in HEADLINE_BLOCKS if key in report}
