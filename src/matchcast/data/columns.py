"""Column names of the canonical match table (``data/interim/matches.parquet``).

One row per match. Later layers import these names instead of repeating strings.
"""

from __future__ import annotations

from typing import Final

MATCH_ID: Final = "match_id"  # e.g. "E0-2024-08-16-man-united-fulham"
LEAGUE: Final = "league"  # division / league code, e.g. "E0", "ARG"
SEASON: Final = "season"  # "2024-25" (split-year) or "2024" (calendar-year leagues)
DATE: Final = "date"  # local match date (datetime64, midnight)
KICKOFF: Final = "kickoff"  # UTC timestamp; local midnight when the time is unknown
TIME_KNOWN: Final = "kickoff_time_known"  # False for files without a Time column
NEUTRAL: Final = "neutral"  # True when neither side plays at home (False unless the source says)
HOME_TEAM: Final = "home_team"  # name as the source spells it
AWAY_TEAM: Final = "away_team"
HOME_ID: Final = "home_team_id"  # stable slug, e.g. "man-united"
AWAY_ID: Final = "away_team_id"
HOME_GOALS: Final = "home_goals"  # Int64, <NA> when scheduled
AWAY_GOALS: Final = "away_goals"
RESULT: Final = "result"  # "H" / "D" / "A", <NA> when scheduled
STATUS: Final = "status"  # "finished" / "scheduled"
SOURCE: Final = "source"  # "football-data", "football-data-extra", "fixtures", "generic"
SOURCE_FILE: Final = "source_file"  # URL path or file the row came from
SOURCE_LINE: Final = "source_line"  # 1-based line in that file

FINISHED: Final = "finished"
SCHEDULED: Final = "scheduled"
RESULTS: Final = ("H", "D", "A")

# Match statistics (outcomes of the match: features may use them only lagged).
STAT_COLUMNS: Final = (
    "ht_home_goals",
    "ht_away_goals",
    "home_shots",
    "away_shots",
    "home_shots_on_target",
    "away_shots_on_target",
    "home_corners",
    "away_corners",
    "home_fouls",
    "away_fouls",
    "home_yellow",
    "away_yellow",
    "home_red",
    "away_red",
)

# Market odds, normalised into two decimal H/D/A triples, each labelled with its source.
ODDS_PRE: Final = ("odds_pre_home", "odds_pre_draw", "odds_pre_away")
ODDS_PRE_SOURCE: Final = "odds_pre_source"  # "pinnacle", "market_avg", "betbrain_avg", "bet365", …
ODDS_CLOSE: Final = ("odds_close_home", "odds_close_draw", "odds_close_away")
ODDS_CLOSE_SOURCE: Final = "odds_close_source"  # "pinnacle", "market_avg", "bet365", …

CANONICAL_COLUMNS: Final = (
    MATCH_ID,
    LEAGUE,
    SEASON,
    DATE,
    KICKOFF,
    TIME_KNOWN,
    NEUTRAL,
    HOME_TEAM,
    AWAY_TEAM,
    HOME_ID,
    AWAY_ID,
    HOME_GOALS,
    AWAY_GOALS,
    RESULT,
    STATUS,
    *STAT_COLUMNS,
    *ODDS_PRE,
    ODDS_PRE_SOURCE,
    *ODDS_CLOSE,
    ODDS_CLOSE_SOURCE,
    SOURCE,
    SOURCE_FILE,
    SOURCE_LINE,
)
