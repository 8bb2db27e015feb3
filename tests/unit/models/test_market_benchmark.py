"""Goal-market benchmark: de-margined prices, handicap targets, same matches for everyone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matchcast.models.market_benchmark import (
    binary_log_loss,
    goal_market_report,
    handicap_targets,
    two_way,
)


def test_two_way_removes_the_margin_proportionally() -> None:
    p = two_way([1.8, 2.0, np.nan], [2.1, 2.0, 1.9])
    expected = (1 / 1.8) / (1 / 1.8 + 1 / 2.1)
    assert p[0] == pytest.approx(expected)
    assert p[1] == pytest.approx(0.5)
    assert np.isnan(p[2])


def test_handicap_targets_win_half_win_and_push() -> None:
    diff = np.array([1, 0, 0, 1, -1, 2])
    lines = np.array([-0.75, -0.25, 0.0, -1.0, 0.25, np.nan])
    targets = handicap_targets(diff, lines)
    assert targets[0] == 1.0  # half-win counts as the home side returning more than its stake
    assert targets[1] == 0.0  # half-loss
    assert np.isnan(targets[2]) and np.isnan(targets[3])  # pushes are not scored
    assert targets[4] == 0.0
    assert np.isnan(targets[5])


def test_report_scores_every_forecaster_on_the_same_matches() -> None:
    test = pd.DataFrame(
        {
            "match_id": ["a", "b", "c", "d", "e"],
            "league": ["E0", "E0", "D1", "D1", "D1"],
            "home_goals": [2.0, 0.0, 3.0, 1.0, 1.0],
            "away_goals": [1.0, 0.0, 1.0, 1.0, 0.0],
        }
    )
    prices = pd.DataFrame(
        {
            "match_id": ["a", "b", "c", "d", "e"],
            "ou25_pre_over": [1.9, 2.1, 1.7, 2.0, 1.8],
            "ou25_pre_under": [1.9, 1.7, 2.1, 1.8, 2.0],
            "ou25_close_over": [1.85, 2.2, 1.6, np.nan, 1.9],
            "ou25_close_under": [1.95, 1.65, 2.3, 1.9, 1.9],
            "ah_close_line": [-0.5, 0.0, -1.0, 0.25, -0.25],
            "ah_close_home": [1.9, 2.0, 1.95, 1.9, 1.9],
            "ah_close_away": [1.9, 1.85, 1.9, 1.95, 1.95],
        }
    )
    model = np.array([0.55, 0.3, 0.7, 0.5, np.nan])
    report = goal_market_report(
        test, prices, {"model": model}, {"model": np.array([0.6, 0.5, 0.55, 0.45, 0.5])}
    )
    ou = report["over_under_2_5"]
    # d has no closing price and e no model number: both left out for every forecaster.
    assert ou["n"] == 3
    y = np.array([1.0, 0.0, 1.0])
    assert ou["forecasters"]["model"]["log_loss"] == pytest.approx(
        binary_log_loss(model[:3], y).mean(), abs=1e-5
    )
    assert set(ou["forecasters"]) == {"model", "pre_match", "closing"}
    assert ou["per_league"]["E0"]["n"] == 2 and ou["per_league"]["D1"]["n"] == 1
    gap = ou["gap_to_closing"]["model"]["log_loss"]
    closing = ou["forecasters"]["closing"]["log_loss"]
    assert gap == pytest.approx(ou["forecasters"]["model"]["log_loss"] - closing, abs=2e-5)
    ah = report["asian_handicap"]
    # b (line 0, ends 0-0) is a push: left out; the other four are scored.
    assert ah["n"] == 4
