"""The market benchmark: bookmaker 1X2 odds turned into probabilities.

Bookmaker odds carry a margin (the implied probabilities ``1/odds`` sum to more than 1).
Three standard ways of removing it are implemented, all vectorised over rows:

* ``proportional`` — divide ``1/odds`` by their sum (the usual benchmark).
* ``shin`` — Shin's (1993) insider-trading model: ``p_i = (sqrt(z^2 + 4(1-z) q_i^2 / Q) - z)
  / (2(1-z))`` with ``q_i = 1/odds_i``, ``Q = sum q_i`` and the insider share ``z`` solved
  per row so that the ``p_i`` sum to 1.
* ``power`` — ``p_i = q_i^k`` with ``k`` solved per row so that the ``p_i`` sum to 1.

Shin and power take more margin off long shots than off favourites, which corrects the
favourite–longshot bias: compared with ``proportional`` the favourite gets a higher and the
long shot a lower probability. Rows with a missing price, or any price ``<= 1``, give NaN.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from matchcast.data import columns as col

FloatArray = npt.NDArray[np.float64]
Method = Literal["proportional", "shin", "power"]
METHODS: Final = ("proportional", "shin", "power")
NO_ODDS: Final = "none"  # source label of a row without any usable odds triple
_BISECTION_STEPS: Final = 100


def _bisect(fun: Callable[[FloatArray], FloatArray], lo: FloatArray, hi: FloatArray) -> FloatArray:
    """Root of a per-row decreasing function ``fun`` bracketed by ``fun(lo) >= 0 >= fun(hi)``."""
    lo, hi = lo.copy(), hi.copy()
    for _ in range(_BISECTION_STEPS):
        mid = 0.5 * (lo + hi)
        positive = fun(mid) > 0
        lo = np.where(positive, mid, lo)
        hi = np.where(positive, hi, mid)
    return np.asarray(0.5 * (lo + hi), dtype=np.float64)


def _shin(q: FloatArray) -> FloatArray:
    total = q.sum(axis=1, keepdims=True)

    def probs(z: FloatArray) -> FloatArray:
        zz = z[:, None]
        root = np.sqrt(zz**2 + 4.0 * (1.0 - zz) * q**2 / total)
        return np.asarray((root - zz) / (2.0 * (1.0 - zz)), dtype=np.float64)

    # sum p(z) equals sqrt(Q) > 1 at z = 0 and falls below 1 as z -> 1.
    n = q.shape[0]
    z = _bisect(lambda z: probs(z).sum(axis=1) - 1.0, np.zeros(n), np.full(n, 1.0 - 1e-9))
    result = probs(z)
    return np.asarray(result / result.sum(axis=1, keepdims=True), dtype=np.float64)


def _power(q: FloatArray) -> FloatArray:
    # sum q^k is decreasing in k (all q < 1), equals 3 at k = 0 and tends to 0; find an
    # upper bracket by doubling, then bisect.
    n = q.shape[0]
    hi = np.full(n, 2.0)
    for _ in range(60):
        too_low = (q ** hi[:, None]).sum(axis=1) > 1.0
        if not too_low.any():
            break
        hi = np.where(too_low, hi * 2.0, hi)
    k = _bisect(lambda k: (q ** k[:, None]).sum(axis=1) - 1.0, np.zeros(n), hi)
    result = q ** k[:, None]
    return np.asarray(result / result.sum(axis=1, keepdims=True), dtype=np.float64)


def market_probabilities(odds: npt.ArrayLike, method: Method = "proportional") -> FloatArray:
    """Margin-free outcome probabilities from decimal 1X2 odds.

    Args:
        odds: Decimal odds, shape ``(n, 3)`` ordered ``[H, D, A]``.
        method: ``"proportional"``, ``"shin"`` or ``"power"``.

    Returns:
        Probabilities of shape ``(n, 3)`` summing to 1 per row; rows with a missing price or
        a price ``<= 1`` are all NaN. For Shin, rows whose implied probabilities sum to at
        most 1 (no margin, or an arbitrage across bookmakers) have no admissible insider
        share and fall back to proportional.

    Raises:
        ValueError: On a wrong shape or unknown method.
    """
    o = np.asarray(odds, dtype=np.float64)
    if o.ndim != 2 or o.shape[1] != 3:
        raise ValueError(f"odds must have shape (n, 3), got {o.shape}")
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {METHODS}")
    out = np.full(o.shape, np.nan)
    valid = np.isfinite(o).all(axis=1) & (o > 1.0).all(axis=1)
    if not valid.any():
        return out
    q = 1.0 / o[valid]
    proportional = q / q.sum(axis=1, keepdims=True)
    if method == "proportional":
        out[valid] = proportional
    elif method == "power":
        out[valid] = _power(q)
    else:
        with_margin = q.sum(axis=1) > 1.0
        shin = proportional.copy()
        if with_margin.any():
            shin[with_margin] = _shin(q[with_margin])
        out[valid] = shin
    return out


def _triple(matches: pd.DataFrame, names: tuple[str, str, str]) -> FloatArray:
    if not all(name in matches.columns for name in names):
        return np.full((len(matches), 3), np.nan)
    return np.column_stack(
        [
            pd.to_numeric(matches[name], errors="coerce").to_numpy(np.float64, na_value=np.nan)
            for name in names
        ]
    )


def _usable(odds: FloatArray) -> npt.NDArray[np.bool_]:
    return np.asarray(np.isfinite(odds).all(axis=1) & (odds > 1.0).all(axis=1))


def market_triple(matches: pd.DataFrame) -> tuple[FloatArray, npt.NDArray[np.object_]]:
    """The market benchmark's odds: closing odds where present, else pre-match odds.

    Args:
        matches: Canonical match rows (columns from :mod:`matchcast.data.columns`).

    Returns:
        ``(odds, sources)``: odds of shape ``(n, 3)`` (NaN rows when neither triple is usable)
        and per-row labels such as ``"close:pinnacle"``, ``"pre:bet365"`` or ``"none"``.
    """
    close = _triple(matches, col.ODDS_CLOSE)
    pre = _triple(matches, col.ODDS_PRE)
    use_close = _usable(close)
    use_pre = ~use_close & _usable(pre)
    odds = np.full((len(matches), 3), np.nan)
    odds[use_close] = close[use_close]
    odds[use_pre] = pre[use_pre]

    def labels(kind: str, source_column: str) -> npt.NDArray[np.object_]:
        if source_column in matches.columns:
            names = matches[source_column].astype("string").fillna("unknown").to_numpy(object)
        else:
            names = np.full(len(matches), "unknown", dtype=object)
        return np.asarray([f"{kind}:{name}" for name in names], dtype=object)

    sources = np.full(len(matches), NO_ODDS, dtype=object)
    sources[use_close] = labels("close", col.ODDS_CLOSE_SOURCE)[use_close]
    sources[use_pre] = labels("pre", col.ODDS_PRE_SOURCE)[use_pre]
    return odds, sources
