"""Post-hoc calibration of 1X2 probabilities.

A calibrator maps probabilities (n, 3) ordered [H, D, A] to new probabilities. All methods
here are affine maps of the log-probabilities followed by a softmax, fitted by maximum
likelihood:

- ``temperature``: ``softmax(log p / T)`` (one parameter);
- ``vector``: ``softmax(a * log p + b)`` (per-class scale and bias; fixes the draw rate);
- ``matrix``: ``softmax(W log p + b)`` — a multinomial logistic regression on log-probs,
  lightly penalised towards the identity;
- ``none``: the identity.

The caller decides *which data* a calibrator is fitted on: the estimator fits it on
the season(s) just before the ones it is applied to, never on the same matches.
"""

from __future__ import annotations

import logging
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

logger = logging.getLogger(__name__)

CalibrationMethod = Literal["none", "temperature", "vector", "matrix"]
_EPS = 1e-12
FloatArray = NDArray[np.float64]


def _softmax(z: FloatArray) -> FloatArray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: FloatArray = e / e.sum(axis=1, keepdims=True)
    return out


def _log_probs(probs: FloatArray) -> FloatArray:
    out: FloatArray = np.log(np.clip(np.asarray(probs, dtype=np.float64), _EPS, 1.0))
    return out


class Calibrator:
    """Affine map of log-probabilities followed by a softmax.

    Args:
        method: ``none``, ``temperature``, ``vector`` or ``matrix``.
        l2: penalty on the distance of the parameters from the identity map (per match).
    """

    def __init__(self, method: CalibrationMethod = "vector", l2: float = 1e-4) -> None:
        if method not in ("none", "temperature", "vector", "matrix"):
            raise ValueError(f"unknown calibration method {method!r}")
        self.method: CalibrationMethod = method
        self.l2 = l2
        self.weights: FloatArray = np.eye(3)
        self.bias: FloatArray = np.zeros(3)
        self.fitted = False

    # Parameter vector <-> (W, b) for each method. The identity map is theta0.
    def _unpack(self, theta: FloatArray) -> tuple[FloatArray, FloatArray]:
        if self.method == "temperature":
            return np.eye(3) * theta[0], np.zeros(3)
        if self.method == "vector":
            return np.diag(theta[:3]), np.concatenate([[0.0], theta[3:5]])
        return theta[:9].reshape(3, 3), np.concatenate([[0.0], theta[9:11]])

    def _theta0(self) -> FloatArray:
        if self.method == "temperature":
            return np.ones(1)
        if self.method == "vector":
            return np.concatenate([np.ones(3), np.zeros(2)])
        return np.concatenate([np.eye(3).ravel(), np.zeros(2)])

    def fit(self, probs: FloatArray, y: NDArray[np.int64]) -> Calibrator:
        """Fit the map by penalised maximum likelihood.

        Args:
            probs: uncalibrated probabilities (n, 3), [H, D, A].
            y: outcomes (n,), 0=H, 1=D, 2=A.

        Returns:
            self, fitted.
        """
        if self.method == "none" or len(y) == 0:
            self.fitted = True
            return self
        logp = _log_probs(probs)
        onehot = np.eye(3)[np.asarray(y, dtype=np.int64)]
        n = float(len(y))
        theta0 = self._theta0()

        def objective(theta: FloatArray) -> tuple[float, FloatArray]:
            w, b = self._unpack(theta)
            z = logp @ w.T + b
            p = _softmax(z)
            nll = -float(np.sum(onehot * np.log(np.clip(p, _EPS, 1.0)))) / n
            dz = (p - onehot) / n  # gradient of the mean NLL w.r.t. z
            dw = dz.T @ logp
            db = dz.sum(axis=0)
            if self.method == "temperature":
                grad = np.array([np.trace(dw)])
            elif self.method == "vector":
                grad = np.concatenate([np.diag(dw), db[1:]])
            else:
                grad = np.concatenate([dw.ravel(), db[1:]])
            diff = theta - theta0
            return nll + self.l2 * float(diff @ diff), grad + 2.0 * self.l2 * diff

        result = minimize(objective, theta0, jac=True, method="L-BFGS-B")
        if not result.success:
            logger.warning("calibration (%s) did not converge: %s", self.method, result.message)
        self.weights, self.bias = self._unpack(np.asarray(result.x, dtype=np.float64))
        self.fitted = True
        logger.debug("calibration %s: W=%s b=%s", self.method, self.weights.tolist(), self.bias)
        return self

    def transform(self, probs: FloatArray) -> FloatArray:
        """Apply the fitted map.

        Args:
            probs: probabilities (n, 3), [H, D, A].

        Returns:
            Calibrated probabilities (n, 3); rows sum to 1.
        """
        if not self.fitted:
            raise RuntimeError("Calibrator.transform called before fit")
        probs = np.asarray(probs, dtype=np.float64)
        if self.method == "none":
            out: FloatArray = probs / probs.sum(axis=1, keepdims=True)
            return out
        return _softmax(_log_probs(probs) @ self.weights.T + self.bias)
