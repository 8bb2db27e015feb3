"""Home/draw/away probabilities of the Dixon–Coles score model: the one implementation.

Scores are independent Poisson variables (means ``λ`` home, ``μ`` away) reweighted by the
low-score factor ``tau`` of Dixon & Coles (1997): ``1 - λμρ`` for 0-0, ``1 + λρ`` for 0-1,
``1 + μρ`` for 1-0, ``1 - ρ`` for 1-1, 1 otherwise; the matrix is truncated at ``max_goals``
per side and renormalised. ``ρ`` is clipped per match into the interval that keeps every
``tau`` positive (``max(-1/λ, -1/μ) <= ρ <= min(1/(λμ), 1)``, shrunk by :data:`RHO_MARGIN`),
so no probability is negative. The rating features (``f_dc_p_*``) and the Dixon–Coles
baseline model (``models/dixon_coles.py``) both call :func:`outcome_probabilities`; the
scoreline model (``models/scoreline.py``) takes the whole matrix from :func:`score_grid`.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import stats

FloatArray = npt.NDArray[np.float64]

#: ``ρ`` is kept this fraction inside the admissible interval, so every ``tau >= 0.01``.
RHO_MARGIN: Final = 0.01
DEFAULT_MAX_GOALS: Final = 10


def admissible_rho(lam: FloatArray, mu: FloatArray) -> tuple[float, float]:
    """Interval of ``ρ`` keeping every ``tau`` non-negative for all the given matches.

    Args:
        lam: Expected home goals per match.
        mu: Expected away goals per match.

    Returns:
        ``(lower, upper)`` = ``(max(-1/λ, -1/μ), min(1/(λμ), 1))`` over all matches.
    """
    lower = -1.0 / float(max(lam.max(), mu.max()))
    upper = min(1.0, 1.0 / float((lam * mu).max()))
    return lower, upper


def outcome_probabilities(
    lam: npt.ArrayLike, mu: npt.ArrayLike, rho: float, max_goals: int = DEFAULT_MAX_GOALS
) -> FloatArray:
    """Home/draw/away probabilities from the Dixon–Coles score matrix.

    Computed from the marginal Poisson probabilities and their cumulative sums (no
    ``n × G × G`` matrix), so it runs over every match of the archive in one call.

    Args:
        lam: Expected home goals, shape ``(n,)``; NaN gives a NaN row.
        mu: Expected away goals, shape ``(n,)``; NaN gives a NaN row.
        rho: Low-score dependence parameter (negative: more low draws).
        max_goals: Largest number of goals per side in the matrix.

    Returns:
        Array of shape ``(n, 3)`` ordered ``[H, D, A]``; rows sum to 1 (or are NaN).
    """
    lam_raw = np.asarray(lam, dtype=np.float64)
    mu_raw = np.asarray(mu, dtype=np.float64)
    missing = np.isnan(lam_raw) | np.isnan(mu_raw)
    lam_a = np.where(missing, 1.0, lam_raw)
    mu_a = np.where(missing, 1.0, mu_raw)
    goals = np.arange(max_goals + 1)
    ph = stats.poisson.pmf(goals[None, :], lam_a[:, None])
    pa = stats.poisson.pmf(goals[None, :], mu_a[:, None])
    p_home = np.sum(ph[:, 1:] * np.cumsum(pa, axis=1)[:, :-1], axis=1)
    p_draw = np.sum(ph * pa, axis=1)
    p_away = np.sum(pa[:, 1:] * np.cumsum(ph, axis=1)[:, :-1], axis=1)
    lower = -1.0 / np.maximum(lam_a, mu_a)
    upper = np.minimum(1.0, 1.0 / (lam_a * mu_a))
    r = np.clip(rho, lower * (1.0 - RHO_MARGIN), upper * (1.0 - RHO_MARGIN))
    p00, p01 = ph[:, 0] * pa[:, 0], ph[:, 0] * pa[:, 1]
    p10, p11 = ph[:, 1] * pa[:, 0], ph[:, 1] * pa[:, 1]
    p_draw = p_draw - p00 * lam_a * mu_a * r - p11 * r
    p_home = p_home + p10 * mu_a * r
    p_away = p_away + p01 * lam_a * r
    probs = np.column_stack([p_home, p_draw, p_away])
    probs /= probs.sum(axis=1, keepdims=True)
    probs[missing] = np.nan
    return np.asarray(probs, dtype=np.float64)


def score_grid(
    lam: npt.ArrayLike, mu: npt.ArrayLike, rho: float, max_goals: int = DEFAULT_MAX_GOALS
) -> FloatArray:
    """The full Dixon–Coles score matrix of each match, normalised to sum to 1.

    The same model as :func:`outcome_probabilities` (same ``tau``, same clipping of
    ``ρ``, same truncation), so summing the grid's regions gives exactly its H/D/A.

    Args:
        lam: Expected home goals, shape ``(n,)`` (finite and positive).
        mu: Expected away goals, shape ``(n,)`` (finite and positive).
        rho: Low-score dependence parameter.
        max_goals: Largest number of goals per side in the matrix.

    Returns:
        Array of shape ``(n, max_goals + 1, max_goals + 1)``: ``[i, h, a]`` is the
        probability that match ``i`` ends ``h``–``a``.

    Raises:
        ValueError: A rate is missing, not finite or not positive.
    """
    lam_a = np.asarray(lam, dtype=np.float64).reshape(-1)
    mu_a = np.asarray(mu, dtype=np.float64).reshape(-1)
    if lam_a.shape != mu_a.shape:
        raise ValueError(f"lam and mu differ in shape: {lam_a.shape} vs {mu_a.shape}")
    if not (np.isfinite(lam_a).all() and np.isfinite(mu_a).all()):
        raise ValueError("score rates must be finite")
    if (lam_a <= 0).any() or (mu_a <= 0).any():
        raise ValueError("score rates must be positive")
    goals = np.arange(max_goals + 1)
    ph = stats.poisson.pmf(goals[None, :], lam_a[:, None])
    pa = stats.poisson.pmf(goals[None, :], mu_a[:, None])
    grid = ph[:, :, None] * pa[:, None, :]
    lower = -1.0 / np.maximum(lam_a, mu_a)
    upper = np.minimum(1.0, 1.0 / (lam_a * mu_a))
    r = np.clip(rho, lower * (1.0 - RHO_MARGIN), upper * (1.0 - RHO_MARGIN))
    grid[:, 0, 0] *= 1.0 - lam_a * mu_a * r
    grid[:, 0, 1] *= 1.0 + lam_a * r
    grid[:, 1, 0] *= 1.0 + mu_a * r
    grid[:, 1, 1] *= 1.0 - r
    grid /= grid.sum(axis=(1, 2), keepdims=True)
    return np.asarray(grid, dtype=np.float64)
