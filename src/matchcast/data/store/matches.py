"""Teams and matches in the store: vectorised upserts keyed by id, and reading them back.

A content hash per match row is computed in pandas, compared with the stored hashes, and
only new or changed rows are sent, in one transaction. Re-ingesting an unchanged source
therefore changes nothing, and two writers racing on the same rows do not fail.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from matchcast.data import columns as C
from matchcast.data.store.convert import (
    as_utc,
    canonical_dtype,
    kind_of,
    python_values,
    require_columns,
    rows_frame,
    upsert_columns,
    utc_now,
    wire_columns,
)
from matchcast.data.store.engine import migrated_engine
from matchcast.data.store.tables import CONTENT_HASH, CREATED_AT, MATCHES, TEAMS, UPDATED_AT

logger = logging.getLogger(__name__)


class UpsertCounts(NamedTuple):
    """What an upsert did: rows inserted, rows updated, rows already up to date."""

    inserted: int
    updated: int
    unchanged: int


def _hash_frame(matches: pd.DataFrame) -> pd.Series:
    """Content hash (16 hex digits) per match over all canonical columns.

    Values are first brought to fixed dtypes (floats, epoch nanoseconds, Python
    strings) so that the hash depends on the data, not on how pandas typed it.
    """
    normal: dict[str, Any] = {}
    for name in C.CANONICAL_COLUMNS:
        kind = kind_of(name)
        column = matches[name]
        if kind in ("int", "float", "bool"):
            normal[name] = column.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
        elif kind in ("date", "timestamp"):
            stamps = (
                as_utc(column).dt.tz_localize(None)
                if kind == "timestamp"
                else pd.to_datetime(column)
            )
            normal[name] = stamps.dt.as_unit("ns").to_numpy(dtype="datetime64[ns]").view("int64")
        else:
            normal[name] = np.asarray(python_values(column, "str"), dtype=object)
    frame = pd.DataFrame(normal, index=matches.index)
    hashed = pd.util.hash_pandas_object(frame, index=False, categorize=False).to_numpy()
    return pd.Series([f"{value:016x}" for value in hashed], index=matches.index, dtype=object)


# --- teams ----------------------------------------------------------------------------------------


def _teams_from_matches(matches: pd.DataFrame) -> pd.DataFrame:
    """One row per team id: latest name and league, first and last match date."""
    sides = []
    for team_id, name in ((C.HOME_ID, C.HOME_TEAM), (C.AWAY_ID, C.AWAY_TEAM)):
        side = matches[[team_id, name, C.LEAGUE, C.DATE, C.KICKOFF]].rename(
            columns={team_id: "team_id", name: "name"}
        )
        sides.append(side)
    both = pd.concat(sides, ignore_index=True)
    both[C.DATE] = pd.to_datetime(both[C.DATE]).dt.normalize()
    both[C.KICKOFF] = as_utc(both[C.KICKOFF])
    both = both.sort_values([C.KICKOFF, "team_id"], kind="stable")
    grouped = both.groupby("team_id", sort=True)
    teams = grouped[["name", C.LEAGUE]].last()
    teams["first_seen"] = grouped[C.DATE].min()
    teams["last_seen"] = grouped[C.DATE].max()
    return teams.reset_index()


def _existing_teams(connection: Connection) -> pd.DataFrame:
    rows = connection.execute(
        sa.select(
            TEAMS.c.team_id, TEAMS.c.name, TEAMS.c.league, TEAMS.c.first_seen, TEAMS.c.last_seen
        )
    ).all()
    frame = rows_frame(rows, ["team_id", "name", "league", "first_seen", "last_seen"])
    for name in ("first_seen", "last_seen"):
        frame[name] = pd.to_datetime(frame[name])
    return frame


def _upsert_teams(connection: Connection, matches: pd.DataFrame, now: dt.datetime) -> UpsertCounts:
    incoming = _teams_from_matches(matches)
    existing = _existing_teams(connection)
    merged = incoming.merge(existing, on="team_id", how="left", suffixes=("", "_db"))
    known = merged["name_db"].notna()
    # A partial re-ingest must not shrink a team's span; name/league follow the latest match.
    newer = known & (merged["last_seen"] >= merged["last_seen_db"])
    merged["name"] = merged["name"].where(~known | newer, merged["name_db"])
    merged[C.LEAGUE] = merged[C.LEAGUE].where(~known | newer, merged["league_db"])
    merged["first_seen"] = merged["first_seen"].where(
        ~known | (merged["first_seen"] <= merged["first_seen_db"]), merged["first_seen_db"]
    )
    merged["last_seen"] = merged["last_seen"].where(~known | newer, merged["last_seen_db"])
    same = (
        known
        & (merged["name"] == merged["name_db"])
        & (merged[C.LEAGUE] == merged["league_db"])
        & (merged["first_seen"] == merged["first_seen_db"])
        & (merged["last_seen"] == merged["last_seen_db"])
    )
    to_write = merged[~same]
    kinds = {
        "team_id": "str",
        "name": "str",
        "league": "str",
        "first_seen": "date",
        "last_seen": "date",
        UPDATED_AT: "now",
    }
    values = wire_columns(to_write, kinds, connection.dialect.name, now)
    upsert_columns(connection, TEAMS, values, key="team_id")
    inserted = int((~known).sum())
    return UpsertCounts(inserted, len(to_write) - inserted, int(same.sum()))


def upsert_teams(engine: Engine, matches: pd.DataFrame) -> UpsertCounts:
    """Insert or update the teams that appear in a match frame.

    Args:
        engine: Engine of a migrated store.
        matches: Canonical match rows (at least the team, league, date and kickoff columns).

    Returns:
        Counts of teams inserted, updated and unchanged.
    """
    require_columns(
        matches,
        (C.HOME_ID, C.AWAY_ID, C.HOME_TEAM, C.AWAY_TEAM, C.LEAGUE, C.DATE, C.KICKOFF),
        "match",
    )
    with engine.begin() as connection:
        return _upsert_teams(connection, matches, utc_now())


# --- matches --------------------------------------------------------------------------------------


def _upsert_matches(
    connection: Connection, matches: pd.DataFrame, now: dt.datetime
) -> UpsertCounts:
    if matches[C.MATCH_ID].isna().any():
        raise ValueError("match frame has rows without match_id")
    duplicated = matches[C.MATCH_ID].duplicated()
    if duplicated.any():
        sample = matches.loc[duplicated, C.MATCH_ID].head(5).tolist()
        raise ValueError(f"match frame has duplicate match_id values, e.g. {sample}")
    # A stable key order keeps concurrent writers from deadlocking on row locks.
    frame = matches.sort_values(C.MATCH_ID, kind="stable")
    hashes = _hash_frame(frame)
    stored = dict(
        connection.execute(sa.select(MATCHES.c.match_id, MATCHES.c.content_hash)).tuples().all()
    )
    previous = frame[C.MATCH_ID].map(stored)
    is_new = previous.isna().to_numpy()
    is_changed = ~is_new & (previous.to_numpy() != hashes.to_numpy())
    write = is_new | is_changed
    chosen = frame[write].assign(**{CONTENT_HASH: hashes[write]})
    kinds = {name: kind_of(name) for name in C.CANONICAL_COLUMNS}
    kinds.update({CONTENT_HASH: "str", CREATED_AT: "now", UPDATED_AT: "now"})
    values = wire_columns(chosen, kinds, connection.dialect.name, now)
    upsert_columns(
        connection, MATCHES, values, key=C.MATCH_ID, keep=(CREATED_AT,), changed_when=CONTENT_HASH
    )
    counts = UpsertCounts(int(is_new.sum()), int(is_changed.sum()), int((~write).sum()))
    logger.info("matches upserted: %s", counts._asdict())
    return counts


def upsert_matches(engine: Engine, matches: pd.DataFrame) -> UpsertCounts:
    """Insert new matches and rewrite changed ones, keyed by ``match_id``.

    A row whose canonical content is unchanged is not written at all (its
    ``updated_at`` stays). The teams of the matches must already be stored
    (see :func:`upsert_teams`, or use :func:`sync_store` for both).

    Args:
        engine: Engine of a migrated store.
        matches: Frame with every column of ``columns.CANONICAL_COLUMNS``.

    Returns:
        Counts of matches inserted, updated and unchanged.

    Raises:
        ValueError: When columns are missing or ``match_id`` is null or duplicated.
    """
    require_columns(matches, C.CANONICAL_COLUMNS, "match")
    with engine.begin() as connection:
        return _upsert_matches(connection, matches, utc_now())


def sync_store(url: str, matches: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Migrate the store at ``url`` and bring its teams and matches in line with a match table.

    Teams and matches are written in one transaction.

    Args:
        url: Database URL (see :func:`create_engine_for`).
        matches: The canonical match table.

    Returns:
        ``{"teams": {...}, "matches": {...}}`` with inserted/updated/unchanged counts.
    """
    require_columns(matches, C.CANONICAL_COLUMNS, "match")
    with migrated_engine(url) as engine, engine.begin() as connection:
        now = utc_now()
        teams = _upsert_teams(connection, matches, now)
        match_counts = _upsert_matches(connection, matches, now)
    return {"teams": teams._asdict(), "matches": match_counts._asdict()}


def load_matches(
    engine: Engine,
    *,
    league: str | None = None,
    season: str | None = None,
    status: str | None = None,
) -> pd.DataFrame:
    """Read stored matches back as a canonical frame, ordered by kickoff then ``match_id``.

    Args:
        engine: Engine of a migrated store.
        league: Only this league, when given.
        season: Only this season, when given.
        status: Only ``finished`` or ``scheduled`` matches, when given.

    Returns:
        Frame with the canonical columns and dtypes (``string`` text, ``Int64`` goals,
        ``datetime64[ns]`` date, ``datetime64[ns, UTC]`` kickoff).
    """
    query = sa.select(*(MATCHES.c[name] for name in C.CANONICAL_COLUMNS))
    for name, value in ((C.LEAGUE, league), (C.SEASON, season), (C.STATUS, status)):
        if value is not None:
            query = query.where(MATCHES.c[name] == value)
    query = query.order_by(MATCHES.c[C.KICKOFF], MATCHES.c[C.MATCH_ID])
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    frame = rows_frame(rows, C.CANONICAL_COLUMNS)
    for name in C.CANONICAL_COLUMNS:
        frame[name] = canonical_dtype(frame[name], kind_of(name))
    return frame
