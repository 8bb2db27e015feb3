"""football-data.co.uk formats: main-division files, "extra leagues" files and fixtures.

Parsing is faithful: every data row becomes one canonical row (the validate stage applies
the contracts and quarantines what breaks them). Only what cannot be aligned at all — the
tail of a ragged row — is dropped here, and reported.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from matchcast.data import columns as c
from matchcast.data import normalize as n
from matchcast.data import seasons
from matchcast.data.sources.csvtext import LINE, RAGGED, RawTable, read_text_table
from matchcast.data.teams import canonical_team_ids

SOURCE_MAIN = "football-data"
SOURCE_EXTRA = "football-data-extra"
SOURCE_FIXTURES = "fixtures"

# Header variants seen across the archive, mapped to one name each.
HEADER_ALIASES: dict[str, str] = {
    "HT": "HomeTeam",
    "AT": "AwayTeam",
    "Home": "HomeTeam",
    "Away": "AwayTeam",
    "HG": "FTHG",
    "AG": "FTAG",
    "Res": "FTR",
}

STAT_SOURCE_COLUMNS: dict[str, str] = {
    "ht_home_goals": "HTHG",
    "ht_away_goals": "HTAG",
    "home_shots": "HS",
    "away_shots": "AS",
    "home_shots_on_target": "HST",
    "away_shots_on_target": "AST",
    "home_corners": "HC",
    "away_corners": "AC",
    "home_fouls": "HF",
    "away_fouls": "AF",
    "home_yellow": "HY",
    "away_yellow": "AY",
    "home_red": "HR",
    "away_red": "AR",
}

CLOSING_ODDS: list[tuple[str, tuple[str, str, str]]] = [
    ("pinnacle", ("PSCH", "PSCD", "PSCA")),
    ("market_avg", ("AvgCH", "AvgCD", "AvgCA")),
    ("bet365", ("B365CH", "B365CD", "B365CA")),
]

PRE_MATCH_ODDS: list[tuple[str, tuple[str, str, str]]] = [
    ("pinnacle", ("PSH", "PSD", "PSA")),
    ("market_avg", ("AvgH", "AvgD", "AvgA")),
    ("betbrain_avg", ("BbAvH", "BbAvD", "BbAvA")),
    ("bet365", ("B365H", "B365D", "B365A")),
    ("william_hill", ("WHH", "WHD", "WHA")),
    ("bet_and_win", ("BWH", "BWD", "BWA")),
    ("interwetten", ("IWH", "IWD", "IWA")),
    ("ladbrokes", ("LBH", "LBD", "LBA")),
    ("gamebookers", ("GBH", "GBD", "GBA")),
    ("sportingbet", ("SBH", "SBD", "SBA")),
]
# The extra-leagues files publish closing prices only.
EXTRA_CLOSING_ODDS: list[tuple[str, tuple[str, str, str]]] = [
    ("pinnacle", ("PSCH", "PSCD", "PSCA")),
    ("pinnacle", ("PH", "PD", "PA")),
    ("market_avg", ("AvgCH", "AvgCD", "AvgCA")),
    ("market_avg", ("AvgH", "AvgD", "AvgA")),
    ("bet365", ("B365CH", "B365CD", "B365CA")),
]


GOAL_COLUMNS = ("FTHG", "FTAG")  # a row must reach them and hold numbers (or nothing)
TEXT_COLUMNS = ("Div", "Date", "Time", "HomeTeam", "AwayTeam", "FTR", "Country", "League", "Season")
KEEP_COLUMNS = frozenset(
    {"FTHG", "FTAG", *TEXT_COLUMNS, *STAT_SOURCE_COLUMNS.values()}
    | {col for _, cols in CLOSING_ODDS + PRE_MATCH_ODDS + EXTRA_CLOSING_ODDS for col in cols}
)
# Provenance columns carried from per-file reading to the one vectorised normalisation.
FILE, LEAGUE_HINT, SEASON_HINT = "_file", "_league", "_season"


def read_rows(payload: bytes, source_file: str, league: str | None, season: str | None) -> RawTable:
    """Read one file of the site's formats into raw columns plus provenance columns.

    Args:
        payload: File bytes.
        source_file: Relative path used for provenance, e.g. ``mmz4281/2425/E0.csv``.
        league: League code to use where the file has none (division files, extra leagues).
        season: Season label for division files (the folder says it); None to infer.
    """
    table = read_text_table(
        payload,
        source_file,
        aliases=HEADER_ALIASES,
        keep=KEEP_COLUMNS,
        text_columns=TEXT_COLUMNS,
        needed=GOAL_COLUMNS,
    )
    frame = table.frame.assign(**{FILE: source_file, LEAGUE_HINT: league, SEASON_HINT: season})
    return table.with_frame(frame)


def _text(raw: pd.DataFrame, name: str) -> pd.Series:
    if name not in raw.columns:
        return pd.Series(pd.NA, index=raw.index, dtype="string")
    text = raw[name].astype("string").str.strip()
    return text.mask(text == "")


def _mapped(values: pd.Series, func: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Apply a vectorised parser to the distinct values only (dates and names repeat)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if len(uniques) == 0:  # every value missing: nothing to map back from
        return func(values)
    parsed = func(pd.Series(uniques))
    result = parsed.take(np.where(codes < 0, 0, codes)).reset_index(drop=True)
    result.index = values.index
    if (codes < 0).any():
        result = result.mask(pd.Series(codes < 0, index=values.index))
    return result


def canonicalize(raw: pd.DataFrame, source: str, extra: bool = False) -> pd.DataFrame:
    """Normalise raw rows of the site's formats (many files at once) into canonical rows."""
    if raw.empty:
        return n.empty_canonical()
    raw = raw.reset_index(drop=True)
    home, away = _text(raw, "HomeTeam"), _text(raw, "AwayTeam")
    home_id = canonical_team_ids(_mapped(home, n.slugify), source)
    away_id = canonical_team_ids(_mapped(away, n.slugify), source)
    home_id, away_id = home_id.mask(home_id == ""), away_id.mask(away_id == "")
    dates = _mapped(_text(raw, "Date"), n.parse_day_first_dates)
    league = _text(raw, LEAGUE_HINT)
    if not extra:
        league = _text(raw, "Div").fillna(league)
    season = _text(raw, SEASON_HINT)
    if extra:
        season = season.fillna(_mapped(_text(raw, "Season"), seasons.parse_season_labels))
    season = season.fillna(n.split_season_of(dates))
    kickoff, known = n.kickoffs(dates, _text(raw, "Time"))
    ragged = raw[RAGGED].to_numpy(dtype=bool)
    out = pd.DataFrame(
        {
            c.MATCH_ID: n.match_ids(league, dates, home_id, away_id),
            c.LEAGUE: league,
            c.SEASON: season,
            c.DATE: dates,
            c.KICKOFF: kickoff,
            c.TIME_KNOWN: known.to_numpy(),
            # the site lists league matches: always at the home side's ground
            c.NEUTRAL: pd.Series(False, index=raw.index, dtype="boolean"),
            c.HOME_TEAM: home,
            c.AWAY_TEAM: away,
            c.HOME_ID: home_id,
            c.AWAY_ID: away_id,
            c.HOME_GOALS: n.to_float(raw, "FTHG"),
            c.AWAY_GOALS: n.to_float(raw, "FTAG"),
            c.RESULT: _text(raw, "FTR").str.upper(),
            c.STATUS: pd.Series(pd.NA, index=raw.index, dtype="string"),  # validate sets it
        }
    )
    for name, col in STAT_SOURCE_COLUMNS.items():
        out[name] = n.to_float(raw, col).where(~ragged, np.nan)
    pre, pre_source = n.first_complete_triple(raw, [] if extra else PRE_MATCH_ODDS)
    close, close_source = n.first_complete_triple(
        raw, EXTRA_CLOSING_ODDS if extra else CLOSING_ODDS
    )
    pre[ragged] = np.nan
    close[ragged] = np.nan
    for i, name in enumerate(c.ODDS_PRE):
        out[name] = pre[:, i]
    out[c.ODDS_PRE_SOURCE] = pre_source.mask(pd.Series(ragged, index=raw.index))
    for i, name in enumerate(c.ODDS_CLOSE):
        out[name] = close[:, i]
    out[c.ODDS_CLOSE_SOURCE] = close_source.mask(pd.Series(ragged, index=raw.index))
    out[c.SOURCE] = source
    out[c.SOURCE_FILE] = raw[FILE].astype("string")
    out[c.SOURCE_LINE] = raw[LINE].astype("int64")
    return out[list(c.CANONICAL_COLUMNS)]


def parse_division_file(
    payload: bytes, source_file: str, league: str, season: str
) -> tuple[pd.DataFrame, RawTable]:
    """Parse one main-division file (``mmz4281/<yyzz>/<DIV>.csv``) into canonical rows."""
    table = read_rows(payload, source_file, league, season)
    return canonicalize(table.frame, SOURCE_MAIN), table


def parse_extra_file(
    payload: bytes, source_file: str, league: str
) -> tuple[pd.DataFrame, RawTable]:
    """Parse an "extra leagues" file (``new/<CTY>.csv``: every season of one country).

    The league code is the file's country code (e.g. ``ARG``); seasons keep the file's
    label, normalised (``2012/2013`` → ``2012-13``; calendar-year seasons stay ``2012``).
    """
    table = read_rows(payload, source_file, league, None)
    return canonicalize(table.frame, SOURCE_EXTRA, extra=True), table


def parse_fixtures_file(payload: bytes, source_file: str) -> tuple[pd.DataFrame, RawTable]:
    """Parse the site's ``fixtures.csv`` (division-file columns, no result yet)."""
    table = read_rows(payload, source_file, None, None)
    return canonicalize(table.frame, SOURCE_FIXTURES), table
