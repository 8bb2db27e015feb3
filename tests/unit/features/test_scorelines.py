"""The one Dixon–Coles outcome function (features and the baseline model both call it)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from matchcast.features.scorelines import RHO_MARGIN, outcome_probabilities, score_grid


def _grid_outcomes(lam: float, mu: float, rho: float, max_goals: int) -> np.ndarray:
    """The textbook computation: the whole tau-weighted score matrix, then its regions."""
    goals = np.arange(max_goals + 1)
    grid = np.outer(stats.poisson.pmf(goals, lam), stats.poisson.pmf(goals, mu))
    grid[0, 0] *= 1 - lam * mu * rho
    grid[0, 1] *= 1 + lam * rho
    grid[1, 0] *= 1 + mu * rho
    grid[1, 1] *= 1 - rho
    grid /= grid.sum()
    return np.array([np.tril(grid, -1).sum(), np.trace(grid), np.triu(grid, 1).sum()])


@pytest.mark.parametrize(
    ("lam", "mu", "rho"), [(1.5, 1.1, 0.0), (0.8, 2.0, -0.1), (2.4, 0.6, 0.08)]
)
def test_equals_the_whole_score_matrix(lam: float, mu: float, rho: float) -> None:
    got = outcome_probabilities(np.array([lam]), np.array([mu]), rho, 10)[0]
    assert got == pytest.approx(_grid_outcomes(lam, mu, rho, 10), abs=1e-12)


def test_rho_outside_a_matchs_interval_is_clipped_to_it() -> None:
    # λμ = 25: tau(0-0) = 1 - 25ρ is negative for ρ = 0.1; the admissible upper bound is 1/25.
    got = outcome_probabilities(np.array([5.0]), np.array([5.0]), 0.1, 10)[0]
    clipped = 1 / 25 * (1 - RHO_MARGIN)
    assert got == pytest.approx(_grid_outcomes(5.0, 5.0, clipped, 10), abs=1e-12)


@pytest.mark.parametrize("rho", [-5.0, -0.9, 0.0, 0.9, 5.0])
def test_never_negative(rho: float) -> None:
    lam = np.array([0.2, 1.0, 3.5, 6.0])
    mu = np.array([4.0, 1.0, 0.3, 0.1])
    probs = outcome_probabilities(lam, mu, rho)
    assert (probs >= 0).all()
    assert np.allclose(probs.sum(axis=1), 1.0)


def test_independent_poisson_case_matches_skellam() -> None:
    probs = outcome_probabilities(np.array([1.6]), np.array([1.1]), 0.0, max_goals=25)[0]
    diff = stats.skellam(1.6, 1.1)
    assert probs[1] == pytest.approx(diff.pmf(0), abs=1e-9)
    assert probs[0] == pytest.approx(diff.sf(0), abs=1e-9)


def test_missing_expectation_gives_a_nan_row_and_leaves_the_others() -> None:
    probs = outcome_probabilities(np.array([1.5, np.nan]), np.array([1.1, 1.0]), -0.05, 10)
    assert np.isnan(probs[1]).all()
    assert probs[0].sum() == pytest.approx(1.0)
    assert outcome_probabilities(np.array([1.5]), np.array([1.1]), -0.1, 10)[0, 1] > probs[0, 1]


def test_score_grid_sums_to_one_and_agrees_with_outcome_probabilities() -> None:
    lam = np.array([0.4, 1.3, 2.6, 1.0])
    mu = np.array([2.9, 1.1, 0.7, 1.0])
    for rho in (-0.2, -0.05, 0.0, 0.1):
        grid = score_grid(lam, mu, rho)
        assert grid.shape == (4, 11, 11)
        assert (grid >= 0).all()
        np.testing.assert_allclose(grid.sum(axis=(1, 2)), 1.0, atol=1e-12)
        home = np.array([np.tril(g, -1).sum() for g in grid])
        draw = np.array([np.trace(g) for g in grid])
        away = np.array([np.triu(g, 1).sum() for g in grid])
        np.testing.assert_allclose(
            np.column_stack([home, draw, away]), outcome_probabilities(lam, mu, rho), atol=1e-12
        )


def test_score_grid_low_scores_follow_tau() -> None:
    lam, mu, rho = 1.4, 1.1, -0.1
    independent = score_grid([lam], [mu], 0.0)[0]
    grid = score_grid([lam], [mu], rho)[0]
    # Same normalising constant for both cells outside the low scores:
    ratio = grid[2, 3] / independent[2, 3]
    assert grid[0, 0] / independent[0, 0] == pytest.approx(ratio * (1 - lam * mu * rho))
    assert grid[1, 1] / independent[1, 1] == pytest.approx(ratio * (1 - rho))
    assert grid[0, 1] / independent[0, 1] == pytest.approx(ratio * (1 + lam * rho))


def test_score_grid_refuses_missing_or_non_positive_rates() -> None:
    with pytest.raises(ValueError, match="finite"):
        score_grid([np.nan], [1.0], 0.0)
    with pytest.raises(ValueError, match="positive"):
        score_grid([0.0], [1.0], 0.0)
