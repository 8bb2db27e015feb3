"""Time-decayed attack and concede strengths of the Poisson (Maher / Dixon–Coles) family.

Expected goals are multiplicative: ``home = mu_home(league) * attack(home) * concede(away)``
and ``away = mu_away(league) * attack(away) * concede(home)``. Each strength is a ratio of
exponentially time-weighted sums (weight ``exp(-xi * age in days)``, as in Dixon & Coles
1997): goals scored over the goals an average side would have scored against the same
opponents, shrunk toward the league mean. The sums are updated as results arrive, so this
is the online counterpart of refitting the time-weighted model before every match day.
The same machinery rates shots on target where the source has them. On neutral ground both
sides expect the mean of the league's home and away rates, and the match adds its mean
count to both, so it tells the league's totals but nothing of its home edge.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from matchcast.features.params import PriorParams, StrengthParams
from matchcast.features.roster import LeagueRoster, newcomer_rating
from matchcast.features.saved_state import Arrays, floats, ints, nested, part
from matchcast.features.timeline import FloatArray, Timeline

LEAGUE_PSEUDO_MATCHES = 20.0


class _Sums:
    """Decayed numerator/denominator pairs of one team (attack and concede)."""

    __slots__ = ("att_den", "att_num", "con_den", "con_num", "day", "n_obs")

    def __init__(self, attack: float, concede: float, weight: float, day: int) -> None:
        self.att_num, self.att_den = weight * attack, weight
        self.con_num, self.con_den = weight * concede, weight
        self.day = day
        self.n_obs = 0

    def strengths(self, day: int, xi: float, k: float) -> tuple[float, float]:
        f = math.exp(-xi * (day - self.day))
        return (
            (self.att_num * f + k) / (self.att_den * f + k),
            (self.con_num * f + k) / (self.con_den * f + k),
        )

    def add(self, scored: float, scored_par: float, conceded: float, conceded_par: float) -> None:
        self.att_num += scored
        self.att_den += scored_par
        self.con_num += conceded
        self.con_den += conceded_par
        self.n_obs += 1

    def decay_to(self, day: int, xi: float) -> None:
        f = math.exp(-xi * (day - self.day))
        self.att_num *= f
        self.att_den *= f
        self.con_num *= f
        self.con_den *= f
        self.day = day


def _newcomer(
    active: list[int],
    teams: list[_Sums | None],
    day: int,
    level: int,
    params: StrengthParams,
    prior: PriorParams,
) -> _Sums:
    """Sums of a team never seen before: its league's low quantile, or a level default."""
    values = [
        s.strengths(day, params.decay_per_day, params.shrinkage)
        for s in map(teams.__getitem__, active)
        if s
    ]
    gap = params.level_gap * (level - 1)
    attack = newcomer_rating([v[0] for v in values], level, math.exp(-gap), 0.0, prior)
    concede = newcomer_rating([v[1] for v in values], level, math.exp(gap), 0.0, prior, upper=True)
    return _Sums(attack, concede, params.newcomer_weight, day)


_SUMS_FIELDS = ("att_num", "att_den", "con_num", "con_den")


@dataclass
class StrengthState:
    """Every team's decayed sums, the leagues' decayed means and the roster so far."""

    teams: list[_Sums | None]  # None until the team's first match
    lg_home: list[float]
    lg_away: list[float]
    lg_n: list[float]
    lg_day: list[int]
    lg_obs: list[int]
    roster: LeagueRoster

    @classmethod
    def fresh(cls, n_teams: int, n_leagues: int, prior: PriorParams) -> StrengthState:
        """The state before the first match."""
        state = cls([], [], [], [], [], [], LeagueRoster(0, 0, prior.active_days))
        state.grow(n_teams, n_leagues)
        return state

    def grow(self, n_teams: int, n_leagues: int) -> None:
        """Make room for teams and leagues not seen yet."""
        self.teams.extend([None] * (n_teams - len(self.teams)))
        extra = n_leagues - len(self.lg_home)
        for values in (self.lg_home, self.lg_away, self.lg_n):
            values.extend([0.0] * extra)
        self.lg_day.extend([0] * extra)
        self.lg_obs.extend([0] * extra)
        self.roster.grow(n_teams, n_leagues)

    def to_arrays(self) -> Arrays:
        """The state as named arrays (see :mod:`matchcast.features.saved_state`)."""
        rated = [s for s in self.teams if s is not None]
        out: Arrays = {
            "rated": ints([s is not None for s in self.teams]),
            "day": ints([s.day for s in rated]),
            "n_obs": ints([s.n_obs for s in rated]),
            "lg_home": floats(self.lg_home),
            "lg_away": floats(self.lg_away),
            "lg_n": floats(self.lg_n),
            "lg_day": ints(self.lg_day),
            "lg_obs": ints(self.lg_obs),
            **nested("roster", self.roster.to_arrays()),
        }
        for name in _SUMS_FIELDS:
            out[name] = floats([getattr(s, name) for s in rated])
        return out

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, npt.NDArray[Any]]) -> StrengthState:
        """The state :meth:`to_arrays` saved."""
        sums = {name: arrays[name].tolist() for name in (*_SUMS_FIELDS, "day", "n_obs")}
        teams: list[_Sums | None] = []
        k = 0
        for rated in arrays["rated"].tolist():
            if not rated:
                teams.append(None)
                continue
            s = _Sums(0.0, 0.0, 0.0, sums["day"][k])
            for name in _SUMS_FIELDS:
                setattr(s, name, sums[name][k])
            s.n_obs = sums["n_obs"][k]
            teams.append(s)
            k += 1
        return cls(
            teams=teams,
            lg_home=arrays["lg_home"].tolist(),
            lg_away=arrays["lg_away"].tolist(),
            lg_n=arrays["lg_n"].tolist(),
            lg_day=arrays["lg_day"].tolist(),
            lg_obs=arrays["lg_obs"].tolist(),
            roster=LeagueRoster.from_arrays(part("roster", arrays)),
        )


def strength_pass(
    tl: Timeline,
    home_counts: FloatArray,
    away_counts: FloatArray,
    params: StrengthParams,
    prior: PriorParams,
    prefix: str,
    league_means: tuple[float, float],
    nan_without_data: bool = False,
    state: StrengthState | None = None,
) -> dict[str, FloatArray]:
    """Pre-match strengths for every match from counts (goals, shots on target...).

    Args:
        tl: Chronological match arrays.
        home_counts: Count scored by the home side (NaN when unknown or not played).
        away_counts: Count scored by the away side.
        params: Decay, shrinkage and newcomer weight.
        prior: Newcomer prior.
        prefix: Feature name prefix, e.g. ``"dc"`` for goals.
        league_means: Prior (home, away) mean counts of a league with no history.
        nan_without_data: Emit NaN for a team (league) with no observed count yet.
        state: Where the pass stands before ``tl``, updated in place; fresh when omitted.

    Returns:
        ``f_<prefix>_{home,away}_{attack,concede}`` and ``f_<prefix>_exp_{home,away}``.
    """
    n, xi, k = tl.n, params.decay_per_day, params.shrinkage
    st = state if state is not None else StrengthState.fresh(tl.n_teams, tl.n_leagues, prior)
    st.grow(tl.n_teams, tl.n_leagues)
    teams, roster = st.teams, st.roster
    lg_home, lg_away, lg_n, lg_day, lg_obs = st.lg_home, st.lg_away, st.lg_n, st.lg_day, st.lg_obs
    home, away = tl.home.tolist(), tl.away.tolist()
    league, level, day = tl.league.tolist(), tl.league_level.tolist(), tl.day.tolist()
    neutral = tl.neutral.tolist()
    observed = (tl.finished & ~np.isnan(home_counts) & ~np.isnan(away_counts)).tolist()
    yh, ya = home_counts.tolist(), away_counts.tolist()
    out = {k_: [0.0] * n for k_ in ("ha", "hc", "aa", "ac", "mh", "ma")}
    has_h, has_a, has_l = [False] * n, [False] * n, [False] * n
    starts = tl.group_starts.tolist()
    for g in range(len(starts) - 1):
        s, e = starts[g], starts[g + 1]
        pending: dict[int, _Sums] = {}
        for i in range(s, e):
            lg, d = league[i], day[i]
            for t in (home[i], away[i]):
                if teams[t] is None and t not in pending:
                    pending[t] = _newcomer(roster.active(lg, d), teams, d, level[i], params, prior)
            fl = math.exp(-xi * (d - lg_day[lg]))
            denom = lg_n[lg] * fl + LEAGUE_PSEUDO_MATCHES
            out["mh"][i] = (lg_home[lg] * fl + LEAGUE_PSEUDO_MATCHES * league_means[0]) / denom
            out["ma"][i] = (lg_away[lg] * fl + LEAGUE_PSEUDO_MATCHES * league_means[1]) / denom
            if neutral[i]:
                out["mh"][i] = out["ma"][i] = (out["mh"][i] + out["ma"][i]) / 2.0
            has_l[i] = lg_obs[lg] > 0
            for side, t, has in (("h", home[i], has_h), ("a", away[i], has_a)):
                sums = pending.get(t) or teams[t]
                assert sums is not None
                out[side + "a"][i], out[side + "c"][i] = sums.strengths(d, xi, k)
                has[i] = sums.n_obs > 0
        for t, sums in pending.items():
            teams[t] = sums
        for i in range(s, e):
            lg, d, h, a = league[i], day[i], home[i], away[i]
            if observed[i]:
                sh, sa = teams[h], teams[a]
                assert sh is not None and sa is not None
                sh.decay_to(d, xi)
                sa.decay_to(d, xi)
                # goals scored vs goals an average side would score against this opponent
                sh.add(yh[i], out["mh"][i] * out["ac"][i], ya[i], out["ma"][i] * out["aa"][i])
                sa.add(ya[i], out["ma"][i] * out["hc"][i], yh[i], out["mh"][i] * out["ha"][i])
                fl = math.exp(-xi * (d - lg_day[lg]))
                mean = (yh[i] + ya[i]) / 2.0
                lg_home[lg] = lg_home[lg] * fl + (mean if neutral[i] else yh[i])
                lg_away[lg] = lg_away[lg] * fl + (mean if neutral[i] else ya[i])
                lg_n[lg] = lg_n[lg] * fl + 1.0
                lg_day[lg] = d
                lg_obs[lg] += 1
            roster.record(h, lg, d)
            roster.record(a, lg, d)
    arr = {key: np.array(v, dtype=np.float64) for key, v in out.items()}
    if nan_without_data:
        seen_h, seen_a, seen_l = (np.array(v, dtype=bool) for v in (has_h, has_a, has_l))
        arr["ha"][~seen_h] = arr["hc"][~seen_h] = np.nan
        arr["aa"][~seen_a] = arr["ac"][~seen_a] = np.nan
        arr["mh"][~seen_l] = arr["ma"][~seen_l] = np.nan
    return {
        f"f_{prefix}_home_attack": arr["ha"],
        f"f_{prefix}_home_concede": arr["hc"],
        f"f_{prefix}_away_attack": arr["aa"],
        f"f_{prefix}_away_concede": arr["ac"],
        f"f_{prefix}_exp_home": arr["mh"] * arr["ha"] * arr["ac"],
        f"f_{prefix}_exp_away": arr["ma"] * arr["aa"] * arr["hc"],
    }
