"""Season-to-date table features and rating momentum, in one chronological pass.

For each side: games played so far this season, points and goal difference per game
(NaN before its first game of the season), and how far its rating moved over its last
``n`` matches. Like every rating pass, all matches of one local date read the state
before that date, and results of the date are applied only after the whole group.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from matchcast.features.saved_state import Arrays, floats, ints
from matchcast.features.timeline import FloatArray, Timeline


def _points(gd: float) -> float:
    return 3.0 if gd > 0 else (1.0 if gd == 0 else 0.0)


@dataclass
class SeasonTableState:
    """Every team's season-to-date record and its last ratings before its matches."""

    played: list[int]
    points: list[float]
    goal_diff: list[float]
    team_season: list[int]
    history: list[deque[float]]
    momentum_matches: int

    @classmethod
    def fresh(cls, n_teams: int, momentum_matches: int) -> SeasonTableState:
        """The state before the first match."""
        state = cls([], [], [], [], [], momentum_matches)
        state.grow(n_teams)
        return state

    def grow(self, n_teams: int) -> None:
        """Make room for teams not seen yet."""
        extra = n_teams - len(self.played)
        self.played.extend([0] * extra)
        self.points.extend([0.0] * extra)
        self.goal_diff.extend([0.0] * extra)
        self.team_season.extend([-1] * extra)
        self.history.extend(deque(maxlen=self.momentum_matches) for _ in range(extra))

    def to_arrays(self) -> Arrays:
        """The state as named arrays; ``history`` is NaN-padded on the left."""
        m = self.momentum_matches
        history = np.full((len(self.history), m), np.nan)
        for t, past in enumerate(self.history):
            if past:
                history[t, m - len(past) :] = list(past)
        return {
            "played": ints(self.played),
            "points": floats(self.points),
            "goal_diff": floats(self.goal_diff),
            "team_season": ints(self.team_season),
            "history": history,
            "history_len": ints([len(past) for past in self.history]),
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, npt.NDArray[Any]]) -> SeasonTableState:
        """The state :meth:`to_arrays` saved."""
        history = arrays["history"]
        m = history.shape[1]
        lengths = arrays["history_len"].tolist()
        return cls(
            played=arrays["played"].tolist(),
            points=arrays["points"].tolist(),
            goal_diff=arrays["goal_diff"].tolist(),
            team_season=arrays["team_season"].tolist(),
            history=[
                deque(row[m - k :] if k else [], maxlen=m)
                for row, k in zip(history.tolist(), lengths, strict=True)
            ],
            momentum_matches=m,
        )


def season_table_pass(
    tl: Timeline,
    rating_home: FloatArray,
    rating_away: FloatArray,
    momentum_matches: int,
    state: SeasonTableState | None = None,
) -> dict[str, FloatArray]:
    """Season-to-date form and rating momentum of both sides.

    Args:
        tl: Chronological match arrays.
        rating_home: Pre-match rating of the home side (point in time, e.g. Elo).
        rating_away: Pre-match rating of the away side.
        momentum_matches: Momentum is the rating now minus the rating before the side's
            match this many matches ago (NaN while it has played fewer).
        state: Where the pass stands before ``tl``, updated in place; fresh when omitted.

    Returns:
        ``f_{home,away}_season_played``, ``f_{home,away}_season_ppg``,
        ``f_{home,away}_season_gdpg``, ``f_season_ppg_diff``, ``f_season_gdpg_diff``,
        ``f_{home,away}_momentum`` and ``f_momentum_diff``, aligned with the timeline.
    """
    n = tl.n
    st = state if state is not None else SeasonTableState.fresh(tl.n_teams, momentum_matches)
    st.grow(tl.n_teams)
    played, points, goal_diff = st.played, st.points, st.goal_diff
    team_season, history = st.team_season, st.history
    home, away = tl.home.tolist(), tl.away.tolist()
    season = tl.season.tolist()
    finished = tl.finished.tolist()
    hg, ag = tl.home_goals.tolist(), tl.away_goals.tolist()
    r_home, r_away = rating_home.tolist(), rating_away.tolist()
    out = {k: [math.nan] * n for k in ("hp", "ap", "hppg", "appg", "hgd", "agd", "hm", "am")}
    starts = tl.group_starts.tolist()
    for g in range(len(starts) - 1):
        s, e = starts[g], starts[g + 1]
        for i in range(s, e):
            for t, side, rating in ((home[i], "h", r_home[i]), (away[i], "a", r_away[i])):
                games = played[t] if team_season[t] == season[i] else 0
                out[side + "p"][i] = float(games)
                if games:
                    out[side + "ppg"][i] = points[t] / games
                    out[side + "gd"][i] = goal_diff[t] / games
                past = history[t]
                if len(past) == momentum_matches:
                    out[side + "m"][i] = rating - past[0]
        for i in range(s, e):
            for t, rating in ((home[i], r_home[i]), (away[i], r_away[i])):
                history[t].append(rating)
                if team_season[t] != season[i]:
                    team_season[t] = season[i]
                    played[t], points[t], goal_diff[t] = 0, 0.0, 0.0
            if finished[i]:
                gd = hg[i] - ag[i]
                for t, signed in ((home[i], gd), (away[i], -gd)):
                    played[t] += 1
                    points[t] += _points(signed)
                    goal_diff[t] += signed
    arr = {k: np.array(v, dtype=np.float64) for k, v in out.items()}
    return {
        "f_home_season_played": arr["hp"],
        "f_away_season_played": arr["ap"],
        "f_home_season_ppg": arr["hppg"],
        "f_away_season_ppg": arr["appg"],
        "f_home_season_gdpg": arr["hgd"],
        "f_away_season_gdpg": arr["agd"],
        "f_season_ppg_diff": arr["hppg"] - arr["appg"],
        "f_season_gdpg_diff": arr["hgd"] - arr["agd"],
        "f_home_momentum": arr["hm"],
        "f_away_momentum": arr["am"],
        "f_momentum_diff": arr["hm"] - arr["am"],
    }
