"""Scoring rules on hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import log_loss as sk_log_loss

from matchcast.models import metrics

UNIFORM = np.full((4, 3), 1.0 / 3.0)
Y4 = np.array([0, 1, 2, 0])


def test_perfect_forecast_scores_zero() -> None:
    y = np.array([0, 1, 2])
    probs = np.eye(3)[y]
    assert metrics.log_loss(probs, y) == pytest.approx(0.0, abs=1e-12)
    assert metrics.rps(probs, y) == 0.0
    assert metrics.brier(probs, y) == 0.0
    assert metrics.accuracy(probs, y) == 1.0


def test_uniform_forecast_values() -> None:
    assert metrics.log_loss(UNIFORM, Y4) == pytest.approx(math.log(3))
    # Brier: (2/3)^2 + 2 * (1/3)^2 = 2/3 for every match.
    assert metrics.brier(UNIFORM, Y4) == pytest.approx(2.0 / 3.0)
    # RPS for H: ((1/3 - 1)^2 + (2/3 - 1)^2) / 2 = 5/18; D: (1/9 + 1/9) / 2 = 1/9; A = H.
    assert metrics.per_match_rps(UNIFORM, Y4) == pytest.approx([5 / 18, 1 / 9, 5 / 18, 5 / 18])


def test_hand_computed_single_match() -> None:
    probs = np.array([[0.5, 0.3, 0.2]])
    y = np.array([2])
    assert metrics.log_loss(probs, y) == pytest.approx(-math.log(0.2))
    # cumulative forecast (0.5, 0.8) vs observed (0, 0)
    assert metrics.rps(probs, y) == pytest.approx((0.25 + 0.64) / 2)
    assert metrics.brier(probs, y) == pytest.approx(0.25 + 0.09 + 0.64)
    assert metrics.accuracy(probs, y) == 0.0


def test_log_loss_agrees_with_sklearn() -> None:
    rng = np.random.default_rng(1)
    probs = rng.dirichlet([3, 2, 2], size=200)
    y = rng.integers(0, 3, size=200)
    assert metrics.log_loss(probs, y) == pytest.approx(sk_log_loss(y, probs, labels=[0, 1, 2]))


def test_log_loss_clips_zero_probability() -> None:
    probs = np.array([[1.0, 0.0, 0.0]])
    value = metrics.log_loss(probs, np.array([1]))
    assert value == pytest.approx(-math.log(metrics.LOG_LOSS_EPS))


def test_rps_rewards_mass_near_the_outcome() -> None:
    # Same probability on the observed away win; the rest nearer (draw) scores better.
    near = np.array([[0.1, 0.6, 0.3]])
    far = np.array([[0.6, 0.1, 0.3]])
    y = np.array([2])
    assert metrics.rps(near, y) < metrics.rps(far, y)
    # log-loss and Brier cannot tell them apart.
    assert metrics.log_loss(near, y) == pytest.approx(metrics.log_loss(far, y))
    assert metrics.brier(near, y) == pytest.approx(metrics.brier(far, y))


def test_ece_small_for_calibrated_sample_and_large_for_overconfident() -> None:
    rng = np.random.default_rng(7)
    probs = rng.dirichlet([4, 2.5, 3], size=40_000)
    u = rng.random(40_000)
    y = (u[:, None] > np.cumsum(probs, axis=1)).sum(axis=1)
    assert metrics.ece(probs, y) < 0.01
    sharpened = probs**3 / (probs**3).sum(axis=1, keepdims=True)
    assert metrics.ece(sharpened, y) > 0.05


def test_ece_by_chance_bounds_calibrated_forecasts_and_shrinks_with_more_matches() -> None:
    rng = np.random.default_rng(11)
    probs = rng.dirichlet([4, 2.5, 3], size=700)
    chance = metrics.ece_by_chance(probs)
    # Outcomes drawn from the forecasts themselves: calibrated, yet their ECE is far from 0
    # on 700 matches, and it stays under the 95 % chance level about 95 times in 100.
    samples = []
    for _ in range(100):
        y = (rng.random(700)[:, None] > np.cumsum(probs, axis=1)).sum(axis=1)
        samples.append(metrics.ece(probs, y))
    assert np.mean(samples) > 0.015
    assert 85 <= sum(e <= chance for e in samples) <= 100
    assert metrics.ece_by_chance(rng.dirichlet([4, 2.5, 3], size=20_000)) < chance / 3
    assert metrics.ece_by_chance(probs, quantile=0.5) < chance
    assert math.isnan(metrics.ece_by_chance(np.empty((0, 3))))


def test_calibration_table_shape_and_counts() -> None:
    rng = np.random.default_rng(3)
    probs = rng.dirichlet([2, 2, 2], size=500)
    y = rng.integers(0, 3, size=500)
    table = metrics.calibration_table(probs, y, bins=12)
    assert list(table.columns) == ["outcome", "bin", "mean_predicted", "observed_rate", "count"]
    assert set(table["outcome"]) == {"H", "D", "A"}
    assert table.groupby("outcome")["count"].sum().tolist() == [500, 500, 500]
    assert table["bin"].between(0, 11).all()
    assert ((table["mean_predicted"] * 12).astype(int).clip(upper=11) == table["bin"]).all()


def test_summarize_keys_and_values() -> None:
    summary = metrics.summarize(UNIFORM, Y4)
    assert set(summary) == {"n", "log_loss", "rps", "brier", "ece", "accuracy"}
    assert summary["n"] == 4
    assert summary["log_loss"] == pytest.approx(math.log(3))


def test_paired_difference() -> None:
    a = np.array([1.0, 2.0, 3.0, 4.0])
    b = np.array([0.5, 2.0, 2.0, 3.5])
    mean, se = metrics.paired_difference(a, b)
    diff = a - b
    assert mean == pytest.approx(diff.mean())
    assert se == pytest.approx(diff.std(ddof=1) / 2.0)


def test_outcome_codes_and_validation() -> None:
    assert metrics.outcome_codes(["H", "D", "A"]).tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="not one of"):
        metrics.outcome_codes(["H", None])
    with pytest.raises(ValueError, match="shape"):
        metrics.log_loss(np.ones((2, 2)), np.array([0, 1]))
    with pytest.raises(ValueError, match="outcome codes"):
        metrics.rps(UNIFORM, np.array([0, 1, 3, 0]))
