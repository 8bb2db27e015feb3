"""Calibration maps: they fix miscalibrated forecasts and leave calibrated ones alone."""

from __future__ import annotations

import numpy as np
import pytest

from matchcast.models.calibration import Calibrator


def _true_probs(n: int, rng: np.random.Generator) -> np.ndarray:
    logits = rng.normal(size=(n, 3)) * np.array([0.8, 0.3, 0.8]) + np.array([0.4, 0.0, -0.1])
    e = np.exp(logits)
    return e / e.sum(axis=1, keepdims=True)


def _draw(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    u = rng.random(len(probs))[:, None]
    return (u > probs.cumsum(axis=1)).sum(axis=1).astype(np.int64)


def _nll(p: np.ndarray, y: np.ndarray) -> float:
    return float(-np.mean(np.log(p[np.arange(len(y)), y])))


@pytest.mark.parametrize("method", ["temperature", "vector", "matrix"])
def test_calibrated_forecasts_stay_close(method: str) -> None:
    rng = np.random.default_rng(0)
    probs = _true_probs(20_000, rng)
    y = _draw(probs, rng)
    out = Calibrator(method).fit(probs, y).transform(probs)
    assert np.abs(out - probs).max() < 0.04


@pytest.mark.parametrize("method", ["temperature", "vector", "matrix"])
def test_overconfident_forecasts_are_softened(method: str) -> None:
    rng = np.random.default_rng(1)
    truth = _true_probs(20_000, rng)
    y = _draw(truth, rng)
    sharp = truth**2.0
    sharp /= sharp.sum(axis=1, keepdims=True)
    fitted = Calibrator(method).fit(sharp[:10_000], y[:10_000])
    # Applied to later, unseen matches: closer to the truth and a better log-loss.
    out = fitted.transform(sharp[10_000:])
    assert _nll(out, y[10_000:]) < _nll(sharp[10_000:], y[10_000:]) - 0.01
    assert (
        np.abs(out - truth[10_000:]).mean() < 0.5 * np.abs(sharp[10_000:] - truth[10_000:]).mean()
    )


def test_vector_scaling_fixes_the_draw_rate() -> None:
    rng = np.random.default_rng(2)
    truth = _true_probs(30_000, rng)
    y = _draw(truth, rng)
    biased = truth * np.array([1.0, 0.6, 1.0])  # draws under-predicted
    biased /= biased.sum(axis=1, keepdims=True)
    out = Calibrator("vector").fit(biased, y).transform(biased)
    assert abs(out[:, 1].mean() - (y == 1).mean()) < 0.01
    assert abs(biased[:, 1].mean() - (y == 1).mean()) > 0.04


def test_rows_sum_to_one_and_none_is_identity() -> None:
    rng = np.random.default_rng(3)
    probs = _true_probs(500, rng)
    y = _draw(probs, rng)
    for method in ("none", "temperature", "vector", "matrix"):
        out = Calibrator(method).fit(probs, y).transform(probs)  # type: ignore[arg-type]
        np.testing.assert_allclose(out.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(Calibrator("none").fit(probs, y).transform(probs), probs)


def test_misuse_fails_loudly() -> None:
    with pytest.raises(ValueError, match="unknown calibration"):
        Calibrator("isotonic")  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="before fit"):
        Calibrator("vector").transform(np.full((2, 3), 1 / 3))
