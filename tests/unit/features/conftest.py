"""Fixtures of the features tests: small hand-made match tables in the canonical shape."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest

from matchcast.data import columns as c

# (date "YYYY-MM-DD", home, away, home goals | None, away goals | None, league, season)
Row = tuple[str, str, str, int | None, int | None, str, str]


def _make_matches(
    rows: Sequence[Row],
    hours: Sequence[int] | None = None,
    stats: dict[str, Sequence[float]] | None = None,
    with_stats: bool = True,
) -> pd.DataFrame:
    """A canonical match table; a row with no goals is a scheduled match.

    Args:
        rows: One tuple per match.
        hours: Kick-off hour (UTC) per match; midnight when omitted (time unknown).
        stats: Values of statistic columns per match (others NaN).
        with_stats: False drops every statistic and odds column (a results-only source).

    Returns:
        The match table, in the given row order.
    """
    records: list[dict[str, Any]] = []
    for k, (date, home, away, hg, ag, league, season) in enumerate(rows):
        day = pd.Timestamp(date)
        hour = hours[k] if hours is not None else 0
        scored = hg is not None and ag is not None
        result = None
        if scored:
            result = "H" if hg > ag else ("A" if hg < ag else "D")  # type: ignore[operator]
        records.append(
            {
                c.MATCH_ID: f"{league}-{date}-{home}-{away}",
                c.LEAGUE: league,
                c.SEASON: season,
                c.DATE: day,
                c.KICKOFF: (day + pd.Timedelta(hours=hour)).tz_localize("UTC"),
                c.TIME_KNOWN: hours is not None,
                c.HOME_TEAM: home.title(),
                c.AWAY_TEAM: away.title(),
                c.HOME_ID: home,
                c.AWAY_ID: away,
                c.HOME_GOALS: hg,
                c.AWAY_GOALS: ag,
                c.RESULT: result,
                c.STATUS: c.FINISHED if scored else c.SCHEDULED,
            }
        )
    frame = pd.DataFrame.from_records(records)
    frame[c.HOME_GOALS] = frame[c.HOME_GOALS].astype("Int64")
    frame[c.AWAY_GOALS] = frame[c.AWAY_GOALS].astype("Int64")
    if with_stats:
        for col in c.STAT_COLUMNS:
            frame[col] = np.asarray(stats[col], dtype=float) if stats and col in stats else np.nan
        for col in (*c.ODDS_PRE, *c.ODDS_CLOSE):
            frame[col] = np.nan
    return frame


@pytest.fixture(scope="session")
def make_matches() -> Callable[..., pd.DataFrame]:
    """Factory of canonical match tables (see :func:`_make_matches`)."""
    return _make_matches
