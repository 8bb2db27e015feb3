"""The market-aware 1X2 forecast: the pre-match price as prior, a football residual on top.

A multinomial logistic model whose logits start from the log of the de-margined pre-match
probabilities (an *offset*: with every weight at zero the forecast is the price itself)
and add a learned, L2-penalised linear term on the standardised point-in-time ``f_*``
features and the log-prices themselves (which lets it correct the favourite–longshot
bias)::

    logit_k = log q_k + x · w_k + b_k,   q = de-margined pre-match price, x = [f_*, log q]

The penalty pulls every weight towards zero, i.e. towards the market: the model moves
away from the price only as far as the football features have earned on earlier seasons.
Only pre-match prices (``odds_pre_*``) are inputs, never closing ones (ADR-0019); a match
without a usable pre-match triple has no market-aware forecast (NaN).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field
from scipy.optimize import minimize
from scipy.special import log_softmax

from matchcast.data import columns as C
from matchcast.data.io import read_pickle
from matchcast.models.estimator import OUTCOME_CODES, feature_columns, last_seasons
from matchcast.models.market import market_probabilities

logger = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
#: The forecast kinds a record can carry (ADR-0019).
FOOTBALL, MARKET_AWARE = "football", "market_aware"
PRICE_FLOOR = 1e-4


class MarketAwareParams(BaseModel):
    """The ``market_aware:`` slice of params.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    alpha: float = Field(default=0.01, gt=0, description="L2 strength on standardised inputs.")
    train_window_seasons: int = Field(default=12, ge=1)
    max_iter: int = Field(default=500, ge=10)
    groups: dict[str, list[str]] = Field(
        default_factory=dict, description="League groups the report scores apart."
    )


def pre_match_probabilities(frame: pd.DataFrame) -> FloatArray:
    """Proportionally de-margined pre-match 1X2 probabilities (NaN rows without prices)."""
    odds = frame.reindex(columns=list(C.ODDS_PRE)).to_numpy(dtype=np.float64, na_value=np.nan)
    return market_probabilities(odds, "proportional")


def _loss_and_grad(
    theta: FloatArray, x: FloatArray, offset: FloatArray, y: NDArray[np.int64], alpha: float
) -> tuple[float, FloatArray]:
    n, d = x.shape
    w = theta[: d * 3].reshape(d, 3)
    b = theta[d * 3 :]
    logp = log_softmax(offset + x @ w + b, axis=1)
    loss = -logp[np.arange(n), y].mean() + 0.5 * alpha * float((w * w).sum())
    resid = np.exp(logp)
    resid[np.arange(n), y] -= 1.0
    resid /= n
    grad_w = x.T @ resid + alpha * w
    grad_b = resid.sum(axis=0)
    return float(loss), np.concatenate([grad_w.ravel(), grad_b])


class MarketAwareModel:
    """The pre-match price plus a penalised football residual (see the module docstring)."""

    def __init__(self, params: MarketAwareParams) -> None:
        self.params = params
        self.feature_columns: list[str] = []
        self.median: FloatArray = np.empty(0)
        self.mean: FloatArray = np.empty(0)
        self.scale: FloatArray = np.empty(0)
        self.weights: FloatArray = np.empty((0, 3))
        self.bias: FloatArray = np.zeros(3)
        self.n_train = 0
        self.trained_through: str | None = None

    def _inputs(self, frame: pd.DataFrame, prices: FloatArray) -> FloatArray:
        feats = frame.reindex(columns=self.feature_columns).to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        raw = np.column_stack([feats, np.log(np.clip(prices, PRICE_FLOOR, None))])
        raw = np.where(np.isfinite(raw), raw, self.median)
        return np.asarray((raw - self.mean) / self.scale, dtype=np.float64)

    def fit(self, frame: pd.DataFrame) -> MarketAwareModel:
        """Fit on finished matches with a result and a usable pre-match price.

        Args:
            frame: Feature rows (``f_*``) joined with ``result`` and ``odds_pre_*``.

        Raises:
            ValueError: No row has a result and a pre-match price.
        """
        prices = pre_match_probabilities(frame)
        keep = np.isfinite(prices).all(axis=1) & frame[C.RESULT].isin(OUTCOME_CODES).to_numpy()
        if not keep.any():
            raise ValueError("no finished match with a pre-match price to fit the model on")
        data, prices = frame[keep], prices[keep]
        self.feature_columns = feature_columns(data, use_market_features=False)
        feats = data.reindex(columns=self.feature_columns).to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        raw = np.column_stack([feats, np.log(np.clip(prices, PRICE_FLOOR, None))])
        median = np.nanmedian(np.where(np.isfinite(raw), raw, np.nan), axis=0)
        self.median = np.where(np.isfinite(median), median, 0.0)
        filled = np.where(np.isfinite(raw), raw, self.median)
        self.mean = filled.mean(axis=0)
        scale = filled.std(axis=0)
        self.scale = np.where(scale > 0, scale, 1.0)
        x = (filled - self.mean) / self.scale
        y = data[C.RESULT].map(OUTCOME_CODES).to_numpy(dtype=np.int64)
        offset = np.log(np.clip(prices, PRICE_FLOOR, None))
        d = x.shape[1]
        result = minimize(
            _loss_and_grad,
            np.zeros(d * 3 + 3),
            args=(x, offset, y, self.params.alpha),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": self.params.max_iter},
        )
        self.weights = result.x[: d * 3].reshape(d, 3)
        self.bias = result.x[d * 3 :]
        self.n_train = len(data)
        self.trained_through = str(pd.Timestamp(data[C.DATE].max()).date())
        logger.info(
            "market-aware model: %d matches through %s, %d inputs, loss %.5f (%s)",
            self.n_train, self.trained_through, d, result.fun, result.message,
        )  # fmt: skip
        return self

    @property
    def fitted(self) -> bool:
        """Whether the model was fitted (a project without any pre-match price has none)."""
        return self.n_train > 0

    def predict(self, frame: pd.DataFrame) -> FloatArray:
        """``(n, 3)`` probabilities [H, D, A]; NaN rows where no pre-match price is usable.

        An unfitted model (no priced match to learn from) forecasts nothing: all NaN.
        """
        prices = pre_match_probabilities(frame)
        out = np.full((len(frame), 3), np.nan)
        ok = np.isfinite(prices).all(axis=1) & self.fitted
        if ok.any():
            x = self._inputs(frame.iloc[np.flatnonzero(ok)], prices[ok])
            offset = np.log(np.clip(prices[ok], PRICE_FLOOR, None))
            out[ok] = np.exp(log_softmax(offset + x @ self.weights + self.bias, axis=1))
        return out

    def describe(self) -> dict[str, Any]:
        """A summary for reports and the model card."""
        return {
            "kind": "pre-match price offset + L2 multinomial logistic residual",
            "alpha": self.params.alpha,
            "n_train": self.n_train,
            "n_inputs": int(self.weights.shape[0]),
            "trained_through": self.trained_through,
        }


def fit_market_aware(frame: pd.DataFrame, params: MarketAwareParams) -> MarketAwareModel:
    """Fit on the last ``train_window_seasons`` seasons of the finished rows of ``frame``.

    Without any finished match that has a pre-match price (a results-only source, issue
    11) the model stays unfitted and forecasts nothing, so the pipeline still runs.
    """
    finished = frame[frame[C.RESULT].isin(OUTCOME_CODES)]
    priced = finished.iloc[np.flatnonzero(np.isfinite(pre_match_probabilities(finished)).all(1))]
    if priced.empty:
        logger.warning("no finished match with a pre-match price: no market-aware model")
        return MarketAwareModel(params)
    return MarketAwareModel(params).fit(last_seasons(priced, params.train_window_seasons))


def load_market_aware(path: Path) -> MarketAwareModel:
    """Read the served market-aware model.

    Raises:
        ValueError: The file does not hold a :class:`MarketAwareModel`.
    """
    return read_pickle(path, MarketAwareModel, "market-aware model")
