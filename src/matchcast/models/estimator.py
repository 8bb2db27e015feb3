"""The 1X2 model: LightGBM and/or multinomial logistic regression, then calibration.

``OutcomeModel.fit`` takes a features frame (key columns + ``f_*`` feature columns, plus
``m_*`` market columns only when ``use_market_features`` is on) holding finished matches,
and learns P(home win), P(draw), P(away win).

Fitting is walk-forward inside the training data: the last ``holdout_seasons`` season(s)
are held out, base models are trained on the earlier seasons (LightGBM early-stops on the
hold-out), the calibrator is fitted on the hold-out predictions, and then (``refit``) the
base models are refitted on every training season with the chosen number of boosting
rounds. The calibrator is therefore always fitted on data strictly earlier than any
match the model is later applied to.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any, Literal

import lightgbm as lgb
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from matchcast.data import columns as C
from matchcast.data.prediction_contract import PROBABILITY_COLUMNS
from matchcast.models.calibration import CalibrationMethod, Calibrator
from matchcast.models.imputation import median_imputer

logger = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
OUTCOME_CODES: dict[str, int] = {"H": 0, "D": 1, "A": 2}
FEATURE_PREFIX = "f_"
MARKET_PREFIX = "m_"


class LightGBMParams(BaseModel):
    """Knobs of the gradient-boosting component (small trees, strong regularisation)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    num_leaves: int = Field(default=7, ge=2, le=255)
    learning_rate: float = Field(default=0.05, gt=0, le=1)
    min_child_samples: int = Field(default=300, ge=1)
    lambda_l2: float = Field(default=10.0, ge=0)
    feature_fraction: float = Field(default=0.5, gt=0, le=1)
    bagging_fraction: float = Field(default=0.7, gt=0, le=1)
    max_rounds: int = Field(default=800, ge=1)
    early_stopping_rounds: int = Field(default=50, ge=1)


class ModelParams(BaseModel):
    """The ``model:`` slice of params.yaml (minus tuning)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    kind: Literal["lightgbm", "logistic", "blend"] = "blend"
    use_market_features: bool = False
    seed: int = 42
    # One thread each for LightGBM and BLAS: on a busy 2-core machine more threads spin
    # against each other and run several times slower.
    threads: int = Field(default=1, ge=1)
    holdout_seasons: int = Field(default=1, ge=1)
    calibration: CalibrationMethod = "temperature"
    logistic_c: float = Field(default=0.005, gt=0)
    # When set, ``logistic_c`` holds at this many training matches and C grows in proportion
    # on fewer (C * n is the weight of the data against the L2 penalty: the penalty per
    # match then stays what it is on the reference set instead of swamping a small league).
    # None: C = logistic_c at any size (ADR-0025).
    logistic_c_reference_matches: int | None = Field(default=None, ge=1)
    blend_weight: float = Field(default=0.5, ge=0, le=1)  # weight of LightGBM in the blend
    # Training weight of a match = season_decay ** (seasons between its season and the
    # newest training season): older football counts less. 1.0 weighs every season alike.
    season_decay: float = Field(default=1.0, gt=0, le=1)
    # A fit uses at most this many finished matches, the newest whole seasons (speed on very
    # large sources; null: every match). Binds only above it: ADR-0023.
    max_train_matches: int | None = Field(default=None, ge=1)
    lightgbm: LightGBMParams = LightGBMParams()


def feature_columns(frame: pd.DataFrame, use_market_features: bool) -> list[str]:
    """The model inputs of a features frame: ``f_*`` (plus ``m_*`` when the switch is on)."""
    prefixes = (FEATURE_PREFIX, MARKET_PREFIX) if use_market_features else (FEATURE_PREFIX,)
    return [c for c in frame.columns if str(c).startswith(prefixes)]


def outcome_codes(results: pd.Series) -> IntArray:
    """Map H/D/A to 0/1/2 (raises on anything else)."""
    codes = results.astype("string").map(OUTCOME_CODES)
    if codes.isna().any():
        raise ValueError("outcomes must be H, D or A (finished matches only)")
    return np.asarray(codes.to_numpy(dtype=np.int64), dtype=np.int64)


def seasons_in_order(frame: pd.DataFrame) -> list[str]:
    """Seasons of a frame ordered by their first match date (robust to mixed labels)."""
    first = frame.groupby(C.SEASON, observed=True)[C.DATE].min().sort_values()
    return [str(s) for s in first.index]


def last_seasons(frame: pd.DataFrame, seasons: int) -> pd.DataFrame:
    """The rows of the last ``seasons`` seasons of ``frame`` (by first match date)."""
    keep = set(seasons_in_order(frame)[-seasons:])
    return frame[frame[C.SEASON].astype("string").isin(keep)]


def newest_seasons(frame: pd.DataFrame, max_rows: int | None) -> pd.DataFrame:
    """The rows of the newest whole seasons of ``frame`` that hold at most ``max_rows`` rows.

    Seasons are ordered by first match; the newest one is kept even when it alone is larger.

    Args:
        frame: rows with a season and a date.
        max_rows: the cap (None: every row).

    Returns:
        ``frame`` itself when it is within the cap, else its rows of the kept seasons.
    """
    if max_rows is None or len(frame) <= max_rows:
        return frame
    season_col = frame[C.SEASON].astype("string")
    sizes = season_col.value_counts()
    keep: list[str] = []
    total = 0
    for season in reversed(seasons_in_order(frame)):
        total += int(sizes[season])
        if keep and total > max_rows:
            break
        keep.append(season)
    return frame.loc[season_col.isin(keep).to_numpy(dtype=bool)]


def season_weights(frame: pd.DataFrame, decay: float) -> FloatArray:
    """Per-row training weights ``decay ** age``, age = seasons before the newest one.

    Args:
        frame: rows with a season and a date.
        decay: weight ratio between consecutive seasons (1.0: all rows weigh 1).

    Returns:
        Weights aligned with the rows of ``frame`` (the newest season weighs 1).
    """
    if decay >= 1.0 or frame.empty:
        return np.ones(len(frame), dtype=np.float64)
    order = seasons_in_order(frame)
    age = {s: len(order) - 1 - i for i, s in enumerate(order)}
    ages = frame[C.SEASON].astype("string").map(age).to_numpy(dtype=np.float64)
    return np.asarray(decay**ages, dtype=np.float64)


def _matrix(frame: pd.DataFrame, cols: list[str]) -> FloatArray:
    out: FloatArray = frame.reindex(columns=cols).to_numpy(dtype=np.float64, na_value=np.nan)
    return out


class OutcomeModel:
    """Calibrated multiclass model of the 1X2 outcome.

    Args:
        params: the model knobs.
    """

    def __init__(self, params: ModelParams, cache: dict[str, Pipeline] | None = None) -> None:
        self.params = params
        # Tuning shares fitted logistic regressions between trials (same data, same C).
        self._cache = cache
        self.feature_columns: list[str] = []
        self.booster: lgb.Booster | None = None
        self.logistic: Pipeline | None = None
        self.calibrator = Calibrator("none")
        self.best_rounds: int | None = None
        self.trained_through: str | None = None
        self.holdout: list[str] = []
        self.n_train = 0

    # ----------------------------------------------------------------- fitting
    def _fit_booster(
        self,
        x: FloatArray,
        y: IntArray,
        w: FloatArray,
        valid: tuple[FloatArray, IntArray] | None,
        rounds: int,
    ) -> lgb.Booster:
        p = self.params.lightgbm
        booster_params: dict[str, Any] = {
            "objective": "multiclass",
            "num_class": 3,
            "num_leaves": p.num_leaves,
            "learning_rate": p.learning_rate,
            "min_child_samples": p.min_child_samples,
            "lambda_l2": p.lambda_l2,
            "feature_fraction": p.feature_fraction,
            "bagging_fraction": p.bagging_fraction,
            "bagging_freq": 1 if p.bagging_fraction < 1 else 0,
            "num_threads": self.params.threads,
            "seed": self.params.seed,
            "deterministic": True,
            "force_row_wise": True,
            "verbosity": -1,
        }
        train_set = lgb.Dataset(x, y, weight=w, free_raw_data=True)
        if valid is None:
            return lgb.train(booster_params, train_set, num_boost_round=rounds)
        valid_set = lgb.Dataset(valid[0], valid[1], reference=train_set)
        booster = lgb.train(
            booster_params,
            train_set,
            num_boost_round=rounds,
            valid_sets=[valid_set],
            callbacks=[lgb.early_stopping(p.early_stopping_rounds, verbose=False)],
        )
        return booster

    def logistic_c_for(self, n_matches: int) -> float:
        """The logistic regression's C for a training set of ``n_matches`` matches."""
        reference = self.params.logistic_c_reference_matches
        if reference is None or n_matches >= reference:
            return self.params.logistic_c
        return self.params.logistic_c * reference / max(n_matches, 1)

    def _fit_logistic(self, x: FloatArray, y: IntArray, w: FloatArray) -> Pipeline:
        c = self.logistic_c_for(len(y))
        key = ""
        if self._cache is not None:
            digest = hashlib.sha1(usedforsecurity=False)
            for part in (x, y, w, np.array([c])):
                digest.update(np.ascontiguousarray(part).tobytes())
            key = digest.hexdigest()
            if key in self._cache:
                return self._cache[key]
        pipe = make_pipeline(
            median_imputer(add_indicator=True),
            StandardScaler(),
            LogisticRegression(C=c, max_iter=300, tol=1e-4),
        )
        pipe.fit(x, y, logisticregression__sample_weight=w)
        if self._cache is not None:
            self._cache[key] = pipe
        return pipe

    def _uses_booster(self) -> bool:
        return self.params.kind in ("lightgbm", "blend")

    def _uses_logistic(self) -> bool:
        return self.params.kind in ("logistic", "blend")

    def _fit_base(
        self,
        x: FloatArray,
        y: IntArray,
        w: FloatArray,
        valid: tuple[FloatArray, IntArray] | None,
    ) -> None:
        if self._uses_booster():
            rounds = (
                self.params.lightgbm.max_rounds if self.best_rounds is None else self.best_rounds
            )
            self.booster = self._fit_booster(x, y, w, valid, rounds)
            if valid is not None:
                self.best_rounds = max(int(self.booster.best_iteration), 1)
                self.booster = _trim(self.booster, self.best_rounds)
        if self._uses_logistic():
            self.logistic = self._fit_logistic(x, y, w)

    def fit(self, frame: pd.DataFrame, *, refit: bool = True) -> OutcomeModel:
        """Fit base models and calibrator on finished matches of ``frame``.

        Args:
            frame: features frame; rows without a result are ignored.
            refit: after calibrating, refit the base models on every season (slower,
                uses the hold-out season for training too). Tuning turns it off.

        Returns:
            self, fitted.
        """
        with threadpool_limits(self.params.threads):
            return self._fit(frame, refit=refit)

    def _fit(self, frame: pd.DataFrame, *, refit: bool) -> OutcomeModel:
        data = newest_seasons(frame.loc[frame[C.RESULT].notna()], self.params.max_train_matches)
        if data.empty:
            raise ValueError("no finished matches to fit on")
        self.feature_columns = feature_columns(data, self.params.use_market_features)
        if not self.feature_columns:
            raise ValueError("the frame has no feature columns (f_*)")
        seasons = seasons_in_order(data)
        self.holdout = seasons[-self.params.holdout_seasons :] if len(seasons) > 1 else []
        self.trained_through = str(pd.Timestamp(data[C.DATE].max()).date())
        self.n_train = len(data)
        self.best_rounds = None
        x_all = _matrix(data, self.feature_columns)
        y_all = outcome_codes(data[C.RESULT])
        w_all = season_weights(data, self.params.season_decay)
        if not self.holdout:
            logger.warning("one season only: no early stopping and no calibration")
            self._fit_base(x_all, y_all, w_all, None)
            self.calibrator = Calibrator("none").fit(np.empty((0, 3)), np.empty(0, dtype=np.int64))
            return self
        is_hold = data[C.SEASON].astype("string").isin(self.holdout).to_numpy(dtype=bool)
        x_fit, y_fit = x_all[~is_hold], y_all[~is_hold]
        x_hold, y_hold = x_all[is_hold], y_all[is_hold]
        # The hold-out fit keeps the same relative weights: the newest fitted season weighs 1.
        w_fit = season_weights(data.loc[~is_hold], self.params.season_decay)
        self._fit_base(x_fit, y_fit, w_fit, (x_hold, y_hold))
        raw_hold = self.predict_raw_matrix(x_hold)
        self.calibrator = Calibrator(self.params.calibration).fit(raw_hold, y_hold)
        logger.info(
            "fitted %s on %d matches (hold-out %s: %d), rounds=%s",
            self.params.kind,
            len(y_fit),
            ",".join(self.holdout),
            len(y_hold),
            self.best_rounds,
        )
        if refit:
            # Same number of boosting rounds, scaled for the larger training set.
            if self.best_rounds is not None:
                self.best_rounds = max(1, round(self.best_rounds * len(y_all) / len(y_fit)))
            self._fit_base(x_all, y_all, w_all, None)
        return self

    # -------------------------------------------------------------- predicting
    def predict_raw_matrix(self, x: FloatArray) -> FloatArray:
        """Uncalibrated probabilities from a feature matrix in ``feature_columns`` order."""
        parts: list[tuple[float, FloatArray]] = []
        w = self.params.blend_weight if self.params.kind == "blend" else 1.0
        if self._uses_booster():
            if self.booster is None:
                raise RuntimeError("model not fitted")
            parts.append((w, np.asarray(self.booster.predict(x), dtype=np.float64)))
        if self._uses_logistic():
            if self.logistic is None:
                raise RuntimeError("model not fitted")
            lr_w = 1.0 - w if self.params.kind == "blend" else 1.0
            parts.append((lr_w, np.asarray(self.logistic.predict_proba(x), dtype=np.float64)))
        out = np.zeros((x.shape[0], 3), dtype=np.float64)
        for weight, probs in parts:
            out += weight * probs
        return np.asarray(out / out.sum(axis=1, keepdims=True), dtype=np.float64)

    def predict_proba(self, frame: pd.DataFrame) -> FloatArray:
        """Calibrated probabilities (n, 3) [H, D, A] for every row of ``frame``.

        Args:
            frame: any frame holding the model's feature columns (missing ones count as NaN).

        Returns:
            Probabilities whose rows sum to 1.
        """
        if not self.feature_columns:
            raise RuntimeError("model not fitted")
        with threadpool_limits(self.params.threads):
            raw = self.predict_raw_matrix(_matrix(frame, self.feature_columns))
            return self.calibrator.transform(raw)

    def predict_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Like ``predict_proba`` but as a DataFrame with columns p_home, p_draw, p_away."""
        return pd.DataFrame(
            self.predict_proba(frame), columns=list(PROBABILITY_COLUMNS), index=frame.index
        )

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_cache"] = None
        return state

    def describe(self) -> dict[str, Any]:
        """Facts about the fitted model worth logging."""
        return {
            "kind": self.params.kind,
            "n_features": len(self.feature_columns),
            "n_train": self.n_train,
            "best_rounds": self.best_rounds,
            "holdout_seasons": ",".join(self.holdout),
            "trained_through": self.trained_through,
            "calibration": self.params.calibration,
        }


def _trim(booster: lgb.Booster, rounds: int) -> lgb.Booster:
    """Keep only the first ``rounds`` boosting rounds (smaller pickle, same predictions)."""
    return lgb.Booster(model_str=booster.model_to_string(num_iteration=rounds))
