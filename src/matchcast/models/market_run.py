"""The markets run: the scoreline model walk-forward over the test seasons, then for serving.

The ``markets`` stage calls :func:`run_markets`. Each test season's grids come from a model
fitted before it and are reconciled to the 1X2 model's test forecasts of the same matches
(``test_predictions.parquet``), so the benchmark scores what would have been served. The
served scoreline model is then fitted on every finished match up to ``as_of``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from matchcast.data import columns as C
from matchcast.data.prediction_contract import PROBABILITY_COLUMNS
from matchcast.models.market_benchmark import goal_market_report
from matchcast.models.markets import (
    SETTLEMENTS,
    goal_difference,
    handicap_home_probability,
    handicap_outcomes,
    over_probability,
    payout,
    reconcile,
    regions,
    settle,
)
from matchcast.models.scoreline import (
    ScorelineModel,
    ScorelineParams,
    fit_by_season,
    fit_scoreline,
    grids_by_season,
)
from matchcast.models.staking import StakingParams, backtest

logger = logging.getLogger(__name__)


class MarketsParams(BaseModel):
    """The ``markets:`` slice of params.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scoreline: ScorelineParams = ScorelineParams()
    staking: StakingParams = StakingParams()


def handicap_profits(
    diff_probs: np.ndarray, goal_diff: np.ndarray, lines: np.ndarray, odds: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Expected and realised profit per unit stake of the home and away Asian-handicap bets.

    Args:
        diff_probs: ``(n, 2G + 1)`` goal-difference probabilities from the grid.
        goal_diff: Home minus away goals per match (NaN: not played).
        lines: The home side's handicap per match (the away side takes ``-line``).
        odds: ``(n, 2)`` decimal odds of the home and away bets.

    Returns:
        ``(expected, realised)``, each ``(n, 2)``; NaN where the line, odds or result
        are missing. Half wins, half losses and pushes settle as the rules say.
    """
    n = len(lines)
    expected = np.full((n, 2), np.nan)
    realised = np.full((n, 2), np.nan)
    for line in np.unique(lines[np.isfinite(lines)]):
        rows = np.flatnonzero(lines == line)
        sides = (handicap_outcomes(diff_probs[rows], float(line)),
                 handicap_outcomes(diff_probs[rows][:, ::-1], float(-line)))  # fmt: skip
        for k, p in enumerate(sides):
            o = odds[rows, k]
            expected[rows, k] = sum(p[s] * (payout(s, 1.0) + (o - 1.0) * _WIN_SHARE[s])
                                    for s in SETTLEMENTS) - 1.0  # fmt: skip
        for i in rows:
            if not np.isfinite(goal_diff[i]):
                continue
            d = int(goal_diff[i])
            realised[i, 0] = payout(settle(d, float(line)), float(odds[i, 0])) - 1.0
            realised[i, 1] = payout(settle(-d, float(-line)), float(odds[i, 1])) - 1.0
    return expected, realised


# Share of (odds - 1) each settlement pays on top of payout(s, 1): a win all, a half-win half.
_WIN_SHARE = {"win": 1.0, "half_win": 0.5, "push": 0.0, "half_loss": 0.0, "loss": 0.0}


def value_report(
    test: pd.DataFrame,
    predictions: pd.DataFrame,
    prices: pd.DataFrame,
    over25: np.ndarray,
    params: StakingParams,
    diff_probs: np.ndarray | None = None,
) -> dict[str, Any]:
    """Flat and fractional-Kelly backtests at the best pre-match prices: 1X2, O/U 2.5, AH.

    1X2 uses the served test forecasts; over/under 2.5 and the Asian handicap the
    reconciled grid's (``diff_probs``: its goal-difference distribution). The handicap is
    backed at the pre-match line ``AHh`` at the best prices (``MaxAHH``/``MaxAHA``), settled
    with half results and pushes. Closing-line value is measured against Pinnacle's closing
    price with its margin removed (for the handicap only where the closing line is the
    pre-match line).
    """
    joined = test[[C.MATCH_ID]].merge(prices, on=C.MATCH_ID, how="left")
    days = test[C.DATE].to_numpy("datetime64[D]").astype(np.int64)
    served = test[[C.MATCH_ID]].merge(predictions, on=C.MATCH_ID, how="left")
    p_1x2 = served[list(PROBABILITY_COLUMNS)].to_numpy(dtype=np.float64)
    closing_1x2 = 1.0 / served[["market_home", "market_draw", "market_away"]].to_numpy(
        dtype=np.float64
    )
    result = test[C.RESULT].map({"H": 0, "D": 1, "A": 2}).to_numpy(dtype=np.int64)
    usable = np.isfinite(p_1x2).all(axis=1)
    max_1x2 = joined[["x12_max_home", "x12_max_draw", "x12_max_away"]].to_numpy(np.float64)
    goals = (test[C.HOME_GOALS] + test[C.AWAY_GOALS]).to_numpy(dtype=np.float64)
    ou_ok = np.isfinite(over25)
    p_ou = np.column_stack([over25, 1.0 - over25])
    max_ou = joined[["ou25_max_over", "ou25_max_under"]].to_numpy(np.float64)
    close_ou = joined[["ou25_close_over", "ou25_close_under"]].to_numpy(np.float64)
    under = (goals <= 2.5).astype(np.int64)
    return {
        "1x2": backtest(
            days[usable], p_1x2[usable], max_1x2[usable], result[usable],
            closing_1x2[usable], params,
        ),
        "over_under_2_5": backtest(
            days[ou_ok], p_ou[ou_ok], max_ou[ou_ok], under[ou_ok], close_ou[ou_ok], params
        ),
        "asian_handicap": _handicap_backtest(test, joined, days, diff_probs, params),
    }  # fmt: skip


def _handicap_backtest(
    test: pd.DataFrame,
    joined: pd.DataFrame,
    days: np.ndarray,
    diff_probs: np.ndarray | None,
    params: StakingParams,
) -> dict[str, Any] | str:
    if diff_probs is None:
        return "not backtested (no score grids)"
    lines = joined["ah_pre_line"].to_numpy(np.float64)
    odds = joined[["ah_max_home", "ah_max_away"]].to_numpy(np.float64)
    goal_diff = (test[C.HOME_GOALS] - test[C.AWAY_GOALS]).to_numpy(dtype=np.float64)
    expected, realised = handicap_profits(diff_probs, goal_diff, lines, odds)
    # A copy: pandas may hand out a read-only view of its block, and the next line writes.
    close = joined[["ah_close_home", "ah_close_away"]].to_numpy(np.float64, copy=True)
    close[joined["ah_close_line"].to_numpy(np.float64) != lines] = np.nan
    ok = np.isfinite(expected).all(axis=1) & np.isfinite(realised).all(axis=1)
    p_equivalent = (1.0 + expected) / odds
    return backtest(
        days[ok], p_equivalent[ok], odds[ok], None, close[ok], params,
        expected=expected[ok], realised=realised[ok],
    )  # fmt: skip


@dataclass(frozen=True)
class MarketsResult:
    """The served scoreline model, the benchmark report and the test forecasts scored."""

    model: ScorelineModel
    report: dict[str, Any]
    test_markets: pd.DataFrame


def _served_1x2(test: pd.DataFrame, predictions: pd.DataFrame) -> np.ndarray:
    joined = test[[C.MATCH_ID]].merge(
        predictions[[C.MATCH_ID, *PROBABILITY_COLUMNS]], on=C.MATCH_ID, how="left"
    )
    return joined[list(PROBABILITY_COLUMNS)].to_numpy(dtype=np.float64)


def run_markets(
    features: pd.DataFrame,
    test_predictions: pd.DataFrame,
    prices: pd.DataFrame,
    test_seasons: Sequence[str],
    as_of: str,
    params: MarketsParams,
) -> MarketsResult:
    """Benchmark the goal markets on the test seasons and fit the served scoreline model.

    Args:
        features: Features with goals (finished and scheduled rows).
        test_predictions: The 1X2 model's test forecasts (``match_id``, ``p_*``).
        prices: Goal-market prices by match id (``read_goal_prices``).
        test_seasons: The test season labels (as the evaluate stage found them).
        as_of: The information cut-off: the served model sees finished matches up to it.
        params: The knobs.

    Returns:
        The served model and the report (``reports/markets.json``).
    """
    finished = features[(features[C.STATUS] == C.FINISHED) & features[C.HOME_GOALS].notna()]
    test = finished[finished[C.SEASON].astype("string").isin(list(test_seasons))]
    test = test.reset_index(drop=True)
    season_models = fit_by_season(finished, test_seasons, params.scoreline)
    raw = grids_by_season(season_models, test)
    served = _served_1x2(test, test_predictions)
    has_1x2 = np.isfinite(served).all(axis=1)
    grid = raw.copy()
    grid[has_1x2] = reconcile(raw[has_1x2], served[has_1x2])
    grid[~has_1x2] = np.nan
    agreement = float(np.abs(regions(grid[has_1x2]) - served[has_1x2]).max(initial=0.0))
    lines = (
        test[[C.MATCH_ID]]
        .merge(prices[[C.MATCH_ID, "ah_close_line"]], on=C.MATCH_ID, how="left")["ah_close_line"]
        .to_numpy(dtype=np.float64)
    )
    over25 = {"model": over_probability(grid, 2.5), "scoreline_raw": over_probability(raw, 2.5)}
    ah_home = {
        "model": handicap_home_probability(goal_difference(grid), lines),
        "scoreline_raw": handicap_home_probability(goal_difference(raw), lines),
    }
    report = goal_market_report(test, prices, over25=over25, ah_home=ah_home)
    test_markets = test[[C.MATCH_ID, C.LEAGUE, C.SEASON, C.HOME_GOALS, C.AWAY_GOALS]].assign(
        **{f"over25_{k}": v for k, v in over25.items()},
        **{f"ah_home_{k}": v for k, v in ah_home.items()},
    )
    report["value"] = value_report(
        test, test_predictions, prices, over25["model"], params.staking, goal_difference(grid)
    )
    report["test_seasons"] = list(test_seasons)
    report["grid_vs_served_1x2_max_abs"] = agreement
    report["season_models"] = {s: m.describe() for s, m in season_models.items()}
    cutoff = pd.Timestamp(as_of)
    model = fit_scoreline(finished[finished[C.DATE] <= cutoff], params.scoreline)
    report["served_model"] = model.describe()
    ou = report["over_under_2_5"]["gap_to_closing"].get("model", {})
    logger.info(
        "over/under 2.5: model vs closing %+.4f ± %.4f log-loss on %d matches",
        ou.get("log_loss") or float("nan"),
        ou.get("log_loss_se") or float("nan"),
        report["over_under_2_5"]["n"],
    )
    return MarketsResult(model, report, test_markets)
