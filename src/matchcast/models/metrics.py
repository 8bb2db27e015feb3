"""Scoring rules for 1X2 forecasts.

Every function takes ``probs``, an array of shape ``(n, 3)`` ordered ``[H, D, A]``, and
``y``, an integer array of outcomes (``0`` = home win, ``1`` = draw, ``2`` = away win).
Per-match versions are vectorised in numpy so that paired comparisons (model against
market, model against baseline) can be made on exactly the same matches.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Probabilities are clipped to ``[LOG_LOSS_EPS, 1]`` before taking logs, so a forecast of
#: exactly 0 for the observed outcome costs ``-ln(1e-15) ≈ 34.5`` instead of infinity.
LOG_LOSS_EPS: Final = 1e-15
#: Default number of equal-width probability bins for calibration (ECE and tables).
DEFAULT_BINS: Final = 10
OUTCOME_LABELS: Final = ("H", "D", "A")


def outcome_codes(results: Iterable[object]) -> IntArray:
    """Encode ``"H"/"D"/"A"`` results as ``0/1/2``.

    Args:
        results: Result labels; anything else raises.

    Returns:
        Integer array of outcome codes.

    Raises:
        ValueError: If a label is not one of H, D, A (e.g. a missing result).
    """
    mapping = {label: code for code, label in enumerate(OUTCOME_LABELS)}
    labels = list(results)
    try:
        return np.array([mapping[str(r)] for r in labels], dtype=np.int64)
    except KeyError as exc:
        raise ValueError(f"result label {exc.args[0]!r} is not one of H, D, A") from exc


def _check(probs: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, IntArray]:
    p = np.asarray(probs, dtype=np.float64)
    outcomes = np.asarray(y)
    if p.ndim != 2 or p.shape[1] != 3:
        raise ValueError(f"probs must have shape (n, 3), got {p.shape}")
    if outcomes.shape != (p.shape[0],):
        raise ValueError(f"y must have shape ({p.shape[0]},), got {outcomes.shape}")
    if outcomes.size and (
        not np.issubdtype(outcomes.dtype, np.integer) or outcomes.min() < 0 or outcomes.max() > 2
    ):
        raise ValueError("y must hold integer outcome codes 0 (H), 1 (D), 2 (A)")
    if not np.isfinite(p).all():
        raise ValueError("probs contain NaN or infinite values")
    return p, outcomes.astype(np.int64)


def _one_hot(y: IntArray) -> FloatArray:
    return np.eye(3, dtype=np.float64)[y]


def per_match_log_loss(probs: npt.ArrayLike, y: npt.ArrayLike) -> FloatArray:
    """Negative log-probability of the observed outcome, one value per match.

    Args:
        probs: Forecasts, shape ``(n, 3)``.
        y: Outcome codes, shape ``(n,)``.

    Returns:
        Array of shape ``(n,)``; probabilities are clipped at :data:`LOG_LOSS_EPS`.
    """
    p, outcomes = _check(probs, y)
    observed = p[np.arange(p.shape[0]), outcomes]
    return np.asarray(-np.log(np.clip(observed, LOG_LOSS_EPS, 1.0)), dtype=np.float64)


def per_match_rps(probs: npt.ArrayLike, y: npt.ArrayLike) -> FloatArray:
    """Ranked probability score per match for the ordered outcomes H < D < A.

    ``RPS = 1/(r-1) * sum_k (F_k - O_k)^2`` over the first ``r-1 = 2`` cumulative
    categories; 0 is a perfect forecast, 1 the worst possible.

    Args:
        probs: Forecasts, shape ``(n, 3)``.
        y: Outcome codes, shape ``(n,)``.

    Returns:
        Array of shape ``(n,)``.
    """
    p, outcomes = _check(probs, y)
    cum_forecast = np.cumsum(p, axis=1)[:, :2]
    cum_observed = np.cumsum(_one_hot(outcomes), axis=1)[:, :2]
    return np.asarray(((cum_forecast - cum_observed) ** 2).sum(axis=1) / 2.0, dtype=np.float64)


def per_match_brier(probs: npt.ArrayLike, y: npt.ArrayLike) -> FloatArray:
    """Multiclass Brier score per match: sum over the three classes of squared error (0..2).

    Args:
        probs: Forecasts, shape ``(n, 3)``.
        y: Outcome codes, shape ``(n,)``.

    Returns:
        Array of shape ``(n,)``.
    """
    p, outcomes = _check(probs, y)
    return np.asarray(((p - _one_hot(outcomes)) ** 2).sum(axis=1), dtype=np.float64)


def log_loss(probs: npt.ArrayLike, y: npt.ArrayLike) -> float:
    """Mean negative log-likelihood of the observed outcomes (natural log).

    Args:
        probs: Forecasts, shape ``(n, 3)``.
        y: Outcome codes, shape ``(n,)``.

    Returns:
        Mean log-loss; a uniform forecast scores ``ln 3 ≈ 1.0986``.
    """
    return float(per_match_log_loss(probs, y).mean())


def rps(probs: npt.ArrayLike, y: npt.ArrayLike) -> float:
    """Mean ranked probability score (see :func:`per_match_rps`).

    Args:
        probs: Forecasts, shape ``(n, 3)``.
        y: Outcome codes, shape ``(n,)``.

    Returns:
        Mean RPS.
    """
    return float(per_match_rps(probs, y).mean())


def brier(probs: npt.ArrayLike, y: npt.ArrayLike) -> float:
    """Mean multiclass Brier score (see :func:`per_match_brier`).

    Args:
        probs: Forecasts, shape ``(n, 3)``.
        y: Outcome codes, shape ``(n,)``.

    Returns:
        Mean Brier score.
    """
    return float(per_match_brier(probs, y).mean())


def accuracy(probs: npt.ArrayLike, y: npt.ArrayLike) -> float:
    """Share of matches whose most probable outcome happened (ties go to the first class).

    Args:
        probs: Forecasts, shape ``(n, 3)``.
        y: Outcome codes, shape ``(n,)``.

    Returns:
        Accuracy in ``[0, 1]``.
    """
    p, outcomes = _check(probs, y)
    return float((p.argmax(axis=1) == outcomes).mean())


def _bin_index(values: FloatArray, bins: int) -> IntArray:
    # Equal-width bins on [0, 1]; a probability of exactly 1 falls into the last bin.
    return np.minimum((values * bins).astype(np.int64), bins - 1)


def calibration_table(
    probs: npt.ArrayLike, y: npt.ArrayLike, bins: int = DEFAULT_BINS
) -> pd.DataFrame:
    """Class-wise reliability table: for each outcome and probability bin, forecast vs frequency.

    Args:
        probs: Forecasts, shape ``(n, 3)``.
        y: Outcome codes, shape ``(n,)``.
        bins: Number of equal-width bins on ``[0, 1]``.

    Returns:
        DataFrame with columns ``outcome`` (H/D/A), ``bin`` (0-based index), ``mean_predicted``,
        ``observed_rate`` and ``count``; empty bins are omitted.
    """
    if bins < 1:
        raise ValueError("bins must be at least 1")
    p, outcomes = _check(probs, y)
    observed = _one_hot(outcomes)
    frames: list[pd.DataFrame] = []
    for k, label in enumerate(OUTCOME_LABELS):
        index = _bin_index(p[:, k], bins)
        count = np.bincount(index, minlength=bins)
        sum_pred = np.bincount(index, weights=p[:, k], minlength=bins)
        sum_obs = np.bincount(index, weights=observed[:, k], minlength=bins)
        filled = count > 0
        frames.append(
            pd.DataFrame(
                {
                    "outcome": label,
                    "bin": np.arange(bins)[filled],
                    "mean_predicted": sum_pred[filled] / count[filled],
                    "observed_rate": sum_obs[filled] / count[filled],
                    "count": count[filled],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def ece(probs: npt.ArrayLike, y: npt.ArrayLike, bins: int = DEFAULT_BINS) -> float:
    """Class-wise expected calibration error.

    For each of the three outcomes, forecasts are grouped into ``bins`` equal-width bins
    and ``sum_b (n_b / n) * |mean forecast_b - observed rate_b|`` is computed; the result
    is the mean over the three outcomes. Class-wise (rather than top-label) ECE is used
    because the draw is rarely the top label, and its calibration matters for 1X2.

    Args:
        probs: Forecasts, shape ``(n, 3)``.
        y: Outcome codes, shape ``(n,)``.
        bins: Number of equal-width bins on ``[0, 1]``.

    Returns:
        ECE in ``[0, 1]`` (0 for perfect calibration; small samples are biased upwards).
    """
    table = calibration_table(probs, y, bins)
    n = int(np.asarray(y).shape[0])
    if n == 0:
        return float("nan")
    gap = (table["mean_predicted"] - table["observed_rate"]).abs() * table["count"] / n
    return float(gap.sum() / 3.0)


def ece_by_chance(
    probs: npt.ArrayLike,
    bins: int = DEFAULT_BINS,
    quantile: float = 0.95,
    draws: int = 400,
    seed: int = 0,
) -> float:
    """The ECE that perfectly calibrated forecasts reach by chance on this many matches.

    ECE is biased upwards on small samples: on a few hundred matches even the closing
    market and the class prior score 0.02-0.04. This draws the outcomes ``draws`` times
    from ``probs`` themselves (so the forecasts are calibrated by construction) and returns
    the ``quantile`` of their ECE: an observed ECE above it is more than chance.

    Args:
        probs: Forecasts, shape ``(n, 3)``.
        bins: Number of equal-width bins on ``[0, 1]``, as for :func:`ece`.
        quantile: Which quantile of the simulated ECE to return.
        draws: Number of simulated outcome sets.
        seed: Random seed of the draws.

    Returns:
        The simulated ECE quantile (NaN for no forecasts).
    """
    p, _ = _check(probs, np.zeros(np.shape(probs)[0], dtype=np.int64))
    n = p.shape[0]
    if n == 0:
        return float("nan")
    uniform = np.random.default_rng(seed).random((draws, n, 1))
    outcomes = (uniform > np.cumsum(p, axis=1)[None, :, :2]).sum(axis=2)  # (draws, n)
    total = np.zeros(draws)
    for k in range(3):
        member = np.zeros((n, bins))
        member[np.arange(n), _bin_index(p[:, k], bins)] = 1.0
        observed = (outcomes == k).astype(np.float64) @ member  # (draws, bins)
        total += np.abs(p[:, k] @ member - observed).sum(axis=1) / n
    return float(np.quantile(total / 3.0, quantile))


def summarize(probs: npt.ArrayLike, y: npt.ArrayLike) -> dict[str, Any]:
    """All headline metrics at once.

    Args:
        probs: Forecasts, shape ``(n, 3)``.
        y: Outcome codes, shape ``(n,)``.

    Returns:
        Dict with keys ``n``, ``log_loss``, ``rps``, ``brier``, ``ece`` and ``accuracy``.
    """
    p, outcomes = _check(probs, y)
    return {
        "n": int(p.shape[0]),
        "log_loss": log_loss(p, outcomes),
        "rps": rps(p, outcomes),
        "brier": brier(p, outcomes),
        "ece": ece(p, outcomes),
        "accuracy": accuracy(p, outcomes),
    }


def paired_difference(a_losses: npt.ArrayLike, b_losses: npt.ArrayLike) -> tuple[float, float]:
    """Mean and standard error of per-match loss differences ``a - b``.

    Args:
        a_losses: Per-match losses of forecaster A, shape ``(n,)``.
        b_losses: Per-match losses of forecaster B on the same matches, shape ``(n,)``.

    Returns:
        ``(mean difference, standard error)``; a negative mean favours A. The standard
        error is ``std(d, ddof=1) / sqrt(n)`` (NaN when ``n < 2``).
    """
    a = np.asarray(a_losses, dtype=np.float64)
    b = np.asarray(b_losses, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"loss arrays must be 1-d and equal length, got {a.shape} and {b.shape}")
    diff = a - b
    n = diff.shape[0]
    if n == 0:
        return float("nan"), float("nan")
    se = float(diff.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    return float(diff.mean()), se
