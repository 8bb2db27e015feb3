"""Pi-ratings (Constantinou & Fenton, 2013): a home and an away rating per team, in goals.

A rating ``R`` maps to an expected goal difference against an average side,
``psi(R) = sign(R) * (b ** (|R| / c) - 1)`` with b = 10; the match expectation is
``psi(R_home_team_home) - psi(R_away_team_away)``. The error ``e`` between the observed
and expected goal difference is damped to ``c * log10(1 + |e|)``; the venue rating moves by
``learning_rate`` times it, and the team's other venue rating follows by ``cross_rate``.
On neutral ground neither side is at its venue: each team is rated by the mean of its two
ratings, and both of them move by the mean of the two rates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from matchcast.features.params import PiParams, PriorParams
from matchcast.features.roster import LeagueRoster, newcomer_rating
from matchcast.features.saved_state import Arrays, floats, ints, nested, part
from matchcast.features.timeline import FloatArray, Timeline


def expected_goal_difference(rating: float, c: float) -> float:
    """Goal difference a rating implies against an average opponent."""
    value = float(10.0 ** (abs(rating) / c)) - 1.0
    return value if rating >= 0 else -value


def _psi(ratings: FloatArray, c: float) -> FloatArray:
    return np.sign(ratings) * (10.0 ** (np.abs(ratings) / c) - 1.0)


def pi_update(
    home_rating: tuple[float, float],
    away_rating: tuple[float, float],
    goal_difference: float,
    params: PiParams,
    neutral: bool = False,
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Ratings after one result.

    Args:
        home_rating: The home team's (home, away) ratings before the match.
        away_rating: The away team's (home, away) ratings before the match.
        goal_difference: Home goals minus away goals.
        params: Pi-rating constants.
        neutral: The match was on neutral ground (the first-named side is not at home).

    Returns:
        New (home, away) ratings of the home team and of the away team.
    """
    c = params.base
    if neutral:
        predicted = expected_goal_difference(sum(home_rating) / 2.0, c) - expected_goal_difference(
            sum(away_rating) / 2.0, c
        )
    else:
        predicted = expected_goal_difference(home_rating[0], c) - expected_goal_difference(
            away_rating[1], c
        )
    error = goal_difference - predicted
    weighted = math.copysign(c * math.log10(1.0 + abs(error)), error)
    step = weighted * params.learning_rate
    if neutral:
        both = step * (1.0 + params.cross_rate) / 2.0
        return (
            (home_rating[0] + both, home_rating[1] + both),
            (away_rating[0] - both, away_rating[1] - both),
        )
    h_home = home_rating[0] + step
    h_away = home_rating[1] + step * params.cross_rate
    a_away = away_rating[1] - step
    a_home = away_rating[0] - step * params.cross_rate
    return (h_home, h_away), (a_home, a_away)


@dataclass
class PiState:
    """Home and away ratings of every team and the roster after the date groups run so far."""

    r_home: list[float]
    r_away: list[float]
    seen: list[bool]
    roster: LeagueRoster

    @classmethod
    def fresh(cls, n_teams: int, n_leagues: int, prior: PriorParams) -> PiState:
        """The state before the first match."""
        state = cls([], [], [], LeagueRoster(0, 0, prior.active_days))
        state.grow(n_teams, n_leagues)
        return state

    def grow(self, n_teams: int, n_leagues: int) -> None:
        """Make room for teams and leagues not seen yet."""
        extra = n_teams - len(self.r_home)
        self.r_home.extend([0.0] * extra)
        self.r_away.extend([0.0] * extra)
        self.seen.extend([False] * extra)
        self.roster.grow(n_teams, n_leagues)

    def to_arrays(self) -> Arrays:
        """The state as named arrays (see :mod:`matchcast.features.saved_state`)."""
        return {
            "r_home": floats(self.r_home),
            "r_away": floats(self.r_away),
            "seen": ints(self.seen),
            **nested("roster", self.roster.to_arrays()),
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, npt.NDArray[Any]]) -> PiState:
        """The state :meth:`to_arrays` saved."""
        return cls(
            r_home=arrays["r_home"].tolist(),
            r_away=arrays["r_away"].tolist(),
            seen=arrays["seen"].astype(bool).tolist(),
            roster=LeagueRoster.from_arrays(part("roster", arrays)),
        )


def pi_pass(
    tl: Timeline, params: PiParams, prior: PriorParams, state: PiState | None = None
) -> dict[str, FloatArray]:
    """Pre-match pi-rating features for every match, in one chronological pass.

    Args:
        tl: Chronological match arrays (or a part of them, see :meth:`Timeline.rows`).
        params: Pi-rating constants.
        prior: Newcomer prior.
        state: Where the pass stands before ``tl``, updated in place; fresh when omitted.

    Returns:
        ``f_pi_home`` (home team's home rating), ``f_pi_away`` (away team's away rating),
        ``f_pi_home_overall``/``f_pi_away_overall`` (mean of each team's two ratings) and
        ``f_pi_expected_gd``; on neutral ground the venue ratings are the overall ones.
    """
    n = tl.n
    st = state if state is not None else PiState.fresh(tl.n_teams, tl.n_leagues, prior)
    st.grow(tl.n_teams, tl.n_leagues)
    r_home, r_away, seen, roster = st.r_home, st.r_away, st.seen, st.roster
    home, away = tl.home.tolist(), tl.away.tolist()
    league, level, day = tl.league.tolist(), tl.league_level.tolist(), tl.day.tolist()
    finished, neutral = tl.finished.tolist(), tl.neutral.tolist()
    gd = (tl.home_goals - tl.away_goals).tolist()
    cols = {k: [0.0] * n for k in ("hh", "ha", "ah", "aa")}
    starts = tl.group_starts.tolist()
    for g in range(len(starts) - 1):
        s, e = starts[g], starts[g + 1]
        pending: dict[int, tuple[float, float]] = {}
        for i in range(s, e):
            for t in (home[i], away[i]):
                if not seen[t] and t not in pending:
                    active = roster.active(league[i], day[i])
                    pending[t] = (
                        newcomer_rating(
                            [r_home[x] for x in active], level[i], 0.0, params.level_gap, prior
                        ),
                        newcomer_rating(
                            [r_away[x] for x in active], level[i], 0.0, params.level_gap, prior
                        ),
                    )
            h, a = home[i], away[i]
            cols["hh"][i], cols["ha"][i] = pending.get(h, (r_home[h], r_away[h]))
            cols["ah"][i], cols["aa"][i] = pending.get(a, (r_home[a], r_away[a]))
        for t, (rh, ra) in pending.items():
            r_home[t], r_away[t] = rh, ra
            seen[t] = True
        for i in range(s, e):
            h, a = home[i], away[i]
            if finished[i]:
                (r_home[h], r_away[h]), (r_home[a], r_away[a]) = pi_update(
                    (r_home[h], r_away[h]), (r_home[a], r_away[a]), gd[i], params, neutral[i]
                )
            roster.record(h, league[i], day[i])
            roster.record(a, league[i], day[i])
    hh, ha = np.array(cols["hh"]), np.array(cols["ha"])
    ah, aa = np.array(cols["ah"]), np.array(cols["aa"])
    home_overall, away_overall = (hh + ha) / 2.0, (ah + aa) / 2.0
    hh = np.where(tl.neutral, home_overall, hh)
    aa = np.where(tl.neutral, away_overall, aa)
    expected = _psi(hh, params.base) - _psi(aa, params.base)
    return {
        "f_pi_home": hh,
        "f_pi_away": aa,
        "f_pi_home_overall": home_overall,
        "f_pi_away_overall": away_overall,
        "f_pi_expected_gd": expected,
    }
