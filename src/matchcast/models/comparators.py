"""The forecasters the model is compared with on the test period: baselines and the market.

The ``evaluate`` stage scores all of them on exactly the same test matches; its knobs are
:class:`EvaluateParams`.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from matchcast.data import columns as C
from matchcast.models import metrics
from matchcast.models.baselines import ClassPrior
from matchcast.models.dixon_coles_walk_forward import dixon_coles_walk_forward
from matchcast.models.evaluation import BIG_FIVE
from matchcast.models.market import market_probabilities, market_triple

logger = logging.getLogger(__name__)


class DixonColesBaseline(BaseModel):
    """Knobs of the Dixon–Coles walk-forward baseline (its cost dominates this stage)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    refit_every_days: int = Field(default=7, ge=1)
    window_days: int = Field(default=730, ge=30)
    xi: float = Field(default=0.0018, ge=0)


class EvaluateParams(BaseModel):
    """The ``evaluate:`` slice of params.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    test_seasons: int = Field(default=2, ge=1)  # complete seasons of each league
    # Test period = every finished match from this day to as_of (test_seasons then unused).
    test_from: dt.date | None = None
    # Test season labels whose first matches fall within this many days share one
    # walk-forward fit, made before the earliest of them (0: one fit per label; ADR-0023).
    walk_forward_group_days: int = Field(default=0, ge=0)
    calibration_bins: int = Field(default=10, ge=2)
    market_methods: list[str] = Field(default_factory=lambda: ["proportional", "shin", "power"])
    big_five: list[str] = Field(default_factory=lambda: list(BIG_FIVE))
    # Feature columns holding rating-implied [H, D, A] probabilities, scored as a baseline.
    elo_columns: list[str] = Field(
        default_factory=lambda: ["f_elo_p_home", "f_elo_p_draw", "f_elo_p_away"]
    )
    dixon_coles: DixonColesBaseline = DixonColesBaseline()


def baseline_forecasts(
    train: pd.DataFrame,
    test: pd.DataFrame,
    matches: pd.DataFrame,
    params: EvaluateParams,
) -> dict[str, np.ndarray]:
    """Every baseline's probabilities for the test rows (in ``test`` order).

    Args:
        train: training rows (for the class prior).
        test: test rows of the features frame.
        matches: the canonical match table (for Dixon–Coles).
        params: evaluate knobs.

    Returns:
        Name -> (n_test, 3) probabilities.
    """
    y_train = metrics.outcome_codes(train[C.RESULT])
    leagues = test[C.LEAGUE].astype(str).to_numpy()
    out: dict[str, np.ndarray] = {
        "class_prior": ClassPrior().fit(y_train).predict_proba(leagues),
        "class_prior_league": ClassPrior(per_league=True)
        .fit(y_train, train[C.LEAGUE].astype(str).to_numpy())
        .predict_proba(leagues),
    }
    if all(c in test.columns for c in params.elo_columns):
        elo = test[params.elo_columns].to_numpy(dtype=np.float64, na_value=np.nan)
        out["elo"] = elo / elo.sum(axis=1, keepdims=True)
    else:
        logger.info(
            "no Elo probability columns %s in the features: Elo baseline skipped",
            params.elo_columns,
        )
    dc = params.dixon_coles
    if dc.enabled:
        started = time.perf_counter()
        ordered = matches.set_index(C.MATCH_ID)
        mask = ordered.index.isin(test[C.MATCH_ID])
        probs = dixon_coles_walk_forward(
            ordered.reset_index(),
            mask,
            refit_every_days=dc.refit_every_days,
            window_days=dc.window_days,
            xi=dc.xi,
        )
        by_id = pd.DataFrame(probs, index=ordered.index[mask])
        out["dixon_coles"] = by_id.reindex(test[C.MATCH_ID]).to_numpy(dtype=np.float64)
        logger.info("Dixon–Coles walk-forward in %.0fs", time.perf_counter() - started)
    return out


def market_forecasts(
    test: pd.DataFrame, matches: pd.DataFrame, methods: list[str]
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Margin-free market probabilities per method for the test rows, and the odds sources."""
    rows = matches.set_index(C.MATCH_ID).reindex(test[C.MATCH_ID]).reset_index()
    odds, sources = market_triple(rows)
    probs = {f"market_{m}": market_probabilities(odds, m) for m in methods}  # type: ignore[arg-type]
    return probs, sources
