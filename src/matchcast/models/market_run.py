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
    goal_difference,
    handicap_home_probability,
    over_probability,
    reconcile,
    regions,
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


def value_report(
    test: pd.DataFrame,
    predictions: pd.DataFrame,
    prices: pd.DataFrame,
    over25: np.ndarray,
    params: StakingParams,
) -> dict[str, Any]:
    """Flat and fractional-Kelly backtests at the best pre-match prices: 1X2 and O/U 2.5.

    1X2 uses the served test forecasts; over/under 2.5 the reconciled grid's. Closing-line
    value is measured against Pinnacle's closing price with its margin removed.
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
        "asian_handicap": "not backtested (half-win/half-loss settlement at the pre-match line)",
    }  # fmt: skip


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
    report["value"] = value_report(test, test_predictions, prices, over25["model"], params.staking)
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
