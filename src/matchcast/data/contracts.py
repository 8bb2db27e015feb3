"""Data contracts of the match table, written with pandera.

Two schemas:

* :data:`ROW_CONTRACT` — what a parsed row must satisfy to enter the table. Violations
  are collected lazily, row by row; the validate stage quarantines those rows with the
  reason pandera reports.
* :data:`MATCH_TABLE` — the published ``matches.parquet``: types, ranges, uniqueness and
  the ``finished``/``scheduled`` invariants. A violation here is a bug, and fails the stage.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pandera.pandas as pa

from matchcast.data import columns as c
from matchcast.data.normalize import result_from_goals

MATCH_ID_PATTERN = r"^[A-Za-z0-9_]+-\d{4}-\d{2}-\d{2}-[a-z0-9][a-z0-9-]*$"
SEASON_PATTERN = r"^\d{4}(-\d{2})?$"
MAX_GOALS = 30
# Plausible upper bounds of match statistics; a value above is a typing error in the source.
STAT_BOUNDS: dict[str, float] = {
    "ht_home_goals": MAX_GOALS,
    "ht_away_goals": MAX_GOALS,
    "home_shots": 80,
    "away_shots": 80,
    "home_shots_on_target": 60,
    "away_shots_on_target": 60,
    "home_corners": 40,
    "away_corners": 40,
    "home_fouls": 60,
    "away_fouls": 60,
    "home_yellow": 15,
    "away_yellow": 15,
    "home_red": 6,
    "away_red": 6,
}


def _season_column() -> pa.Column:
    # Nullable so that a missing label fails its own check (a row reason the quarantine
    # names), not the column's null check.
    return pa.Column(
        str,
        [
            pa.Check(
                lambda season: season.notna(),
                ignore_na=False,
                name="season_label",
                error="season label missing or not understood",
            ),
            pa.Check.str_matches(SEASON_PATTERN),
        ],
        nullable=True,
    )


def _goals_column() -> pa.Column:
    return pa.Column(
        float,
        checks=[
            pa.Check.in_range(0, MAX_GOALS, error=f"goals must lie in 0..{MAX_GOALS}"),
            pa.Check(
                lambda s: (s % 1) == 0, element_wise=False, error="goals must be whole numbers"
            ),
        ],
        nullable=True,
    )


def _score_complete(frame: pd.DataFrame) -> pd.Series:
    return frame[c.HOME_GOALS].isna() == frame[c.AWAY_GOALS].isna()


def _result_consistent(frame: pd.DataFrame) -> pd.Series:
    expected = result_from_goals(frame[c.HOME_GOALS], frame[c.AWAY_GOALS])
    given = frame[c.RESULT].astype("string")
    consistent = (expected.isna() & given.isna()) | (
        expected.notna() & (given.isna() | (given == expected))
    )
    return consistent.fillna(False).astype(bool)


def _different_teams(frame: pd.DataFrame) -> pd.Series:
    return (frame[c.HOME_ID] != frame[c.AWAY_ID]).fillna(True).astype(bool)


def season_window(season: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Earliest and latest plausible date of each season label.

    Split-year seasons ``2024-25`` run from 1 June 2024 to 31 August 2025 (generous enough
    for summer play-offs and the COVID-extended 2019/20); calendar-year seasons ``2024``
    from 1 January 2024 to 31 March 2025 (Brazil's 2020 season ended in February 2021).
    A missing label has no window.
    """
    start_year = pd.to_numeric(season.astype("string").str[:4], errors="coerce").astype("float64")
    split = (season.astype("string").str.len() == 7).fillna(False).to_numpy(dtype=bool)
    start = pd.to_datetime(
        pd.DataFrame({"year": start_year, "month": np.where(split, 6, 1), "day": 1}),
        errors="coerce",
    )
    end = pd.to_datetime(
        pd.DataFrame({"year": start_year + 1, "month": np.where(split, 8, 3), "day": 31}),
        errors="coerce",
    )
    return start, end


def _kickoff_in_season(frame: pd.DataFrame) -> pd.Series:
    start, end = season_window(frame[c.SEASON])
    inside = (frame[c.DATE] >= start) & (frame[c.DATE] <= end)
    return inside.fillna(False).astype(bool)


def row_contract(as_of: dt.date) -> pa.DataFrameSchema:
    """The contract every parsed row must meet to enter the match table.

    Args:
        as_of: Matches on or before this date must have a final score (fixtures-file
            rows excepted: they are scheduled).
    """
    cutoff = pd.Timestamp(as_of)

    def _past_has_score(frame: pd.DataFrame) -> pd.Series:
        # A fixtures-file row has no score by nature: a match later today, or one played
        # but not yet in the results file. It is scheduled, not an abandoned match.
        fixture = frame[c.SOURCE].eq("fixtures") if c.SOURCE in frame else False
        return ~((frame[c.DATE] <= cutoff) & frame[c.HOME_GOALS].isna() & ~fixture)

    columns: dict[str, pa.Column] = {
        c.MATCH_ID: pa.Column(str, pa.Check.str_matches(MATCH_ID_PATTERN), nullable=False),
        c.LEAGUE: pa.Column(str, nullable=False),
        c.SEASON: _season_column(),
        c.DATE: pa.Column("datetime64[ns]", nullable=False),
        c.HOME_ID: pa.Column(str, nullable=False),
        c.AWAY_ID: pa.Column(str, nullable=False),
        c.HOME_GOALS: _goals_column(),
        c.AWAY_GOALS: _goals_column(),
        c.RESULT: pa.Column(str, pa.Check.isin(list(c.RESULTS)), nullable=True),
        # missing = a ``neutral`` cell that is not a yes/no value (the generic reader);
        # nullable so that the row's reason says so, not the column's null check
        c.NEUTRAL: pa.Column(
            checks=pa.Check(
                lambda flag: flag.notna(),
                ignore_na=False,
                name="neutral_flag",
                error="neutral is not a yes/no value",
            ),
            nullable=True,
        ),
        **{
            name: pa.Column(float, pa.Check.gt(1.0), nullable=True)
            for name in (*c.ODDS_PRE, *c.ODDS_CLOSE)
        },
    }
    return pa.DataFrameSchema(
        columns,
        checks=[
            pa.Check(
                _different_teams, name="different_teams", error="home and away team are the same"
            ),
            pa.Check(
                _score_complete, name="score_complete", error="only one side of the score is given"
            ),
            pa.Check(
                _result_consistent,
                name="result_matches_goals",
                error="result does not match the goals",
            ),
            pa.Check(
                _kickoff_in_season, name="kickoff_in_season", error="kick-off outside its season"
            ),
            pa.Check(
                _past_has_score,
                name="past_match_has_score",
                error=f"no final score for a match on or before as_of {as_of} (abandoned or void)",
            ),
        ],
        coerce=False,
        strict=False,
    )


def _status_consistent(frame: pd.DataFrame) -> pd.Series:
    finished = frame[c.STATUS] == c.FINISHED
    has_score = frame[c.HOME_GOALS].notna() & frame[c.AWAY_GOALS].notna() & frame[c.RESULT].notna()
    return (finished & has_score) | (~finished & ~has_score & frame[c.HOME_GOALS].isna())


MATCH_TABLE = pa.DataFrameSchema(
    {
        c.MATCH_ID: pa.Column(
            str, pa.Check.str_matches(MATCH_ID_PATTERN), unique=True, nullable=False
        ),
        c.LEAGUE: pa.Column(str, nullable=False),
        c.SEASON: _season_column(),
        c.DATE: pa.Column("datetime64[ns]", nullable=False),
        c.KICKOFF: pa.Column(pd.DatetimeTZDtype(tz="UTC"), nullable=False),
        c.TIME_KNOWN: pa.Column(bool),
        c.NEUTRAL: pa.Column(bool),
        c.HOME_TEAM: pa.Column(str, nullable=False),
        c.AWAY_TEAM: pa.Column(str, nullable=False),
        c.HOME_ID: pa.Column(str, nullable=False),
        c.AWAY_ID: pa.Column(str, nullable=False),
        c.HOME_GOALS: pa.Column("Int64", pa.Check.in_range(0, MAX_GOALS), nullable=True),
        c.AWAY_GOALS: pa.Column("Int64", pa.Check.in_range(0, MAX_GOALS), nullable=True),
        c.RESULT: pa.Column(str, pa.Check.isin(list(c.RESULTS)), nullable=True),
        c.STATUS: pa.Column(str, pa.Check.isin([c.FINISHED, c.SCHEDULED]), nullable=False),
        **{
            name: pa.Column(float, pa.Check.in_range(0, bound), nullable=True)
            for name, bound in STAT_BOUNDS.items()
        },
        **{
            name: pa.Column(float, pa.Check.gt(1.0), nullable=True)
            for name in (*c.ODDS_PRE, *c.ODDS_CLOSE)
        },
        c.ODDS_PRE_SOURCE: pa.Column(str, nullable=True),
        c.ODDS_CLOSE_SOURCE: pa.Column(str, nullable=True),
        c.SOURCE: pa.Column(str, nullable=False),
        c.SOURCE_FILE: pa.Column(str, nullable=False),
        c.SOURCE_LINE: pa.Column("int64", pa.Check.ge(1)),
    },
    checks=[
        pa.Check(_different_teams, name="different_teams"),
        pa.Check(_result_consistent, name="result_matches_goals"),
        pa.Check(_status_consistent, name="status_matches_score"),
        pa.Check(_kickoff_in_season, name="kickoff_in_season"),
    ],
    strict=True,
)
