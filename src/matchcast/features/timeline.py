"""The match table as chronological integer arrays, the common input of every rating pass.

Matches are ordered by (local date, kickoff, match id) and cut into groups of one local
date. Pre-2019 files carry no kickoff time, so every rating pass computes the features of a
whole date group from the state before the group and only then applies its results.
Team and league indices follow first appearance, so matches added after a point in time
never renumber what came before it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from matchcast.data import columns as c

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Timeline:
    """Chronologically sorted integer view of the matches (row ``i`` is the i-th match)."""

    order: IntArray  # positions in the input frame, chronological
    home: IntArray  # team index
    away: IntArray
    league: IntArray  # league index
    league_level: IntArray  # level of the match's league (1 = top flight)
    season: IntArray  # season code (equality is all that matters)
    day: IntArray  # local date as days since 1970-01-01
    finished: BoolArray  # result known (finished and scored)
    neutral: BoolArray  # played on neutral ground: no home advantage
    home_goals: FloatArray  # NaN unless finished
    away_goals: FloatArray
    group_starts: IntArray  # start of each date group, plus n at the end
    n_teams: int
    n_leagues: int
    league_codes: tuple[str, ...]

    @property
    def n(self) -> int:
        """Number of matches."""
        return len(self.home)

    def rows(self, start: int, stop: int) -> Timeline:
        """The matches ``start:stop`` (both at date-group boundaries), with the same indices.

        Team and league indices and their counts stay those of the whole timeline, so a
        rating pass can run over consecutive parts in turn, carrying its state across.

        Raises:
            ValueError: A bound cuts a date group.
        """
        starts = self.group_starts
        if not (np.isin([start, stop], starts).all() and start <= stop):
            raise ValueError(f"rows {start}:{stop} do not follow date groups")
        inside = starts[(starts >= start) & (starts <= stop)] - start
        return Timeline(
            order=self.order[start:stop],
            home=self.home[start:stop],
            away=self.away[start:stop],
            league=self.league[start:stop],
            league_level=self.league_level[start:stop],
            season=self.season[start:stop],
            day=self.day[start:stop],
            finished=self.finished[start:stop],
            neutral=self.neutral[start:stop],
            home_goals=self.home_goals[start:stop],
            away_goals=self.away_goals[start:stop],
            group_starts=inside.astype(np.int64),
            n_teams=self.n_teams,
            n_leagues=self.n_leagues,
            league_codes=self.league_codes,
        )


def _naive(values: pd.Series) -> npt.NDArray[np.datetime64]:
    """Timestamps as naive UTC datetime64 (fast to sort; NaT stays NaT)."""
    ts = pd.to_datetime(values, utc=True)
    return ts.dt.tz_localize(None).to_numpy("datetime64[ns]")


def chronological_order(matches: pd.DataFrame) -> IntArray:
    """Positions of ``matches`` sorted by (date, kickoff, match id).

    Args:
        matches: Canonical match table.

    Returns:
        Integer positions, earliest first.
    """
    keys = pd.DataFrame(
        {
            "d": _naive(matches[c.DATE]),
            "k": _naive(matches[c.KICKOFF]),
            "m": matches[c.MATCH_ID].astype(str).to_numpy(),
        }
    )
    return keys.sort_values(["d", "k", "m"], kind="mergesort").index.to_numpy(np.int64)


def build_timeline(matches: pd.DataFrame, league_levels: dict[str, int]) -> Timeline:
    """Turn the match table into the arrays the rating passes loop over.

    Args:
        matches: Canonical match table (finished and scheduled rows).
        league_levels: League code -> level (1 = top flight); unknown leagues are level 1.

    Returns:
        The chronological :class:`Timeline`.
    """
    order = chronological_order(matches)
    m = matches.iloc[order]
    n = len(m)
    home_ids = m[c.HOME_ID].astype(str).to_numpy()
    away_ids = m[c.AWAY_ID].astype(str).to_numpy()
    interleaved = np.empty(2 * n, dtype=object)
    interleaved[0::2] = home_ids
    interleaved[1::2] = away_ids
    team_codes, teams = pd.factorize(interleaved)
    league_codes, leagues = pd.factorize(m[c.LEAGUE].astype(str).to_numpy())
    season_codes, _ = pd.factorize(m[c.SEASON].astype(str).to_numpy())
    day = (
        pd.to_datetime(m[c.DATE])
        .to_numpy("datetime64[ns]")
        .astype("datetime64[D]")
        .astype(np.int64)
    )
    hg = pd.to_numeric(m[c.HOME_GOALS], errors="coerce").to_numpy(np.float64, na_value=np.nan)
    ag = pd.to_numeric(m[c.AWAY_GOALS], errors="coerce").to_numpy(np.float64, na_value=np.nan)
    finished = (m[c.STATUS].astype(str).to_numpy() == c.FINISHED) & ~np.isnan(hg) & ~np.isnan(ag)
    hg = np.where(finished, hg, np.nan)
    ag = np.where(finished, ag, np.nan)
    # A table written before the column existed holds league matches at home grounds.
    neutral = (
        m[c.NEUTRAL].fillna(False).to_numpy(dtype=bool)
        if c.NEUTRAL in m.columns
        else np.zeros(n, dtype=bool)
    )
    level_of = np.array([int(league_levels.get(str(code), 1)) for code in leagues], dtype=np.int64)
    change = np.flatnonzero(np.diff(day)) + 1 if n else np.empty(0, dtype=np.int64)
    group_starts = (
        np.concatenate([[0], change, [n]]).astype(np.int64) if n else np.zeros(1, np.int64)
    )
    return Timeline(
        order=order,
        home=team_codes[0::2].astype(np.int64),
        away=team_codes[1::2].astype(np.int64),
        league=league_codes.astype(np.int64),
        league_level=level_of[league_codes] if n else np.empty(0, dtype=np.int64),
        season=season_codes.astype(np.int64),
        day=day,
        finished=finished,
        neutral=neutral,
        home_goals=hg,
        away_goals=ag,
        group_starts=group_starts,
        n_teams=len(teams),
        n_leagues=len(leagues),
        league_codes=tuple(str(x) for x in leagues),
    )
