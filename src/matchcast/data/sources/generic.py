"""A generic results CSV for any other source.

Required columns: ``date`` (ISO), ``league``, ``home_team``, ``away_team``,
``home_goals``, ``away_goals`` (empty = not yet played). Optional: ``season`` (any label
:mod:`matchcast.data.seasons` accepts; when the column or a cell is empty, the season comes
from the date and the league's calendar), ``time`` (HH:MM, UTC unless the source says
otherwise), ``neutral`` (the match is on neutral ground, no home side: ``1``/``0``,
``true``/``false``, ``yes``/``no``, ``y``/``n``; empty = no; another value quarantines its row),
``odds_home``, ``odds_draw``, ``odds_away``.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping

import numpy as np
import pandas as pd

from matchcast.data import columns as c
from matchcast.data import normalize as n
from matchcast.data import seasons
from matchcast.data.sources.csvtext import LINE, RawTable, decode, read_text_table

SOURCE_GENERIC = "generic"
TEXT_COLUMNS = ("date", "league", "season", "home_team", "away_team", "time", "neutral")
NEUTRAL_YES = frozenset({"1", "true", "yes", "y", "t"})
NEUTRAL_NO = frozenset({"", "0", "false", "no", "n", "f"})
GOAL_COLUMNS = ("home_goals", "away_goals")
REQUIRED = ("date", "league", "home_team", "away_team", "home_goals", "away_goals")


class GenericFormatError(ValueError):
    """The file lacks a required column."""


def read_generic_rows(payload: bytes, source_file: str) -> RawTable:
    """Read a generic results file into raw columns (lower-cased names) with provenance.

    Raises:
        GenericFormatError: A required column is missing (named in the message).
    """
    # Lower-case the names while reading, so ``Season`` or ``Home_Team`` are read as text
    # too (as numbers, "2024" with one empty cell would become "2024.0").
    text, _, _ = decode(payload)
    first = next((line for line in text.splitlines() if line.strip(" \t,;")), "")
    aliases = {name.strip(): name.strip().lower() for name in next(csv.reader([first]))}
    table = read_text_table(
        payload, source_file, aliases=aliases, text_columns=TEXT_COLUMNS, needed=GOAL_COLUMNS
    )
    frame = table.frame
    missing = [name for name in REQUIRED if name not in frame.columns]
    if missing:
        raise GenericFormatError(f"{source_file}: missing required column(s) {', '.join(missing)}")
    frame = frame.assign(_file=source_file)
    return table.with_frame(frame)


def to_canonical_generic(
    raw: pd.DataFrame,
    timezone: str = "UTC",
    calendars: Mapping[str, str | int] | None = None,
) -> pd.DataFrame:
    """Normalise raw generic rows (one or many files) into canonical rows.

    Args:
        raw: Rows of :func:`read_generic_rows`.
        timezone: Zone of the kick-off times.
        calendars: League -> ``"calendar"`` or the first month of its split season, for rows
            without a season label (detected from the league's dates when not given).
    """
    if raw.empty:
        return n.empty_canonical()
    raw = raw.reset_index(drop=True)
    out = pd.DataFrame(index=raw.index)
    dates = n.parse_iso_dates(raw["date"].astype("string"))
    home = raw["home_team"].astype("string").str.strip()
    away = raw["away_team"].astype("string").str.strip()
    home_id, away_id = n.slugify(home), n.slugify(away)
    league = raw["league"].astype("string").str.strip()
    kickoff, known = n.kickoffs(
        dates, raw["time"].astype("string") if "time" in raw.columns else None, timezone
    )
    home_goals, away_goals = n.to_float(raw, "home_goals"), n.to_float(raw, "away_goals")
    out[c.MATCH_ID] = n.match_ids(league, dates, home_id, away_id)
    out[c.LEAGUE] = league
    out[c.SEASON] = _seasons(raw, league, dates, calendars or {})
    out[c.DATE] = dates
    out[c.KICKOFF] = kickoff
    out[c.TIME_KNOWN] = known.to_numpy()
    out[c.NEUTRAL] = _neutral(raw)
    out[c.HOME_TEAM] = home
    out[c.AWAY_TEAM] = away
    out[c.HOME_ID] = home_id.replace("", pd.NA)
    out[c.AWAY_ID] = away_id.replace("", pd.NA)
    out[c.HOME_GOALS] = home_goals
    out[c.AWAY_GOALS] = away_goals
    out[c.RESULT] = n.result_from_goals(home_goals, away_goals)
    out[c.STATUS] = pd.Series(pd.NA, index=raw.index, dtype="string")
    for name in c.STAT_COLUMNS:
        out[name] = np.nan
    for name in c.ODDS_PRE:
        out[name] = np.nan
    out[c.ODDS_PRE_SOURCE] = pd.Series(pd.NA, index=raw.index, dtype="string")
    odds, labels = n.first_complete_triple(
        raw, [(SOURCE_GENERIC, ("odds_home", "odds_draw", "odds_away"))]
    )
    for i, name in enumerate(c.ODDS_CLOSE):
        out[name] = odds[:, i]
    out[c.ODDS_CLOSE_SOURCE] = labels
    out[c.SOURCE] = SOURCE_GENERIC
    out[c.SOURCE_FILE] = raw["_file"].astype("string")
    out[c.SOURCE_LINE] = raw[LINE].astype("int64").to_numpy()
    return out[list(c.CANONICAL_COLUMNS)]


def parse_generic_file(
    payload: bytes, source_file: str, timezone: str = "UTC"
) -> tuple[pd.DataFrame, RawTable]:
    """Parse one generic results file into canonical rows.

    Raises:
        GenericFormatError: A required column is missing (named in the message).
    """
    table = read_generic_rows(payload, source_file)
    return to_canonical_generic(table.frame, timezone), table


def _neutral(raw: pd.DataFrame) -> pd.Series:
    """The ``neutral`` flag (False without the column); <NA> where a cell is not yes/no."""
    if "neutral" not in raw.columns:
        return pd.Series(False, index=raw.index, dtype="boolean")
    text = raw["neutral"].astype("string").str.strip().str.lower().fillna("")
    flag = pd.Series(text.isin(NEUTRAL_YES), index=raw.index, dtype="boolean")
    return flag.mask(~text.isin(NEUTRAL_YES | NEUTRAL_NO))


def _seasons(
    raw: pd.DataFrame,
    league: pd.Series,
    dates: pd.Series,
    calendars: Mapping[str, str | int],
) -> pd.Series:
    """Parsed labels; an empty cell (or no column) takes the season of its date.

    A label that does not parse stays missing, so the contract quarantines its row.
    """
    if "season" in raw.columns:
        text = raw["season"].astype("string").str.strip()
    else:
        text = pd.Series(pd.NA, index=raw.index, dtype="string")
    empty = text.isna() | (text == "")
    parsed = seasons.resolve_ambiguous_labels(text, seasons.parse_season_labels(text), league)
    filled = seasons.fill_missing_seasons(league, dates, parsed.where(~empty), calendars)
    return parsed.where(~empty, filled)
