"""Match identity: which rows are the same match, and where an id that moved now points.

A match id embeds its date (``E0-2026-03-04-aston-villa-chelsea``, ADR-0001), so a
postponed match gets a new id. In league play each pair of teams meets once per season at
each ground, so ``league + season + home + away`` names a match whatever its date
(ADR-0012). That key makes a fixture and the result of the same match one match, and
lets the old id of a moved match answer with a redirect to the new one.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from matchcast.data import columns as c
from matchcast.data.io import write_parquet

KEY_COLUMNS = (c.LEAGUE, c.SEASON, c.HOME_ID, c.AWAY_ID)
# moved.parquet: one row per id that no longer names a listed match.
MOVED_COLUMNS = ("match_id", "moved_to", "date_was", "detail")


def match_key(frame: pd.DataFrame) -> pd.Series:
    """``league|season|home|away`` per row: the identity of a league match."""
    parts = [frame[name].astype("string").fillna("") for name in KEY_COLUMNS]
    key = parts[0]
    for part in parts[1:]:
        key = key.str.cat(part, sep="|")
    return key


def drop_superseded_fixtures(matches: pd.DataFrame) -> pd.DataFrame:
    """A fixture whose match is also in a results file is that match: keep the results row.

    Compared by :func:`match_key`, so a match played on another date than its fixture
    said is still recognised.
    """
    is_fixture = matches[c.SOURCE] == "fixtures"
    if not is_fixture.any():
        return matches
    keys = match_key(matches)
    known = set(keys[~is_fixture])
    superseded = is_fixture & keys.isin(known)
    return matches.loc[~superseded].reset_index(drop=True)


def moved_ids(seen: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """Ids once listed as scheduled that no longer name a match in the current table.

    Args:
        seen: Matches listed earlier (the store's scheduled rows): id, key columns, date.
        current: The current match table.

    Returns:
        ``MOVED_COLUMNS``: ``moved_to`` is the id now carrying the same match, or missing
        when the match was withdrawn (no row of the same league, season, home and away).
    """
    gone = seen.loc[~seen[c.MATCH_ID].isin(set(current[c.MATCH_ID]))]
    leagues = set(current[c.LEAGUE].astype(str))
    gone = gone.loc[gone[c.LEAGUE].astype(str).isin(leagues)].drop_duplicates(c.MATCH_ID)
    by_key = dict(zip(match_key(current), current[c.MATCH_ID], strict=True))
    moved_to = match_key(gone).map(by_key)
    date_was = pd.to_datetime(gone[c.DATE]).dt.strftime("%Y-%m-%d")
    detail = [
        f"match {old!r} (listed for {day}) was moved to {new!r}"
        if isinstance(new, str)
        else f"match {old!r} (listed for {day}) was withdrawn from the fixtures: "
        "no match of these teams in this league and season is listed any more"
        for old, new, day in zip(gone[c.MATCH_ID], moved_to, date_was, strict=True)
    ]
    return pd.DataFrame(
        {
            "match_id": gone[c.MATCH_ID].astype("string").to_numpy(),
            "moved_to": moved_to.astype("string").to_numpy(),
            "date_was": date_was.astype("string").to_numpy(),
            "detail": pd.array(detail, dtype="string"),
        },
        columns=list(MOVED_COLUMNS),
    ).sort_values("match_id", ignore_index=True)


def write_moved(frame: pd.DataFrame, path: Path) -> None:
    """Write ``moved.parquet`` atomically."""
    write_parquet(frame.loc[:, list(MOVED_COLUMNS)], path)


def read_moved(path: Path) -> dict[str, tuple[str | None, str]]:
    """``old id -> (new id or None, detail)`` from ``moved.parquet``."""
    frame = pd.read_parquet(path)
    absent = [name for name in MOVED_COLUMNS if name not in frame.columns]
    if absent:
        raise ValueError(f"{path} lacks columns {absent}")
    return {
        str(old): (None if pd.isna(new) else str(new), str(detail))
        for old, new, detail in zip(
            frame["match_id"], frame["moved_to"], frame["detail"], strict=True
        )
    }
