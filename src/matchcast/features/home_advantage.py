"""Each league's home advantage, in Elo points, estimated from its own earlier results.

In a league where every side meets every other at home and away, team strengths cancel in
the mean home score (win 1, draw 0.5, loss 0), so the home advantage ``h`` that makes the
Elo expectation ``1 / (1 + 10 ** (-h / 400))`` equal that mean is the league's own. The
mean is taken over the league's last ``window`` finished matches on home grounds and shrunk
toward the expectation of the global value by ``prior_matches`` pseudo-matches: a league
with no history starts at the global value, and a league whose crowds stay away (a
season behind closed doors) or where travel is hard (altitude, long distances) drifts to
its own figure within a season or two. Callers read :meth:`LeagueHomeEdge.points` before a
date group and record the group's results after it, so a value uses only earlier dates.
"""

from __future__ import annotations

import math
from collections import deque

# A mean home score outside this band (a handful of one-sided results) is clipped.
SCORE_BAND = (0.05, 0.95)


def elo_points(home_score: float) -> float:
    """Home advantage in Elo points whose expected home score is ``home_score``."""
    s = min(max(home_score, SCORE_BAND[0]), SCORE_BAND[1])
    return 400.0 * math.log10(s / (1.0 - s))


def home_score(home_goals: float, away_goals: float) -> float:
    """The home side's Elo score of a result: 1 win, 0.5 draw, 0 loss."""
    return 1.0 if home_goals > away_goals else (0.5 if home_goals == away_goals else 0.0)


class LeagueHomeEdge:
    """Running, shrunk home advantage of every league (one window of results per league)."""

    def __init__(
        self, n_leagues: int, prior_points: float, prior_matches: float, window: int
    ) -> None:
        """No league has results yet: every league is at ``prior_points``.

        Args:
            n_leagues: Number of league indices.
            prior_points: The global home advantage (Elo points) every league shrinks to.
            prior_matches: Weight of the global value, in matches.
            window: Each league's estimate uses its last this many results.
        """
        self.prior_score = 1.0 / (1.0 + 10.0 ** (-prior_points / 400.0))
        self.prior_matches = prior_matches
        self.window = window
        self.scores: list[deque[float]] = [deque() for _ in range(n_leagues)]
        self.totals = [0.0] * n_leagues

    def points(self, league: int) -> float:
        """The league's home advantage from the results recorded so far."""
        recent = self.scores[league]
        weight = len(recent) + self.prior_matches
        if weight <= 0:
            return elo_points(self.prior_score)
        mean = (self.totals[league] + self.prior_matches * self.prior_score) / weight
        return elo_points(mean)

    def record(self, league: int, score: float) -> None:
        """Add one home-ground result (home score 1, 0.5 or 0) of ``league``."""
        recent = self.scores[league]
        recent.append(score)
        self.totals[league] += score
        if len(recent) > self.window:
            self.totals[league] -= recent.popleft()
