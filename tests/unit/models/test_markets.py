"""Markets from the score grid: consistent with the grid, reconciled, settled by the rules."""

from __future__ import annotations

import numpy as np
import orjson
import pytest

from matchcast.data.prediction_contract import MARKET_NAMES
from matchcast.features.scorelines import score_grid
from matchcast.models.markets import (
    AH_LINES,
    OU_LINES,
    SETTLEMENTS,
    fair_odds,
    goal_difference,
    handicap_home_probability,
    handicap_outcomes,
    markets_json,
    payout,
    price_markets,
    reconcile,
    regions,
    settle,
)


@pytest.fixture
def grid() -> np.ndarray:
    rng = np.random.default_rng(7)
    return score_grid(rng.uniform(0.5, 2.5, 20), rng.uniform(0.4, 2.0, 20), -0.06)


def test_reconcile_makes_the_grid_1x2_equal_the_served_1x2(grid: np.ndarray) -> None:
    served = np.random.default_rng(3).dirichlet([4.0, 2.5, 3.0], size=len(grid))
    out = reconcile(grid, served)
    np.testing.assert_allclose(regions(out), served, atol=1e-12)
    np.testing.assert_allclose(out.sum(axis=(1, 2)), 1.0, atol=1e-12)
    # Inside a region the model's relative likelihoods are kept: 2-0 vs 1-0 unchanged.
    np.testing.assert_allclose(out[:, 2, 0] / out[:, 1, 0], grid[:, 2, 0] / grid[:, 1, 0])


def test_every_market_is_a_sum_over_the_grid(grid: np.ndarray) -> None:
    records = price_markets(grid)
    h, a = np.indices(grid.shape[1:])
    for g, rec in zip(grid, records, strict=True):
        assert list(rec) == list(MARKET_NAMES)
        one = rec["1x2"]
        assert one["home"] == pytest.approx(g[h > a].sum(), abs=1e-6)
        assert one["draw"] == pytest.approx(g[h == a].sum(), abs=1e-6)
        assert one["home"] + one["draw"] + one["away"] == pytest.approx(1.0, abs=1e-5)
        dc = rec["double_chance"]
        assert dc["home_or_draw"] == pytest.approx(g[h >= a].sum(), abs=1e-6)
        assert dc["draw_or_away"] == pytest.approx(g[h <= a].sum(), abs=1e-6)
        assert [x["line"] for x in rec["over_under"]] == list(OU_LINES)
        for x in rec["over_under"]:
            assert x["over"] == pytest.approx(g[h + a > x["line"]].sum(), abs=1e-6)
            assert x["over"] + x["under"] == pytest.approx(1.0, abs=1e-6)
        assert rec["btts"]["yes"] == pytest.approx(g[(h > 0) & (a > 0)].sum(), abs=1e-6)
        assert rec["expected_goals"]["home"] == pytest.approx((g * h).sum(), abs=1e-6)
        assert rec["expected_goals"]["away"] == pytest.approx((g * a).sum(), abs=1e-6)
        scores = rec["correct_scores"]
        assert len(scores) == 10
        assert [s["p"] for s in scores] == sorted((s["p"] for s in scores), reverse=True)
        for s in scores:
            assert s["p"] == pytest.approx(g[s["home"], s["away"]], abs=1e-6)
        assert scores[-1]["p"] >= np.sort(g.ravel())[-11] - 1e-6
        assert [x["line"] for x in rec["asian_handicap"]] == list(AH_LINES)


def test_asian_handicap_probabilities_and_mirror(grid: np.ndarray) -> None:
    rec = price_markets(grid[:1])[0]
    for line in rec["asian_handicap"]:
        home, away = line["home"], line["away"]
        assert sum(home[s] for s in SETTLEMENTS) == pytest.approx(1.0, abs=1e-5)
        # The away side's win is the home side's loss, half for half.
        assert away["win"] == pytest.approx(home["loss"], abs=1e-6)
        assert away["half_win"] == pytest.approx(home["half_loss"], abs=1e-6)
        assert away["push"] == pytest.approx(home["push"], abs=1e-6)
    zero = next(x for x in rec["asian_handicap"] if x["line"] == 0.0)
    # Draw no bet: the draw is a push.
    assert zero["home"]["push"] == pytest.approx(rec["1x2"]["draw"], abs=1e-6)
    assert zero["home"]["win"] == pytest.approx(rec["1x2"]["home"], abs=1e-6)


@pytest.mark.parametrize(
    ("goal_diff", "line", "expected"),
    [
        (1, -0.5, "win"),
        (0, -0.5, "loss"),
        (0, 0.0, "push"),
        (1, -1.0, "push"),
        (2, -1.0, "win"),
        (0, -0.25, "half_loss"),  # half on 0 pushes, half on -0.5 loses
        (1, -0.25, "win"),
        (0, 0.25, "half_win"),  # half on 0 pushes, half on +0.5 wins
        (-1, 0.25, "loss"),
        (1, -0.75, "half_win"),  # half on -0.5 wins, half on -1 pushes
        (2, -0.75, "win"),
        (0, -0.75, "loss"),
        (1, -1.25, "half_loss"),  # half on -1 pushes, half on -1.5 loses
        (-1, 1.75, "win"),
        (-2, 1.75, "half_loss"),  # half on +1.5 loses, half on +2 pushes
    ],
)
def test_settlement_worked_examples(goal_diff: int, line: float, expected: str) -> None:
    assert settle(goal_diff, line) == expected


def test_payout_worked_examples() -> None:
    assert payout("win", 1.9) == pytest.approx(1.9)
    assert payout("half_win", 1.9) == pytest.approx(1.45)  # half at 1.9, half back
    assert payout("push", 1.9) == 1.0
    assert payout("half_loss", 1.9) == 0.5
    assert payout("loss", 1.9) == 0.0
    with pytest.raises(ValueError, match=r"0\.25"):
        settle(0, 0.3)


def test_fair_odds_give_an_expected_return_of_exactly_one(grid: np.ndarray) -> None:
    diffs = goal_difference(grid)
    for line in (-1.75, -0.75, -0.5, -0.25, 0.0, 0.25, 1.0):
        p = handicap_outcomes(diffs, line)
        odds = fair_odds(p)
        expected = sum(p[s] * np.array([payout(s, o) for o in odds]) for s in SETTLEMENTS)
        np.testing.assert_allclose(expected, 1.0, atol=1e-9)


def test_handicap_probability_of_a_whole_line_is_win_given_no_push(grid: np.ndarray) -> None:
    diffs = goal_difference(grid)
    p = handicap_outcomes(diffs, 0.0)
    two_way = handicap_home_probability(diffs, np.zeros(len(grid)))
    np.testing.assert_allclose(two_way, p["win"] / (1.0 - p["push"]), atol=1e-12)
    assert np.isnan(handicap_home_probability(diffs, np.full(len(grid), np.nan))).all()


def test_markets_json_is_valid_json_in_contract_order(grid: np.ndarray) -> None:
    texts = markets_json(grid[:2])
    assert [list(orjson.loads(t)) for t in texts] == [list(MARKET_NAMES)] * 2
