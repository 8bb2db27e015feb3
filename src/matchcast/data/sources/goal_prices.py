"""Over/under 2.5, Asian-handicap and best 1X2 prices of football-data.co.uk files, by match id.

The match table carries H/D/A prices only; the goal markets are read here, from the same
files and through the same fetcher and cache as the ingest stage, for the seasons a
benchmark needs. Match ids come from the same canonicalisation as the match table
(:func:`matchcast.data.sources.football_data.canonicalize`), so they join one to one.
From 2019/20 every division file carries these columns.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Final

import pandas as pd

from matchcast.data import columns as C
from matchcast.data import normalize as n
from matchcast.data.sources.csvtext import read_text_table
from matchcast.data.sources.fetch import Fetcher, join
from matchcast.data.sources.football_data import (
    FILE,
    HEADER_ALIASES,
    KEEP_COLUMNS,
    LEAGUE_HINT,
    SEASON_HINT,
    SOURCE_MAIN,
    TEXT_COLUMNS,
    canonicalize,
)

logger = logging.getLogger(__name__)

#: Our column name -> the site's column.
GOAL_PRICE_COLUMNS: Final = {
    "ou25_pre_over": "P>2.5",
    "ou25_pre_under": "P<2.5",
    "ou25_max_over": "Max>2.5",
    "ou25_max_under": "Max<2.5",
    "ou25_close_over": "PC>2.5",
    "ou25_close_under": "PC<2.5",
    "ah_pre_line": "AHh",
    "ah_pre_home": "PAHH",
    "ah_pre_away": "PAHA",
    "ah_max_home": "MaxAHH",
    "ah_max_away": "MaxAHA",
    "ah_close_line": "AHCh",
    "ah_close_home": "PCAHH",
    "ah_close_away": "PCAHA",
    # The best pre-match 1X2 price (for the value report; the match table has Pinnacle's).
    "x12_max_home": "MaxH",
    "x12_max_draw": "MaxD",
    "x12_max_away": "MaxA",
}


def parse_goal_prices(payload: bytes, source_file: str, league: str, season: str) -> pd.DataFrame:
    """The goal-market prices of one division file: ``match_id`` plus :data:`GOAL_PRICE_COLUMNS`.

    Prices not above 1 (and lines that are not numbers) are NaN.
    """
    keep = set(KEEP_COLUMNS) | set(GOAL_PRICE_COLUMNS.values())
    table = read_text_table(
        payload, source_file, aliases=HEADER_ALIASES, keep=keep, text_columns=TEXT_COLUMNS
    )
    raw = table.frame.assign(**{FILE: source_file, LEAGUE_HINT: league, SEASON_HINT: season})
    if raw.empty:
        return pd.DataFrame(columns=[C.MATCH_ID, *GOAL_PRICE_COLUMNS])
    raw = raw.reset_index(drop=True)
    out = pd.DataFrame({C.MATCH_ID: canonicalize(raw, SOURCE_MAIN)[C.MATCH_ID].to_numpy()})
    for name, column in GOAL_PRICE_COLUMNS.items():
        values = n.to_float(raw, column).to_numpy()
        out[name] = values if name.endswith("_line") else pd.Series(values).where(values > 1.0)
    return out[out[C.MATCH_ID].notna()]


def read_goal_prices(
    base: str, fetcher: Fetcher, leagues: Iterable[str], seasons: Iterable[str]
) -> pd.DataFrame:
    """Goal-market prices of every division file of ``leagues`` × ``seasons`` under ``base``.

    Args:
        base: The archive's base (URL, mirror or local folder), as ``data.football_data``.
        fetcher: The ingest stage's fetcher (URL cache).
        leagues: Division codes.
        seasons: Season labels (``2024-25``).

    Returns:
        One row per match id (the first when a file repeats one).
    """
    frames = []
    for season in seasons:
        for league in leagues:
            relative = f"mmz4281/{n.season_code(season)}/{league}.csv"
            payload = fetcher.fetch(join(base, relative))
            if payload is None:
                logger.warning("no file %s: no goal-market prices for it", relative)
                continue
            frames.append(parse_goal_prices(payload, relative, league, season))
    fetcher.save_index()
    if not frames:
        return pd.DataFrame(columns=[C.MATCH_ID, *GOAL_PRICE_COLUMNS])
    prices = pd.concat(frames, ignore_index=True)
    return prices.drop_duplicates(C.MATCH_ID).reset_index(drop=True)
