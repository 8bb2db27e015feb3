"""Goal-difference Elo with home advantage and regression between seasons.

The expected home score is ``1 / (1 + 10 ** (-(R_home + HFA_league - R_away) / 400))``; a
result moves both ratings by ``K * (1 + |goal difference|) ** gd_exponent * (S - E)``
(the goal-based K of Hvattum & Arntzen, 2010). At a team's first match of a new season
its rating is pulled toward the mean of the league it last played in. A match on neutral
ground has no home advantage and does not move the league's learned advantage.

Each league's home advantage is learned from its own matches: by default it starts at the
global value and follows the league's rating residuals (``home_advantage_k``); with
``home_advantage_from: results`` it is the league's own recent mean home score turned into
Elo points, shrunk to the global value (:mod:`matchcast.features.home_advantage`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from matchcast.features.home_advantage import LeagueHomeEdge, home_score
from matchcast.features.params import EloParams, PriorParams
from matchcast.features.roster import LeagueRoster, mean_rating, newcomer_rating
from matchcast.features.saved_state import Arrays, floats, ints, nested, part
from matchcast.features.timeline import FloatArray, Timeline

LN10_OVER_400 = math.log(10.0) / 400.0


def expected_score(diff: float) -> float:
    """Elo expectation of the home side for ``diff`` = home rating + HFA - away rating."""
    return 1.0 / (1.0 + float(10.0 ** (-diff / 400.0)))


def rating_change(diff: float, home_goals: float, away_goals: float, params: EloParams) -> float:
    """Points the home side gains (the away side loses) from one result.

    Args:
        diff: Home rating + home advantage - away rating, before the match.
        home_goals: Goals of the home side.
        away_goals: Goals of the away side.
        params: Elo constants.

    Returns:
        The signed change of the home rating.
    """
    gd = home_goals - away_goals
    score = 1.0 if gd > 0 else (0.5 if gd == 0 else 0.0)
    k = params.k * float((1.0 + abs(gd)) ** params.gd_exponent)
    return k * (score - expected_score(diff))


@dataclass
class EloState:
    """Ratings, league home advantages and roster after the date groups run so far."""

    rating: list[float]
    seen: list[bool]
    team_season: list[int]  # season code of the team's last match, -1 before its first
    hfa: list[float]
    roster: LeagueRoster

    @classmethod
    def fresh(cls, n_teams: int, n_leagues: int, params: EloParams, prior: PriorParams) -> EloState:
        """The state before the first match."""
        state = cls([], [], [], [], LeagueRoster(0, 0, prior.active_days))
        state.grow(n_teams, n_leagues, params)
        return state

    def grow(self, n_teams: int, n_leagues: int, params: EloParams) -> None:
        """Make room for teams and leagues not seen yet."""
        extra = n_teams - len(self.rating)
        self.rating.extend([0.0] * extra)
        self.seen.extend([False] * extra)
        self.team_season.extend([-1] * extra)
        self.hfa.extend([params.home_advantage] * (n_leagues - len(self.hfa)))
        self.roster.grow(n_teams, n_leagues)

    def to_arrays(self) -> Arrays:
        """The state as named arrays (see :mod:`matchcast.features.saved_state`)."""
        return {
            "rating": floats(self.rating),
            "seen": ints(self.seen),
            "team_season": ints(self.team_season),
            "hfa": floats(self.hfa),
            **nested("roster", self.roster.to_arrays()),
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, npt.NDArray[Any]]) -> EloState:
        """The state :meth:`to_arrays` saved."""
        return cls(
            rating=arrays["rating"].tolist(),
            seen=arrays["seen"].astype(bool).tolist(),
            team_season=arrays["team_season"].tolist(),
            hfa=arrays["hfa"].tolist(),
            roster=LeagueRoster.from_arrays(part("roster", arrays)),
        )


def elo_pass(
    tl: Timeline,
    params: EloParams,
    prior: PriorParams,
    prefix: str = "elo",
    state: EloState | None = None,
) -> dict[str, FloatArray]:
    """Pre-match Elo features for every match of the timeline, in one chronological pass.

    Args:
        tl: Chronological match arrays (or a part of them, see :meth:`Timeline.rows`).
        params: Elo constants.
        prior: Newcomer prior.
        prefix: Feature name prefix (``f_<prefix>_home`` ...).
        state: Where the pass stands before ``tl`` (it is updated in place to where it
            stands after); a fresh state when omitted.

    Returns:
        ``f_elo_home``, ``f_elo_away``, ``f_elo_home_advantage``, ``f_elo_diff`` and
        ``f_elo_expected`` (home expected score), aligned with the timeline; ``elo`` in
        the names is ``prefix``.
    """
    n = tl.n
    st = state if state is not None else EloState.fresh(tl.n_teams, tl.n_leagues, params, prior)
    st.grow(tl.n_teams, tl.n_leagues, params)
    rating, seen, team_season, hfa, roster = st.rating, st.seen, st.team_season, st.hfa, st.roster
    # Not part of the saved state: with this switch the build never carries on.
    edge = (
        LeagueHomeEdge(
            tl.n_leagues,
            params.home_advantage,
            params.home_advantage_prior_matches,
            params.home_advantage_window,
        )
        if params.home_advantage_from == "results"
        else None
    )
    home, away = tl.home.tolist(), tl.away.tolist()
    league, level = tl.league.tolist(), tl.league_level.tolist()
    season, day = tl.season.tolist(), tl.day.tolist()
    finished, neutral = tl.finished.tolist(), tl.neutral.tolist()
    hg, ag = tl.home_goals.tolist(), tl.away_goals.tolist()
    out_home, out_away, out_hfa = [0.0] * n, [0.0] * n, [0.0] * n
    starts = tl.group_starts.tolist()
    for g in range(len(starts) - 1):
        s, e = starts[g], starts[g + 1]
        pending: dict[int, float] = {}
        league_means: dict[int, float] = {}
        if edge is not None:  # the group's values, from results of earlier dates only
            for lg in set(league[s:e]):
                hfa[lg] = edge.points(lg)
        for i in range(s, e):
            for t in (home[i], away[i]):
                if t in pending:
                    continue
                if not seen[t]:
                    active = roster.active(league[i], day[i])
                    pending[t] = newcomer_rating(
                        [rating[x] for x in active], level[i], params.base, params.level_gap, prior
                    )
                elif team_season[t] != season[i] and params.season_regression > 0:
                    prev = roster.team_league[t]
                    if prev not in league_means:
                        league_means[prev] = mean_rating(
                            rating, roster.active(prev, day[i]), rating[t]
                        )
                    m = league_means[prev]
                    pending[t] = m + (1.0 - params.season_regression) * (rating[t] - m)
            h, a = home[i], away[i]
            out_home[i] = pending.get(h, rating[h])
            out_away[i] = pending.get(a, rating[a])
            out_hfa[i] = 0.0 if neutral[i] else hfa[league[i]]
        for t, value in pending.items():
            rating[t] = value
            seen[t] = True
        for i in range(s, e):
            if finished[i]:
                diff = out_home[i] + out_hfa[i] - out_away[i]
                delta = rating_change(diff, hg[i], ag[i], params)
                rating[home[i]] += delta
                rating[away[i]] -= delta
                if not neutral[i] and edge is not None:
                    edge.record(league[i], home_score(hg[i], ag[i]))
                elif not neutral[i]:
                    hfa[league[i]] += params.home_advantage_k * delta
            for t in (home[i], away[i]):
                roster.record(t, league[i], day[i])
                team_season[t] = season[i]
    r_home = np.array(out_home, dtype=np.float64)
    r_away = np.array(out_away, dtype=np.float64)
    adv = np.array(out_hfa, dtype=np.float64)
    diff_arr = r_home + adv - r_away
    return {
        f"f_{prefix}_home": r_home,
        f"f_{prefix}_away": r_away,
        f"f_{prefix}_home_advantage": adv,
        f"f_{prefix}_diff": diff_arr,
        f"f_{prefix}_expected": 1.0 / (1.0 + 10.0 ** (-diff_arr / 400.0)),
    }


def elo_probabilities(diff: FloatArray, draw_rate: FloatArray, params: EloParams) -> FloatArray:
    """Home/draw/away probabilities implied by an Elo difference (ordered logit).

    The latent strength is ``x = logit_scale * ln(10) / 400 * diff``; the draw band is
    ``[-theta, theta]`` with ``theta = draw_width * ln((1 + d) / (1 - d))``, which gives a
    draw probability of exactly the league draw rate ``d`` for evenly matched sides.

    Args:
        diff: Home rating + home advantage - away rating.
        draw_rate: The league's recent draw rate, per match.
        params: Elo constants (``logit_scale``, ``draw_width``).

    Returns:
        Array (n, 3) of [home, draw, away] probabilities.
    """
    x = params.logit_scale * LN10_OVER_400 * diff
    d = np.clip(draw_rate, 0.01, 0.9)
    theta = params.draw_width * np.log((1.0 + d) / (1.0 - d))
    p_home = 1.0 / (1.0 + np.exp(-(x - theta)))
    p_away = 1.0 / (1.0 + np.exp(x + theta))
    return np.column_stack([p_home, 1.0 - p_home - p_away, p_away])
