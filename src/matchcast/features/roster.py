"""Which league each team is in, and where a team never seen before starts.

Ratings are global and keyed by team, so a promoted or relegated team carries its rating
into the other division. League-level quantities (a newcomer's prior, the mean a team is
regressed to between seasons) come only from teams already seen, as of the last date group.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from matchcast.features.params import PriorParams
from matchcast.features.timeline import IntArray


class LeagueRoster:
    """Last league and last match day of every team seen so far."""

    def __init__(self, n_teams: int, n_leagues: int, active_days: int) -> None:
        """Start with no team in any league.

        Args:
            n_teams: Number of team indices.
            n_leagues: Number of league indices.
            active_days: A team counts as active in its league this long after its last match.
        """
        self.team_league = [-1] * n_teams
        self.last_day = [0] * n_teams
        self.members: list[set[int]] = [set() for _ in range(n_leagues)]
        self.active_days = active_days

    def active(self, league: int, day: int) -> list[int]:
        """Teams whose last match was in ``league`` and recent enough before ``day``."""
        cutoff = day - self.active_days
        return sorted(t for t in self.members[league] if self.last_day[t] >= cutoff)

    def record(self, team: int, league: int, day: int) -> None:
        """Note that ``team`` played in ``league`` on ``day`` (call after the date group)."""
        previous = self.team_league[team]
        if previous != league:
            if previous >= 0:
                self.members[previous].discard(team)
            self.members[league].add(team)
            self.team_league[team] = league
        if day > self.last_day[team]:
            self.last_day[team] = day

    def grow(self, n_teams: int, n_leagues: int) -> None:
        """Make room for teams and leagues first seen after a saved state (none in them)."""
        self.team_league.extend([-1] * (n_teams - len(self.team_league)))
        self.last_day.extend([0] * (n_teams - len(self.last_day)))
        self.members.extend(set() for _ in range(n_leagues - len(self.members)))

    def to_arrays(self) -> dict[str, IntArray]:
        """The roster as arrays (``members`` follows from ``team_league``)."""
        return {
            "team_league": np.asarray(self.team_league, dtype=np.int64),
            "last_day": np.asarray(self.last_day, dtype=np.int64),
            "n_leagues": np.asarray([len(self.members)], dtype=np.int64),
            "active_days": np.asarray([self.active_days], dtype=np.int64),
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, IntArray]) -> LeagueRoster:
        """The roster :meth:`to_arrays` saved."""
        team_league = arrays["team_league"].tolist()
        roster = cls(len(team_league), int(arrays["n_leagues"][0]), int(arrays["active_days"][0]))
        roster.team_league = team_league
        roster.last_day = arrays["last_day"].tolist()
        for team, league in enumerate(team_league):
            if league >= 0:
                roster.members[league].add(team)
        return roster


def newcomer_rating(
    values: Sequence[float],
    level: int,
    base: float,
    level_gap: float,
    prior: PriorParams,
    upper: bool = False,
) -> float:
    """Starting value of a team never seen before, in one rating system.

    Args:
        values: Current ratings of the teams active in the newcomer's league.
        level: The league's level (1 = top flight).
        base: Default rating of a top-flight newcomer.
        level_gap: Default change per level below the top flight.
        prior: Quantile and minimum league size.
        upper: 'Bigger is worse' rating (goals conceded): mirrored quantile, gap added.

    Returns:
        The newcomer's rating.
    """
    if len(values) >= prior.min_teams:
        q = 1.0 - prior.quantile if upper else prior.quantile
        return float(np.quantile(np.asarray(values, dtype=np.float64), q))
    sign = -1.0 if upper else 1.0
    return base - sign * level_gap * (level - 1)


def mean_rating(values: Sequence[float], teams: Sequence[int], default: float) -> float:
    """Exact (order-independent) mean of ``values`` over ``teams``; ``default`` if empty."""
    if not teams:
        return default
    return math.fsum(values[t] for t in teams) / len(teams)
