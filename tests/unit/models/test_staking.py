"""Value and staking: edge, fractional Kelly with a cap, flat and Kelly backtests, CLV."""

from __future__ import annotations

import numpy as np
import pytest

from matchcast.models.staking import StakingParams, backtest, edge, kelly_stake


def test_edge_and_kelly_on_worked_examples() -> None:
    p, odds = np.array([0.5, 0.5, 0.2]), np.array([2.2, 1.9, 6.0])
    np.testing.assert_allclose(edge(p, odds), [0.1, -0.05, 0.2])
    # Full Kelly (p·o − 1)/(o − 1): 0.1/1.2 and 0.2/5; a quarter of it, capped at 2 %.
    np.testing.assert_allclose(
        kelly_stake(p, odds, 0.25, 0.02), [min(0.25 * 0.1 / 1.2, 0.02), 0.0, 0.25 * 0.04]
    )


def test_flat_backtest_counts_profit_and_drawdown_by_hand() -> None:
    # Three binary matches; we back the side with the larger edge when it is >= 2 %.
    p = np.array([[0.6, 0.4], [0.55, 0.45], [0.5, 0.5]])
    odds = np.array([[2.0, 2.0], [2.0, 2.0], [1.9, 1.9]])  # the last has no edge
    outcome = np.array([1, 0, 0])  # first bet loses, second wins
    closing = np.array([[1.8, 2.1], [1.9, 2.0], [1.9, 1.9]])
    report = backtest(np.array([1, 2, 3]), p, odds, outcome, closing, StakingParams())
    assert report["bets"] == 2
    assert report["flat"]["profit_units"] == 0.0  # -1 then +1
    assert report["flat"]["roi"] == 0.0
    assert report["flat"]["max_drawdown_units"] == 1.0
    assert report["flat"]["hit_rate"] == 0.5
    clv = report["closing_line_value"]
    # Both prices taken (2.0) pay more than the closing line's fair odds for that side.
    assert clv["bets"] == 2 and clv["beat_closing_share"] == 1.0
    fair = (1 / 1.8) / (1 / 1.8 + 1 / 2.1)
    expected = (2.0 * fair - 1 + 2.0 * (1 / 1.9) / (1 / 1.9 + 1 / 2.0) - 1) / 2
    assert clv["mean_ev_at_closing"] == pytest.approx(expected, abs=1e-4)
    assert report["kelly"]["final_bankroll"] < 1.0 + 1e-9  # lose 2 %, then win 2 % of less
    assert report["verdict"].startswith("no demonstrated edge")


def test_a_losing_strategy_is_called_a_loss() -> None:
    n = 400
    p = np.tile([[0.6, 0.4]], (n, 1))
    odds = np.full((n, 2), 2.0)
    outcome = np.ones(n, dtype=np.int64)  # the backed side never wins
    report = backtest(np.arange(n), p, odds, outcome, odds, StakingParams())
    assert report["flat"]["roi"] == -1.0
    assert report["verdict"].startswith("no edge: backing these prices loses")


def test_no_edge_is_said_plainly() -> None:
    p = np.array([[0.5, 0.5]])
    report = backtest(np.array([1]), p, np.array([[1.9, 1.9]]), np.array([0]), p, StakingParams())
    assert report["bets"] == 0
    assert report["verdict"] == "no bet reaches the minimum edge"


def test_bankroll_curve_follows_the_bets_day_by_day() -> None:
    p = np.array([[0.6, 0.4], [0.6, 0.4], [0.6, 0.4]])
    odds = np.full((3, 2), 2.0)
    outcome = np.array([1, 0, 0])  # lose, win, win
    report = backtest(np.array([10, 11, 11]), p, odds, outcome, odds, StakingParams())
    curve = report["curve"]
    assert [c["date"] for c in curve] == ["1970-01-11", "1970-01-12"]
    assert [c["flat_units"] for c in curve] == [-1.0, 1.0]
    assert curve[-1]["kelly_bankroll"] == pytest.approx(report["kelly"]["final_bankroll"], abs=1e-4)


def test_asian_handicap_profits_settle_half_results_and_pushes() -> None:
    from matchcast.models.market_run import handicap_profits

    # Goal difference certain: +1 (index G + 1 of -G..G with G = 2).
    certain = np.zeros((3, 5))
    certain[:, 3] = 1.0
    lines = np.array([-0.75, -1.0, -1.5])
    odds = np.array([[2.0, 1.9], [2.0, 1.9], [2.0, 1.9]])
    expected, realised = handicap_profits(certain, np.array([1.0, 1.0, 1.0]), lines, odds)
    # -0.75: home half-wins (+0.5 at 2.0), away +0.75 half-loses (-0.5).
    # -1.0: a push both ways (0). -1.5: home loses (-1), away +1.5 wins (+0.9).
    np.testing.assert_allclose(realised, [[0.5, -0.5], [0.0, 0.0], [-1.0, 0.9]])
    np.testing.assert_allclose(expected, realised)  # a certain result: expected = realised


def test_half_results_back_the_side_with_the_larger_expected_profit() -> None:
    expected = np.array([[0.05, -0.1], [-0.2, 0.01]])
    realised = np.array([[0.5, -0.5], [-1.0, 0.95]])
    odds = np.array([[2.0, 1.9], [1.8, 1.95]])
    report = backtest(
        np.array([1, 2]), (1 + expected) / odds, odds, None, np.full((2, 2), np.nan),
        StakingParams(), expected=expected, realised=realised,
    )  # fmt: skip
    assert report["bets"] == 1  # the second match's best edge is below 2 %
    assert report["flat"]["profit_units"] == 0.5
    assert report["flat"]["hit_rate"] == 1.0
