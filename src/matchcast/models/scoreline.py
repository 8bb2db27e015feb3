"""The scoreline model: a home/away goal-rate Poisson regression and a Dixon–Coles ``ρ``.

Two Poisson GLMs (scikit-learn ``PoissonRegressor`` on the standardised point-in-time
``f_*`` features, missing values imputed with the training median) give the expected
home goals ``λ`` and away goals ``μ`` of each match; one low-score dependence ``ρ`` is
then fitted by maximum likelihood on the training rows with the rates held fixed. The score
grid is :func:`matchcast.features.scorelines.score_grid` (0–``max_goals`` per side).

Trained walk-forward like the 1X2 model: :func:`fit_by_season` fits one model per test
season on the seasons before it, and the served model is fitted on every finished match up
to ``as_of``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field
from scipy.optimize import minimize_scalar
from sklearn.linear_model import PoissonRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from matchcast.data import columns as C
from matchcast.data.io import read_pickle
from matchcast.features.scorelines import RHO_MARGIN, score_grid
from matchcast.models.estimator import feature_columns, last_seasons
from matchcast.models.imputation import median_imputer

logger = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
RHO_BOUNDS = (-0.3, 0.3)
RATE_FLOOR = 0.05


class ScorelineParams(BaseModel):
    """The ``markets.scoreline`` slice of params.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    alpha: float = Field(default=1e-3, ge=0, description="L2 strength of both Poisson GLMs.")
    max_iter: int = Field(default=300, ge=10)
    max_goals: int = Field(default=10, ge=5, le=15)
    train_window_seasons: int = Field(default=12, ge=1)
    threads: int = Field(default=1, ge=1)


def _low_score_log_tau(
    home: NDArray[np.int64], away: NDArray[np.int64], lam: FloatArray, mu: FloatArray, rho: float
) -> float:
    lower = -1.0 / np.maximum(lam, mu)
    upper = np.minimum(1.0, 1.0 / (lam * mu))
    r = np.clip(rho, lower * (1.0 - RHO_MARGIN), upper * (1.0 - RHO_MARGIN))
    tau = np.ones_like(lam)
    tau = np.where((home == 0) & (away == 0), 1.0 - lam * mu * r, tau)
    tau = np.where((home == 0) & (away == 1), 1.0 + lam * r, tau)
    tau = np.where((home == 1) & (away == 0), 1.0 + mu * r, tau)
    tau = np.where((home == 1) & (away == 1), 1.0 - r, tau)
    return float(np.log(tau).sum())


def fit_rho(
    home: NDArray[np.int64], away: NDArray[np.int64], lam: FloatArray, mu: FloatArray
) -> float:
    """Maximum-likelihood Dixon–Coles ``ρ`` with the goal rates held fixed.

    Only the low-score factor ``tau`` depends on ``ρ`` (the Poisson terms do not), so the
    likelihood to maximise is the sum of ``log tau`` over the four low scores.
    """
    result = minimize_scalar(
        lambda r: -_low_score_log_tau(home, away, lam, mu, float(r)),
        bounds=RHO_BOUNDS,
        method="bounded",
    )
    return float(result.x)


class ScorelineModel:
    """Expected goals per side from features, and the Dixon–Coles score grid."""

    def __init__(self, params: ScorelineParams) -> None:
        self.params = params
        self.feature_columns: list[str] = []
        self.home: Pipeline | None = None
        self.away: Pipeline | None = None
        self.rho = 0.0
        self.trained_through: str | None = None
        self.n_train = 0

    def _glm(self, x: FloatArray, goals: FloatArray) -> Pipeline:
        pipe = make_pipeline(
            median_imputer(add_indicator=False),
            StandardScaler(),
            PoissonRegressor(alpha=self.params.alpha, max_iter=self.params.max_iter),
        )
        pipe.fit(x, goals)
        return pipe

    def fit(self, frame: pd.DataFrame) -> ScorelineModel:
        """Fit on finished matches: ``f_*`` features plus ``home_goals`` and ``away_goals``.

        Raises:
            ValueError: No feature columns, or no row with both goal counts.
        """
        data = frame[frame[C.HOME_GOALS].notna() & frame[C.AWAY_GOALS].notna()]
        if data.empty:
            raise ValueError("no finished matches with goals to fit the scoreline model on")
        self.feature_columns = feature_columns(data, use_market_features=False)
        if not self.feature_columns:
            raise ValueError("no f_* feature columns to fit the scoreline model on")
        x = self._matrix(data)
        home = data[C.HOME_GOALS].to_numpy(dtype=np.float64)
        away = data[C.AWAY_GOALS].to_numpy(dtype=np.float64)
        with threadpool_limits(self.params.threads):
            self.home = self._glm(x, home)
            self.away = self._glm(x, away)
            lam, mu = self._rates(x)
        self.rho = fit_rho(home.astype(np.int64), away.astype(np.int64), lam, mu)
        self.trained_through = str(pd.Timestamp(data[C.DATE].max()).date())
        self.n_train = len(data)
        logger.info(
            "scoreline model: %d matches through %s, %d features, rho %.4f",
            self.n_train,
            self.trained_through,
            len(self.feature_columns),
            self.rho,
        )
        return self

    def _matrix(self, frame: pd.DataFrame) -> FloatArray:
        out: FloatArray = frame.reindex(columns=self.feature_columns).to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        return out

    def _rates(self, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        if self.home is None or self.away is None:
            raise RuntimeError("the scoreline model is not fitted")
        lam = np.clip(self.home.predict(x), RATE_FLOOR, None)
        mu = np.clip(self.away.predict(x), RATE_FLOOR, None)
        return np.asarray(lam, dtype=np.float64), np.asarray(mu, dtype=np.float64)

    def rates(self, frame: pd.DataFrame) -> tuple[FloatArray, FloatArray]:
        """Expected home and away goals of each row of a features frame."""
        if frame.empty:
            return np.empty(0), np.empty(0)
        with threadpool_limits(self.params.threads):
            return self._rates(self._matrix(frame))

    def grid(self, frame: pd.DataFrame) -> FloatArray:
        """Score grids ``(n, G + 1, G + 1)`` of each row (``[i, home goals, away goals]``)."""
        size = self.params.max_goals + 1
        if frame.empty:
            return np.empty((0, size, size))
        lam, mu = self.rates(frame)
        return score_grid(lam, mu, self.rho, self.params.max_goals)

    def describe(self) -> dict[str, Any]:
        """A summary for reports and the model card."""
        return {
            "kind": "poisson-glm-dixon-coles",
            "rho": round(self.rho, 5),
            "n_train": self.n_train,
            "n_features": len(self.feature_columns),
            "trained_through": self.trained_through,
            "alpha": self.params.alpha,
            "max_goals": self.params.max_goals,
        }


def load_scoreline(path: Path) -> ScorelineModel:
    """Read the served scoreline model written by the ``markets`` stage.

    Raises:
        ValueError: The file does not hold a :class:`ScorelineModel`.
    """
    return read_pickle(path, ScorelineModel, "scoreline model")


def fit_scoreline(frame: pd.DataFrame, params: ScorelineParams) -> ScorelineModel:
    """Fit on the last ``train_window_seasons`` seasons of finished rows of ``frame``."""
    finished = frame[frame[C.HOME_GOALS].notna() & frame[C.AWAY_GOALS].notna()]
    return ScorelineModel(params).fit(last_seasons(finished, params.train_window_seasons))


def fit_by_season(
    frame: pd.DataFrame, test_seasons: Sequence[str], params: ScorelineParams
) -> dict[str, ScorelineModel]:
    """One model per test season, each fitted on the finished matches dated before it.

    Args:
        frame: Features with goals (every season up to the test period and the test seasons).
        test_seasons: The test season labels.
        params: The model knobs.

    Returns:
        ``season -> model`` fitted strictly before the season's first match.
    """
    models: dict[str, ScorelineModel] = {}
    for season in test_seasons:
        start = frame.loc[frame[C.SEASON].astype("string") == season, C.DATE].min()
        models[season] = fit_scoreline(frame[frame[C.DATE] < start], params)
    return models


def grids_by_season(models: dict[str, ScorelineModel], frame: pd.DataFrame) -> FloatArray:
    """Score grids of each row of ``frame`` by the model of its season (aligned with rows)."""
    size = next(iter(models.values())).params.max_goals + 1
    out = np.full((len(frame), size, size), np.nan)
    seasons = frame[C.SEASON].astype("string").to_numpy()
    for season, model in models.items():
        rows = np.flatnonzero(seasons == season)
        if len(rows):
            out[rows] = model.grid(frame.iloc[rows])
    return out
