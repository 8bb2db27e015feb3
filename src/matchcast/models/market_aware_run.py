"""The market-aware run: walk-forward over the test seasons, four forecasters compared.

The ``market_aware`` stage calls :func:`run_market_aware`. Each test season is forecast by
a :class:`~matchcast.models.market_aware.MarketAwareModel` fitted on the seasons before it;
then the football-only model (the 1X2 test forecasts), the market-aware model, Pinnacle's
pre-match price and Pinnacle's closing price are scored on the same matches (those with
all four), margins removed proportionally. The served model is fitted on every finished
match up to ``as_of`` (ADR-0019).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matchcast.data import columns as C
from matchcast.data.prediction_contract import PROBABILITY_COLUMNS
from matchcast.models import metrics as M
from matchcast.models.market import market_probabilities
from matchcast.models.market_aware import (
    MarketAwareModel,
    MarketAwareParams,
    fit_market_aware,
    pre_match_probabilities,
)

logger = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
#: The forecasters of the report, in the order shown.
FORECASTERS = ("football_only", "market_aware", "pre_match", "closing")
PINNACLE = "pinnacle"
#: Odds columns of the match table the run needs beside the features.
ODDS_COLUMNS = (C.MATCH_ID, *C.ODDS_PRE, C.ODDS_PRE_SOURCE, *C.ODDS_CLOSE, C.ODDS_CLOSE_SOURCE)


@dataclass(frozen=True)
class MarketAwareResult:
    """The served model, the report and the scored test forecasts."""

    model: MarketAwareModel
    report: dict[str, Any]
    test_forecasts: pd.DataFrame


def _round(value: float) -> float | None:
    return None if not np.isfinite(value) else round(float(value), 5)


def score_forecasters(forecasts: Mapping[str, FloatArray], y: NDArray[np.int64]) -> dict[str, Any]:
    """Log-loss and RPS of each forecaster and its gaps to the closing and pre-match prices.

    Args:
        forecasts: Name -> ``(n, 3)`` probabilities on the same matches; must hold
            ``closing`` and ``pre_match``.
        y: Outcome codes (0 home, 1 draw, 2 away).

    Returns:
        ``{"n", "forecasters": {name: {log_loss, rps, gap_to_closing, gap_to_pre_match}}}``,
        each gap ``{log_loss, log_loss_se, rps, rps_se}`` (negative: better than the price).
    """
    block: dict[str, Any] = {"n": len(y), "forecasters": {}}
    if len(y) < 2:
        return block
    losses = {k: M.per_match_log_loss(p, y) for k, p in forecasts.items()}
    rpss = {k: M.per_match_rps(p, y) for k, p in forecasts.items()}
    for name in forecasts:
        entry: dict[str, Any] = {
            "log_loss": _round(float(losses[name].mean())),
            "rps": _round(float(rpss[name].mean())),
        }
        for ref in ("closing", "pre_match"):
            if name == ref:
                continue
            gap, se = M.paired_difference(losses[name], losses[ref])
            gap_r, se_r = M.paired_difference(rpss[name], rpss[ref])
            entry[f"gap_to_{ref}"] = {
                "log_loss": _round(gap),
                "log_loss_se": _round(se),
                "rps": _round(gap_r),
                "rps_se": _round(se_r),
            }
        block["forecasters"][name] = entry
    return block


def market_aware_by_season(
    finished: pd.DataFrame, test: pd.DataFrame, seasons: Sequence[str], params: MarketAwareParams
) -> tuple[FloatArray, dict[str, Any]]:
    """Each test season's market-aware forecasts from a model fitted strictly before it."""
    out = np.full((len(test), 3), np.nan)
    labels = test[C.SEASON].astype("string").to_numpy()
    described: dict[str, Any] = {}
    for season in seasons:
        rows = np.flatnonzero(labels == season)
        if not len(rows):
            continue
        start = test.iloc[rows][C.DATE].min()
        model = fit_market_aware(finished[finished[C.DATE] < start], params)
        out[rows] = model.predict(test.iloc[rows])
        described[season] = model.describe()
    return out, described


def run_market_aware(
    features: pd.DataFrame,
    odds: pd.DataFrame,
    test_predictions: pd.DataFrame,
    test_seasons: Sequence[str],
    as_of: str,
    params: MarketAwareParams,
    groups: Mapping[str, Sequence[str]],
) -> MarketAwareResult:
    """Compare the four forecasters on the test seasons and fit the served model.

    Args:
        features: Features with results (finished and scheduled rows).
        odds: The match table's :data:`ODDS_COLUMNS`.
        test_predictions: The football-only model's test forecasts (``match_id``, ``p_*``).
        test_seasons: The test season labels.
        as_of: The information cut-off of the served model.
        params: The knobs.
        groups: Named league groups scored apart (e.g. the top flights), beside every
            league alone.

    Returns:
        The served model, the report (``reports/market_aware.json``) and the test forecasts.
    """
    frame = features.merge(odds, on=C.MATCH_ID, how="left")
    finished = frame[(frame[C.STATUS] == C.FINISHED) & frame[C.RESULT].notna()]
    test = finished[finished[C.SEASON].astype("string").isin(list(test_seasons))]
    test = test.reset_index(drop=True)
    aware, season_models = market_aware_by_season(finished, test, test_seasons, params)
    football = (
        test[[C.MATCH_ID]]
        .merge(test_predictions[[C.MATCH_ID, *PROBABILITY_COLUMNS]], on=C.MATCH_ID, how="left")[
            list(PROBABILITY_COLUMNS)
        ]
        .to_numpy(dtype=np.float64)
    )
    forecasts = {
        "football_only": football,
        "market_aware": aware,
        "pre_match": pre_match_probabilities(test),
        "closing": market_probabilities(
            test.reindex(columns=list(C.ODDS_CLOSE)).to_numpy(np.float64, na_value=np.nan)
        ),
    }
    pinnacle = (test[C.ODDS_PRE_SOURCE] == PINNACLE).to_numpy(bool, na_value=False) & (
        test[C.ODDS_CLOSE_SOURCE] == PINNACLE
    ).to_numpy(bool, na_value=False)
    same = pinnacle.copy()
    for p in forecasts.values():
        same &= np.isfinite(p).all(axis=1)
    y = np.full(len(test), -1, dtype=np.int64)
    y[same] = M.outcome_codes(test.loc[same, C.RESULT])
    leagues = test[C.LEAGUE].astype(str).to_numpy()

    def scored(rows: NDArray[np.bool_]) -> dict[str, Any]:
        return score_forecasters({k: p[rows] for k, p in forecasts.items()}, y[rows])

    report: dict[str, Any] = {
        "test_seasons": list(test_seasons),
        "matches": "finished test matches with Pinnacle pre-match and closing prices and "
        "every forecaster's number; margins removed proportionally",
        "all": scored(same),
        "groups": {
            name: {"leagues": list(codes), **scored(same & np.isin(leagues, list(codes)))}
            for name, codes in groups.items()
        },
        "per_league": {lg: scored(same & (leagues == lg)) for lg in sorted(set(leagues[same]))},
        "season_models": season_models,
    }
    model = fit_market_aware(finished[finished[C.DATE] <= pd.Timestamp(as_of)], params)
    report["served_model"] = model.describe()
    gap = report["all"]["forecasters"].get("market_aware", {}).get("gap_to_pre_match", {})
    logger.info(
        "market-aware vs pre-match %+.5f ± %.5f log-loss on %d matches",
        gap.get("log_loss") or float("nan"),
        gap.get("log_loss_se") or float("nan"),
        report["all"]["n"],
    )
    test_forecasts = test[[C.MATCH_ID, C.LEAGUE, C.SEASON, C.RESULT]].assign(
        same_matches=same,
        **{f"{k}_{o}": p[:, i] for k, p in forecasts.items() for i, o in enumerate("hda")},
    )
    return MarketAwareResult(model, report, test_forecasts)
