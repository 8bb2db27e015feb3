"""Class-prior baseline."""

from __future__ import annotations

import numpy as np
import pytest

from matchcast.models.baselines import ClassPrior


def test_overall_frequencies() -> None:
    y = np.array([0, 0, 0, 1, 2, 0, 1, 2, 0, 0])
    probs = ClassPrior().fit(y).predict_proba(["E0", "E1", "XX"])
    assert probs.shape == (3, 3)
    assert np.allclose(probs, [0.6, 0.2, 0.2])


def test_per_league_shrinks_towards_overall_and_handles_unseen_leagues() -> None:
    y = np.array([0] * 30 + [2] * 10 + [1] * 20 + [2] * 20)
    leagues = np.array(["E0"] * 40 + ["I1"] * 40)
    prior = ClassPrior(per_league=True, prior_strength=10.0).fit(y, leagues)
    probs = prior.predict_proba(["E0", "I1", "new"])
    overall = np.array([30, 20, 30]) / 80
    e0_raw = np.array([30, 0, 10]) / 40
    assert np.allclose(probs[2], overall)
    assert np.allclose(probs[0], (e0_raw * 40 + 10 * overall) / 50)
    assert probs[0, 0] > overall[0]  # league signal survives the shrinkage
    assert np.allclose(probs.sum(axis=1), 1.0)


def test_errors() -> None:
    with pytest.raises(RuntimeError, match="not fitted"):
        ClassPrior().predict_proba(["E0"])
    with pytest.raises(ValueError, match="league"):
        ClassPrior(per_league=True).fit(np.array([0, 1]))
