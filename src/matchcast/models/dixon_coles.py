"""Dixon–Coles (1997) goals model: fit and predict (the walk-forward driver is beside it).

Goals are independent Poisson variables with means

    log λ = c + h + attack[home] - defence[away]      (home goals)
    log μ = c + attack[away] - defence[home]           (away goals)

(a larger ``defence`` concedes fewer goals; ``attack`` and ``defence`` each sum to zero over
the fitted teams, which makes the parameters identifiable), multiplied by the low-score
dependence factor ``tau`` of Dixon & Coles: ``1 - λμρ`` for 0-0, ``1 + λρ`` for 0-1,
``1 + μρ`` for 1-0, ``1 - ρ`` for 1-1 and 1 otherwise.

The paper restricts ``ρ`` to ``max(-1/λ, -1/μ) <= ρ <= min(1/(λμ), 1)`` so that every
``tau`` is positive — a popular library leaves ``ρ`` unconstrained and can return negative
score probabilities. Here the fitted ``ρ`` is kept inside that interval for the fitted
``λ, μ`` of every training match (box bounds recomputed until the fit is admissible), and at
prediction time ``ρ`` is additionally clipped per match to that match's interval, so no
probability is ever negative. Fitting is weighted maximum likelihood (time decay
``exp(-xi * days)``) with an analytic gradient and L-BFGS-B, optionally with a ridge
penalty that shrinks each team's ratings towards the mean of its league (a Gaussian prior;
the walk-forward driver uses one, tuned on a season before the test seasons).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import optimize
from threadpoolctl import ThreadpoolController

from matchcast.features.scorelines import (
    DEFAULT_MAX_GOALS,
    RHO_MARGIN,
    admissible_rho,
    outcome_probabilities,
)

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_PARAM_BOUND: Final = 4.0
_MAX_BOUND_ROUNDS: Final = 10


@functools.cache
def _threadpools() -> ThreadpoolController:
    # Inspecting the loaded BLAS libraries takes ~10 ms: do it once, on first use.
    return ThreadpoolController()


@dataclass(frozen=True)
class DixonColesParams:
    """Fitted parameters; ``attack[i]``/``defence[i]`` belong to ``teams[i]``."""

    teams: tuple[str, ...]
    attack: FloatArray
    defence: FloatArray
    intercept: float
    home_advantage: float
    rho: float

    def team_index(self) -> dict[str, int]:
        """Mapping team name → position in ``attack``/``defence``."""
        return {team: i for i, team in enumerate(self.teams)}


@dataclass(frozen=True)
class _Data:
    home: IntArray
    away: IntArray
    x: FloatArray
    y: FloatArray
    w: FloatArray
    n_teams: int
    m00: npt.NDArray[np.bool_]
    m01: npt.NDArray[np.bool_]
    m10: npt.NDArray[np.bool_]
    m11: npt.NDArray[np.bool_]
    group: IntArray  # per team: index of the league the team's ratings are shrunk within
    venue: FloatArray  # 1.0 at the home side's ground, 0.0 on neutral ground (no advantage)


def _venue(neutral: npt.ArrayLike | None, n: int) -> FloatArray:
    """1.0 per match at the home side's ground, 0.0 on neutral ground."""
    if neutral is None:
        return np.ones(n)
    return np.where(np.asarray(neutral, dtype=bool), 0.0, 1.0)


def _expand(free: FloatArray) -> FloatArray:
    return np.append(free, -free.sum())


def _log_means(theta: FloatArray, d: _Data) -> tuple[FloatArray, FloatArray]:
    k = d.n_teams - 1
    attack = _expand(theta[3 : 3 + k])
    defence = _expand(theta[3 + k :])
    log_lam = theta[0] + theta[1] * d.venue + attack[d.home] - defence[d.away]
    log_mu = theta[0] + attack[d.away] - defence[d.home]
    return log_lam, log_mu


def _group_means(values: FloatArray, group: IntArray) -> FloatArray:
    sums = np.bincount(group, values)
    counts = np.bincount(group)
    return np.asarray((sums / np.maximum(counts, 1))[group], dtype=np.float64)


def _objective(theta: FloatArray, d: _Data, ridge: float) -> tuple[float, FloatArray]:
    """Weighted negative log-likelihood (per unit weight) and its gradient."""
    k = d.n_teams - 1
    rho = theta[2]
    attack = _expand(theta[3 : 3 + k])
    defence = _expand(theta[3 + k :])
    log_lam, log_mu = _log_means(theta, d)
    lam, mu = np.exp(log_lam), np.exp(log_mu)

    lm = lam * mu
    tau = np.ones_like(lam)
    dtau_dloglam = np.zeros_like(lam)
    dtau_dlogmu = np.zeros_like(lam)
    dtau_drho = np.zeros_like(lam)
    tau[d.m00] = 1.0 - lm[d.m00] * rho
    dtau_dloglam[d.m00] = -lm[d.m00] * rho
    dtau_dlogmu[d.m00] = -lm[d.m00] * rho
    dtau_drho[d.m00] = -lm[d.m00]
    tau[d.m01] = 1.0 + lam[d.m01] * rho
    dtau_dloglam[d.m01] = lam[d.m01] * rho
    dtau_drho[d.m01] = lam[d.m01]
    tau[d.m10] = 1.0 + mu[d.m10] * rho
    dtau_dlogmu[d.m10] = mu[d.m10] * rho
    dtau_drho[d.m10] = mu[d.m10]
    tau[d.m11] = 1.0 - rho
    dtau_drho[d.m11] = -1.0
    # Observed low scores keep tau > 0 near any sensible optimum; the floor only protects
    # the line search from taking the log of a non-positive number.
    tau = np.maximum(tau, 1e-10)

    ll = d.x * log_lam - lam + d.y * log_mu - mu + np.log(tau)
    g_lam = d.w * (d.x - lam + dtau_dloglam / tau)
    g_mu = d.w * (d.y - mu + dtau_dlogmu / tau)
    g_rho = float((d.w * dtau_drho / tau).sum())

    n = d.n_teams
    # Ridge towards the mean of the team's league: the derivative through the mean vanishes
    # because deviations from a mean sum to zero.
    dev_attack = attack - _group_means(attack, d.group)
    dev_defence = defence - _group_means(defence, d.group)
    g_attack = ridge * dev_attack - np.bincount(d.home, g_lam, n) - np.bincount(d.away, g_mu, n)
    g_defence = ridge * dev_defence + np.bincount(d.away, g_lam, n) + np.bincount(d.home, g_mu, n)
    total_w = float(d.w.sum())
    penalty = 0.5 * ridge * float((dev_attack**2).sum() + (dev_defence**2).sum())
    value = -float((d.w * ll).sum()) + penalty
    grad = np.concatenate(
        [
            [-(g_lam.sum() + g_mu.sum()), -(g_lam * d.venue).sum(), -g_rho],
            g_attack[:-1] - g_attack[-1],
            g_defence[:-1] - g_defence[-1],
        ]
    )
    return value / total_w, np.asarray(grad / total_w, dtype=np.float64)


def _cold_start(d: _Data) -> FloatArray:
    n = d.n_teams
    w = d.w
    scored = np.bincount(d.home, w * d.x, n) + np.bincount(d.away, w * d.y, n)
    conceded = np.bincount(d.home, w * d.y, n) + np.bincount(d.away, w * d.x, n)
    played = np.bincount(d.home, w, n) + np.bincount(d.away, w, n)
    rate = (float((w * (d.x + d.y)).sum()) + 1.0) / (2.0 * float(w.sum()) + 1.0)
    attack = np.log((scored + rate) / ((played + 1.0) * rate))
    defence = -np.log((conceded + rate) / ((played + 1.0) * rate))
    attack -= attack.mean()
    defence -= defence.mean()
    home_rate = (float((w * d.x).sum()) + 1.0) / (float((w * d.y).sum()) + 1.0)
    return np.concatenate(
        [[np.log(rate / np.sqrt(home_rate)), np.log(home_rate), 0.0], attack[:-1], defence[:-1]]
    )


def _team_groups(
    inverse: npt.NDArray[np.intp],
    n_matches: int,
    n_teams: int,
    leagues: Sequence[str] | npt.ArrayLike | None,
) -> IntArray:
    """Per team, the index of the league of its latest match (all 0 without leagues)."""
    if leagues is None:
        return np.zeros(n_teams, dtype=np.int64)
    _, league_codes = np.unique(np.asarray(leagues, dtype=object).astype(str), return_inverse=True)
    # Every team plays at least once, so each gets the position of its latest match.
    latest = np.full(n_teams, -1, dtype=np.int64)
    order = np.arange(n_matches)
    np.maximum.at(latest, inverse[:n_matches], order)
    np.maximum.at(latest, inverse[n_matches:], order)
    return np.asarray(league_codes[latest], dtype=np.int64)


class DixonColes:
    """Dixon–Coles model fitted by weighted maximum likelihood.

    Args:
        max_goals: Truncation of the score matrix used for predictions.
        ridge: L2 penalty ``ridge/2 * sum(attack^2 + defence^2)``, in units of one match's
            weight. The default (1e-3) is practically maximum likelihood and only keeps
            ratings finite for teams with almost no data; a few units act as a Gaussian
            prior that shrinks thinly-observed teams towards the average (a MAP fit).
    """

    def __init__(self, max_goals: int = DEFAULT_MAX_GOALS, ridge: float = 1e-3) -> None:
        self.max_goals = max_goals
        self.ridge = ridge
        self.params_: DixonColesParams | None = None

    def fit(
        self,
        home_teams: Sequence[str] | npt.ArrayLike,
        away_teams: Sequence[str] | npt.ArrayLike,
        home_goals: npt.ArrayLike,
        away_goals: npt.ArrayLike,
        weights: npt.ArrayLike | None = None,
        warm_start: DixonColesParams | None = None,
        leagues: Sequence[str] | npt.ArrayLike | None = None,
        neutral: npt.ArrayLike | None = None,
    ) -> DixonColes:
        """Fit attack, defence, intercept, home advantage and ``ρ``.

        Args:
            home_teams: Home team of each match.
            away_teams: Away team of each match.
            home_goals: Goals of the home side.
            away_goals: Goals of the away side.
            weights: Per-match weights (e.g. :func:`decay_weights`); default 1.
            warm_start: Previous parameters used as the starting point (teams matched by
                name; new teams start at 0). Only speeds up the fit.
            leagues: League of each match, matches in chronological order. The ridge then
                shrinks each team towards the mean of the league of its latest match
                instead of towards the mean of all teams.
            neutral: Per match, True on neutral ground (no home advantage); default False.

        Returns:
            ``self``, with :attr:`params_` set.
        """
        home_arr = np.asarray(home_teams, dtype=object)
        away_arr = np.asarray(away_teams, dtype=object)
        teams, inverse = np.unique(
            np.concatenate([home_arr, away_arr]).astype(str), return_inverse=True
        )
        if teams.size < 2:
            raise ValueError("need at least two teams to fit Dixon–Coles")
        n_matches = home_arr.shape[0]
        x = np.asarray(home_goals, dtype=np.float64)
        y = np.asarray(away_goals, dtype=np.float64)
        w = np.ones(n_matches) if weights is None else np.asarray(weights, dtype=np.float64)
        data = _Data(
            home=inverse[:n_matches].astype(np.int64),
            away=inverse[n_matches:].astype(np.int64),
            x=x,
            y=y,
            w=w,
            n_teams=int(teams.size),
            m00=(x == 0) & (y == 0),
            m01=(x == 0) & (y == 1),
            m10=(x == 1) & (y == 0),
            m11=(x == 1) & (y == 1),
            group=_team_groups(inverse, n_matches, int(teams.size), leagues),
            venue=_venue(neutral, n_matches),
        )
        theta = self._initial(data, tuple(teams.tolist()), warm_start)
        # L-BFGS-B calls BLAS on tiny matrices: threads only add contention.
        with _threadpools().limit(limits=1, user_api="blas"):
            theta = self._optimise(theta, data)
        k = data.n_teams - 1
        self.params_ = DixonColesParams(
            teams=tuple(str(t) for t in teams),
            attack=_expand(theta[3 : 3 + k]),
            defence=_expand(theta[3 + k :]),
            intercept=float(theta[0]),
            home_advantage=float(theta[1]),
            rho=float(theta[2]),
        )
        return self

    @staticmethod
    def _initial(data: _Data, teams: tuple[str, ...], warm: DixonColesParams | None) -> FloatArray:
        theta = _cold_start(data)
        if warm is None:
            return theta
        known = warm.team_index()
        k = data.n_teams - 1
        attack = _expand(theta[3 : 3 + k])
        defence = _expand(theta[3 + k :])
        for i, team in enumerate(teams):
            j = known.get(team)
            if j is not None:
                attack[i] = warm.attack[j]
                defence[i] = warm.defence[j]
        attack -= attack.mean()
        defence -= defence.mean()
        head = [warm.intercept, warm.home_advantage, warm.rho]
        return np.concatenate([head, attack[:-1], defence[:-1]])

    def _optimise(self, theta: FloatArray, data: _Data) -> FloatArray:
        """L-BFGS-B with ρ boxed into the admissible interval of the current λ, μ.

        The interval depends on the fitted λ, μ, so the box is recomputed from each fit
        until ρ is admissible and either off the box edge or the box has stopped moving.
        """
        k = data.n_teams - 1
        bound = [(-_PARAM_BOUND, _PARAM_BOUND)] * (2 * k)
        log_lam, log_mu = _log_means(theta, data)
        lower, upper = admissible_rho(np.exp(log_lam), np.exp(log_mu))
        for _ in range(_MAX_BOUND_ROUNDS):
            lo, hi = lower * (1.0 - RHO_MARGIN), upper * (1.0 - RHO_MARGIN)
            theta[2] = np.clip(theta[2], lo, hi)
            result = optimize.minimize(
                _objective,
                theta,
                args=(data, self.ridge),
                jac=True,
                method="L-BFGS-B",
                bounds=[(-3.0, 3.0), (-1.0, 2.0), (lo, hi), *bound],
                options={"maxiter": 1000},
            )
            theta = np.asarray(result.x, dtype=np.float64)
            log_lam, log_mu = _log_means(theta, data)
            lower, upper = admissible_rho(np.exp(log_lam), np.exp(log_mu))
            new_lo, new_hi = lower * (1.0 - RHO_MARGIN), upper * (1.0 - RHO_MARGIN)
            admissible = new_lo <= theta[2] <= new_hi
            on_edge = min(abs(theta[2] - lo), abs(theta[2] - hi)) < 1e-6
            settled = abs(new_lo - lo) < 1e-4 and abs(new_hi - hi) < 1e-4
            if admissible and (not on_edge or settled):
                return theta
        # The box kept moving with λ, μ: clip into the interval of the final fit.
        theta[2] = np.clip(theta[2], lower * (1.0 - RHO_MARGIN), upper * (1.0 - RHO_MARGIN))
        return theta

    def expected_goals(
        self,
        home_teams: Sequence[str] | npt.ArrayLike,
        away_teams: Sequence[str] | npt.ArrayLike,
        unknown_attack: float = 0.0,
        unknown_defence: float = 0.0,
        neutral: npt.ArrayLike | None = None,
    ) -> tuple[FloatArray, FloatArray]:
        """Expected home and away goals ``(λ, μ)``.

        Args:
            home_teams: Home team of each fixture.
            away_teams: Away team of each fixture.
            unknown_attack: Attack rating used for teams absent from the fit.
            unknown_defence: Defence rating used for teams absent from the fit.
            neutral: Per fixture, True on neutral ground (no home advantage).

        Returns:
            Two arrays of shape ``(n,)``.
        """
        p = self._fitted()
        index = p.team_index()

        def ratings(names: Sequence[str] | npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
            pos = np.array([index.get(str(t), -1) for t in np.asarray(names, dtype=object)])
            known = pos >= 0
            attack = np.where(known, p.attack[np.maximum(pos, 0)], unknown_attack)
            defence = np.where(known, p.defence[np.maximum(pos, 0)], unknown_defence)
            return attack, defence

        home_att, home_def = ratings(home_teams)
        away_att, away_def = ratings(away_teams)
        venue = _venue(neutral, len(home_att))
        lam = np.exp(p.intercept + p.home_advantage * venue + home_att - away_def)
        mu = np.exp(p.intercept + away_att - home_def)
        return np.asarray(lam, dtype=np.float64), np.asarray(mu, dtype=np.float64)

    def predict_proba(
        self,
        home_teams: Sequence[str] | npt.ArrayLike,
        away_teams: Sequence[str] | npt.ArrayLike,
        unknown_attack: float = 0.0,
        unknown_defence: float = 0.0,
        neutral: npt.ArrayLike | None = None,
    ) -> FloatArray:
        """Home/draw/away probabilities, shape ``(n, 3)``, never negative.

        Args:
            home_teams: Home team of each fixture.
            away_teams: Away team of each fixture.
            unknown_attack: Attack rating used for teams absent from the fit.
            unknown_defence: Defence rating used for teams absent from the fit.
            neutral: Per fixture, True on neutral ground (no home advantage).

        Returns:
            Probabilities ordered ``[H, D, A]``.
        """
        lam, mu = self.expected_goals(
            home_teams, away_teams, unknown_attack, unknown_defence, neutral
        )
        return outcome_probabilities(lam, mu, self._fitted().rho, self.max_goals)

    def _fitted(self) -> DixonColesParams:
        if self.params_ is None:
            raise RuntimeError("DixonColes is not fitted")
        return self.params_
