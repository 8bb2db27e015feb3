"""SQL store: teams, matches and the append-only prediction log.

SQLite file by default, PostgreSQL through ``MATCHCAST_DATABASE_URL``. The schema is
owned by the Alembic migrations in ``matchcast/data/migrations``; the tables below
mirror them (a unit test checks that the two agree).

Writes are vectorised: a content hash per match row is computed in pandas, compared
with the stored hashes, and only new or changed rows are sent, in batches, through
``INSERT ... ON CONFLICT`` inside one transaction. Re-ingesting an unchanged source
therefore changes nothing, and two writers racing on the same rows do not fail.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, make_url

from matchcast.data import columns as C
from matchcast.data.prediction_contract import PROBABILITY_COLUMNS

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BATCH_ROWS = 5_000
_SQLITE_TIMESTAMP = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime in SQLite
_PG_LOCK_KEY = 0x6D61_7463  # "matc": serialises concurrent schema upgrades on PostgreSQL

# --- column typing of the canonical match table -------------------------------------------------

STRING_COLUMNS: tuple[str, ...] = (
    C.MATCH_ID,
    C.LEAGUE,
    C.SEASON,
    C.HOME_TEAM,
    C.AWAY_TEAM,
    C.HOME_ID,
    C.AWAY_ID,
    C.RESULT,
    C.STATUS,
    C.ODDS_PRE_SOURCE,
    C.ODDS_CLOSE_SOURCE,
    C.SOURCE,
    C.SOURCE_FILE,
)
INT_COLUMNS: tuple[str, ...] = (C.HOME_GOALS, C.AWAY_GOALS, C.SOURCE_LINE)
FLOAT_COLUMNS: tuple[str, ...] = (*C.STAT_COLUMNS, *C.ODDS_PRE, *C.ODDS_CLOSE)
BOOL_COLUMNS: tuple[str, ...] = (C.TIME_KNOWN,)
DATE_COLUMNS: tuple[str, ...] = (C.DATE,)
TIMESTAMP_COLUMNS: tuple[str, ...] = (C.KICKOFF,)

CONTENT_HASH = "content_hash"
CREATED_AT = "created_at"
UPDATED_AT = "updated_at"

PREDICTION_COLUMNS: tuple[str, ...] = (
    "match_id",
    "model_name",
    "model_version",
    "model_run_id",
    *PROBABILITY_COLUMNS,
    "predicted",
    "data_version",
    "features_as_of",
    "computed_at",
)
PREDICTION_KEY: tuple[str, ...] = (
    "match_id",
    "model_name",
    "model_version",
    "data_version",
    "computed_at",
)

# --- tables ---------------------------------------------------------------------------------------

METADATA = sa.MetaData()
_TS = sa.DateTime(timezone=True)
_ID = sa.String(128)

TEAMS = sa.Table(
    "teams",
    METADATA,
    sa.Column("team_id", _ID, primary_key=True),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("league", sa.String(128), nullable=False),  # league of the latest match seen
    sa.Column("first_seen", sa.Date, nullable=False),
    sa.Column("last_seen", sa.Date, nullable=False),
    sa.Column(UPDATED_AT, _TS, nullable=False),
)


def _canonical_column(name: str) -> sa.Column[Any]:
    if name == C.MATCH_ID:
        return sa.Column(name, _ID, primary_key=True)
    if name in (C.HOME_ID, C.AWAY_ID):
        return sa.Column(name, _ID, sa.ForeignKey("teams.team_id"), nullable=False, index=True)
    if name in STRING_COLUMNS:
        required = name in (C.LEAGUE, C.SEASON, C.HOME_TEAM, C.AWAY_TEAM, C.STATUS)
        length = 512 if name == C.SOURCE_FILE else 128
        return sa.Column(name, sa.String(length), nullable=not required)
    if name in INT_COLUMNS:
        return sa.Column(name, sa.Integer, nullable=True)
    if name in FLOAT_COLUMNS:
        return sa.Column(name, sa.Float, nullable=True)
    if name in BOOL_COLUMNS:
        return sa.Column(name, sa.Boolean, nullable=False)
    if name in DATE_COLUMNS:
        return sa.Column(name, sa.Date, nullable=False)
    if name in TIMESTAMP_COLUMNS:
        return sa.Column(name, _TS, nullable=False)
    raise ValueError(f"canonical column {name!r} has no SQL type")  # pragma: no cover


MATCHES = sa.Table(
    "matches",
    METADATA,
    *(_canonical_column(name) for name in C.CANONICAL_COLUMNS),
    sa.Column(CONTENT_HASH, sa.String(16), nullable=False),
    sa.Column(CREATED_AT, _TS, nullable=False),
    sa.Column(UPDATED_AT, _TS, nullable=False),
    sa.Index("ix_matches_league_season", C.LEAGUE, C.SEASON),
    sa.Index("ix_matches_kickoff", C.KICKOFF),
)

PREDICTION_LOG = sa.Table(
    "prediction_log",
    METADATA,
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("match_id", _ID, nullable=False, index=True),
    sa.Column("model_name", sa.String(128), nullable=False),
    sa.Column("model_version", sa.String(64), nullable=False),
    sa.Column("model_run_id", sa.String(64), nullable=True),
    sa.Column("p_home", sa.Float, nullable=False),
    sa.Column("p_draw", sa.Float, nullable=False),
    sa.Column("p_away", sa.Float, nullable=False),
    sa.Column("predicted", sa.String(1), nullable=False),
    sa.Column("data_version", sa.String(128), nullable=False),
    sa.Column("features_as_of", _TS, nullable=True),
    sa.Column("computed_at", _TS, nullable=False),
    sa.Column("logged_at", _TS, nullable=False),
    sa.UniqueConstraint(*PREDICTION_KEY, name="uq_prediction_log_run"),
)

# Operational jobs (refresh_data, batch_inference, retrain): one row per submitted job, written
# by the API on submission and by the worker (Celery or local) as it runs; also the local
# worker's queue (matchcast.data.jobs).
JOBS = sa.Table(
    "jobs",
    METADATA,
    sa.Column("job_id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("runner", sa.String(16), nullable=False),  # celery | local
    sa.Column("params", sa.Text, nullable=False),  # JSON
    sa.Column("submitted_at", _TS, nullable=False),
    sa.Column("started_at", _TS, nullable=True),
    sa.Column("finished_at", _TS, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("result", sa.Text, nullable=True),  # JSON
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("worker", sa.String(255), nullable=True),
    sa.Column("heartbeat_at", _TS, nullable=True),
    sa.Column("not_before", _TS, nullable=True),
    sa.Index("ix_jobs_state_runner", "state", "runner"),
)


class UpsertCounts(NamedTuple):
    """What an upsert did: rows inserted, rows updated, rows already up to date."""

    inserted: int
    updated: int
    unchanged: int


# --- engine and migrations ------------------------------------------------------------------------


def _normalise_url(url: str) -> sa.URL:
    parsed = make_url(url)
    if parsed.drivername == "postgresql":  # psycopg 3 is the driver we ship, not psycopg2
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def create_engine_for(url: str) -> Engine:
    """Create an engine for a store URL.

    SQLite files get their parent folder created and run with WAL journaling and
    enforced foreign keys; ``postgresql://`` URLs use the psycopg 3 driver.

    Args:
        url: ``sqlite:///path.db``, ``sqlite://`` (memory) or ``postgresql[+psycopg]://...``.

    Returns:
        A new engine; the caller disposes of it.
    """
    parsed = _normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, connect_args={"timeout": 30})
        sa.event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    return sa.create_engine(parsed, pool_pre_ping=True)


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def upgrade_engine(engine: Engine, revision: str = "head") -> None:
    """Run the Alembic migrations up to ``revision`` on an existing engine.

    Args:
        engine: Engine of the store.
        revision: Target revision (default the newest).
    """
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Two processes upgrading a fresh database at once would race on CREATE TABLE.
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        command.upgrade(_alembic_config(connection), revision)
    logger.info("store schema at revision %s", schema_revision(engine))


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the store at ``url`` to ``revision`` (creating it when new).

    Args:
        url: Database URL (see :func:`create_engine_for`).
        revision: Target revision (default the newest).
    """
    engine = create_engine_for(url)
    try:
        upgrade_engine(engine, revision)
    finally:
        engine.dispose()


@contextmanager
def migrated_engine(url: str) -> Iterator[Engine]:
    """An engine for the store at ``url``, migrated to the newest revision, then disposed.

    The one life cycle of a store engine: create, upgrade, use, dispose.

    Args:
        url: Database URL (see :func:`create_engine_for`).

    Yields:
        The engine of the migrated store.
    """
    engine = create_engine_for(url)
    try:
        upgrade_engine(engine)
        yield engine
    finally:
        engine.dispose()


def schema_revision(engine: Engine) -> str | None:
    """Return the Alembic revision the store is at, or ``None`` when never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


# --- pandas <-> SQL value conversion --------------------------------------------------------------


def _require(frame: pd.DataFrame, names: Sequence[str], what: str) -> None:
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise ValueError(f"{what} frame lacks columns: {missing}")


def _utc(series: pd.Series) -> pd.Series:
    """Timestamps as tz-aware UTC (naive input is taken to be UTC)."""
    return pd.to_datetime(series, utc=True)


def _python_values(series: pd.Series, kind: str, temporal_text: bool = False) -> list[Any]:
    """One column as DB-API values: plain Python scalars, ``None`` for NA/NaN/NaT.

    With ``temporal_text`` dates and timestamps become the strings SQLAlchemy's SQLite
    types store (UTC for timestamps), so rows can go straight to the driver.
    """
    missing = series.isna().to_numpy()
    values: list[Any]
    if kind == "date":
        dates = pd.to_datetime(series)
        values = (dates.dt.strftime("%Y-%m-%d") if temporal_text else dates.dt.date).tolist()
    elif kind == "timestamp":
        stamps = _utc(series)
        if temporal_text:
            values = stamps.dt.tz_localize(None).dt.strftime(_SQLITE_TIMESTAMP).tolist()
        else:
            values = list(stamps.dt.to_pydatetime())
    elif kind == "int":
        values = series.astype("Int64").astype(object).tolist()
    elif kind == "float":
        values = series.astype("float64").tolist()
    elif kind == "bool":
        values = series.astype("boolean").astype(object).tolist()
    else:
        values = series.astype(object).tolist()
    return _none_where(values, missing)


def _none_where(values: list[Any], missing: np.ndarray) -> list[Any]:
    for index in np.flatnonzero(missing).tolist():
        values[index] = None
    return values


def _wire_columns(
    frame: pd.DataFrame, kinds: Mapping[str, str], dialect: str, now: dt.datetime
) -> dict[str, list[Any]]:
    """Columns of ``frame`` named in ``kinds`` as driver-ready lists, plus ``now`` stamps.

    ``kinds`` maps a column to its kind; the kind ``"now"`` fills the column with ``now``.
    """
    text = dialect == "sqlite"
    stamp: Any = now.astimezone(dt.UTC).strftime(_SQLITE_TIMESTAMP) if text else now
    return {
        name: [stamp] * len(frame) if kind == "now" else _python_values(frame[name], kind, text)
        for name, kind in kinds.items()
    }


def _kind(name: str) -> str:
    if name in INT_COLUMNS:
        return "int"
    if name in FLOAT_COLUMNS:
        return "float"
    if name in BOOL_COLUMNS:
        return "bool"
    if name in DATE_COLUMNS:
        return "date"
    if name in TIMESTAMP_COLUMNS:
        return "timestamp"
    return "str"


def _hash_frame(matches: pd.DataFrame) -> pd.Series:
    """Content hash (16 hex digits) per match over all canonical columns.

    Values are first brought to fixed dtypes (floats, epoch nanoseconds, Python
    strings) so that the hash depends on the data, not on how pandas typed it.
    """
    normal: dict[str, Any] = {}
    for name in C.CANONICAL_COLUMNS:
        kind = _kind(name)
        column = matches[name]
        if kind in ("int", "float", "bool"):
            normal[name] = column.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
        elif kind in ("date", "timestamp"):
            stamps = (
                _utc(column).dt.tz_localize(None) if kind == "timestamp" else pd.to_datetime(column)
            )
            normal[name] = stamps.dt.as_unit("ns").to_numpy(dtype="datetime64[ns]").view("int64")
        else:
            normal[name] = np.asarray(_python_values(column, "str"), dtype=object)
    frame = pd.DataFrame(normal, index=matches.index)
    hashed = pd.util.hash_pandas_object(frame, index=False, categorize=False).to_numpy()
    return pd.Series([f"{value:016x}" for value in hashed], index=matches.index, dtype=object)


def _insert(connection: Connection, table: sa.Table) -> Any:
    """A dialect-specific INSERT that supports ON CONFLICT."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    if connection.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"unsupported dialect {connection.dialect.name!r}")


def _on_conflict_update(
    stmt: Any,
    table: sa.Table,
    names: Sequence[str],
    key: str,
    keep: Sequence[str],
    changed_when: str | None,
) -> Any:
    update = {name: stmt.excluded[name] for name in names if name != key and name not in keep}
    where = None
    if changed_when is not None:
        where = table.c[changed_when].is_distinct_from(stmt.excluded[changed_when])
    return stmt.on_conflict_do_update(index_elements=[key], set_=update, where=where)


def _upsert_columns(
    connection: Connection,
    table: sa.Table,
    values: Mapping[str, list[Any]],
    key: str,
    keep: Sequence[str] = (),
    changed_when: str | None = None,
) -> None:
    """Bulk INSERT ... ON CONFLICT (key) DO UPDATE of column-wise, driver-ready values.

    ``keep`` columns are never overwritten. With ``changed_when``, a conflicting row is
    only rewritten when that column differs, so a concurrent writer with identical
    content leaves the row (and its timestamps) alone. PostgreSQL rows are COPYed into a
    temporary table and merged set-wise; SQLite rows go to the driver's executemany,
    skipping SQLAlchemy's per-row parameter processing.
    """
    names = list(values)
    if not names or not values[names[0]]:
        return
    if connection.dialect.name == "postgresql":
        stage = f"{table.name}_stage"
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS pg_temp.{stage}")
        connection.exec_driver_sql(
            f"CREATE TEMPORARY TABLE {stage} (LIKE {table.name} INCLUDING DEFAULTS) ON COMMIT DROP"
        )
        driver = connection.connection.driver_connection
        with (
            driver.cursor() as cursor,  # type: ignore[union-attr]
            cursor.copy(f"COPY {stage} ({', '.join(names)}) FROM STDIN") as copy,
        ):
            for row in zip(*values.values(), strict=True):
                copy.write_row(row)
        staged = sa.table(stage, *(sa.column(name) for name in names))
        # Key order fixes the row-lock order, so concurrent writers cannot deadlock.
        rows = sa.select(*staged.c).order_by(staged.c[key])
        stmt = postgresql.insert(table).from_select(names, rows)
        connection.execute(_on_conflict_update(stmt, table, names, key, keep, changed_when))
        return
    stmt = _on_conflict_update(sqlite.insert(table), table, names, key, keep, changed_when)
    compiled = stmt.compile(dialect=connection.dialect, column_keys=names)
    order = [names.index(name) for name in compiled.positiontup or ()]
    columns = [values[names[index]] for index in order]
    for start in range(0, len(columns[0]), BATCH_ROWS):
        batch = list(zip(*(column[start : start + BATCH_ROWS] for column in columns), strict=True))
        connection.exec_driver_sql(str(compiled), batch)


def _frame(rows: Sequence[Any], names: Sequence[str]) -> pd.DataFrame:
    """Result rows as a frame, built column-wise (much faster than row-wise for wide rows)."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    return pd.DataFrame(
        {name: pd.Series(values, dtype=object) for name, values in zip(names, columns, strict=True)}
    )


def _records(columns: Mapping[str, list[Any]]) -> list[dict[str, Any]]:
    names = list(columns)
    return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]


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
    both[C.KICKOFF] = _utc(both[C.KICKOFF])
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
    frame = _frame(rows, ["team_id", "name", "league", "first_seen", "last_seen"])
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
    values = _wire_columns(to_write, kinds, connection.dialect.name, now)
    _upsert_columns(connection, TEAMS, values, key="team_id")
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
    _require(
        matches,
        (C.HOME_ID, C.AWAY_ID, C.HOME_TEAM, C.AWAY_TEAM, C.LEAGUE, C.DATE, C.KICKOFF),
        "match",
    )
    with engine.begin() as connection:
        return _upsert_teams(connection, matches, _now())


# --- matches --------------------------------------------------------------------------------------


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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
    kinds = {name: _kind(name) for name in C.CANONICAL_COLUMNS}
    kinds.update({CONTENT_HASH: "str", CREATED_AT: "now", UPDATED_AT: "now"})
    values = _wire_columns(chosen, kinds, connection.dialect.name, now)
    _upsert_columns(
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
    _require(matches, C.CANONICAL_COLUMNS, "match")
    with engine.begin() as connection:
        return _upsert_matches(connection, matches, _now())


def sync_store(url: str, matches: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Migrate the store at ``url`` and bring its teams and matches in line with a match table.

    Teams and matches are written in one transaction.

    Args:
        url: Database URL (see :func:`create_engine_for`).
        matches: The canonical match table.

    Returns:
        ``{"teams": {...}, "matches": {...}}`` with inserted/updated/unchanged counts.
    """
    _require(matches, C.CANONICAL_COLUMNS, "match")
    engine = create_engine_for(url)
    try:
        upgrade_engine(engine)
        now = _now()
        with engine.begin() as connection:
            teams = _upsert_teams(connection, matches, now)
            match_counts = _upsert_matches(connection, matches, now)
    finally:
        engine.dispose()
    return {"teams": teams._asdict(), "matches": match_counts._asdict()}


def _canonical_dtype(column: pd.Series, kind: str) -> pd.Series:
    """Give a column read from SQL the dtype the canonical match table uses."""
    if kind == "int":
        as_int = column.astype("Int64")
        return as_int if column.name != C.SOURCE_LINE or as_int.hasnans else as_int.astype("int64")
    if kind == "float":
        return column.astype("float64")
    if kind == "bool":
        return column.astype(bool)
    if kind == "date":
        return pd.to_datetime(column).astype("datetime64[ns]")
    if kind == "timestamp":
        return _utc(column).astype("datetime64[ns, UTC]")
    return column.astype("string")


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
    frame = _frame(rows, C.CANONICAL_COLUMNS)
    for name in C.CANONICAL_COLUMNS:
        frame[name] = _canonical_dtype(frame[name], _kind(name))
    return frame


# --- prediction log -------------------------------------------------------------------------------


def append_predictions(engine: Engine, predictions: pd.DataFrame) -> int:
    """Append predictions to the log; rows already logged (same key) are skipped.

    The key is (match_id, model_name, model_version, data_version, computed_at), so
    re-running a batch is a no-op. The log is append-only: the database refuses
    UPDATE and DELETE on it.

    Args:
        engine: Engine of a migrated store.
        predictions: Frame with the columns of ``PREDICTION_COLUMNS`` (others are ignored).

    Returns:
        Number of rows actually added.
    """
    _require(predictions, PREDICTION_COLUMNS, "prediction")
    if predictions.empty:
        return 0
    frame = predictions.sort_values(list(PREDICTION_KEY), kind="stable")
    kinds = {
        **dict.fromkeys(PROBABILITY_COLUMNS, "float"),
        "features_as_of": "timestamp",
        "computed_at": "timestamp",
    }
    values = {
        name: _python_values(
            frame[name] if name in kinds else frame[name].astype("string"), kinds.get(name, "str")
        )
        for name in PREDICTION_COLUMNS
    }
    values["logged_at"] = [_now()] * len(frame)
    rows = _records(values)
    added = 0
    with engine.begin() as connection:
        stmt = (
            _insert(connection, PREDICTION_LOG)
            .on_conflict_do_nothing(index_elements=list(PREDICTION_KEY))
            .returning(PREDICTION_LOG.c.id)
        )
        for start in range(0, len(rows), BATCH_ROWS):
            batch = rows[start : start + BATCH_ROWS]
            added += len(connection.execute(stmt, batch).all())
    logger.info("prediction log: %d of %d rows added", added, len(rows))
    return added


def load_prediction_log(engine: Engine, match_id: str | None = None) -> pd.DataFrame:
    """Read the prediction log, oldest entry first.

    Args:
        engine: Engine of a migrated store.
        match_id: Only this match's predictions, when given.

    Returns:
        Frame with ``id``, the prediction columns and ``logged_at`` (timestamps in UTC).
    """
    query = sa.select(PREDICTION_LOG).order_by(PREDICTION_LOG.c.id)
    if match_id is not None:
        query = query.where(PREDICTION_LOG.c.match_id == match_id)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    frame = _frame(rows, [column.name for column in PREDICTION_LOG.columns])
    for name in frame.columns:
        if name == "id":
            frame[name] = frame[name].astype("int64")
        elif name in PROBABILITY_COLUMNS:
            frame[name] = frame[name].astype("float64")
        elif name in ("features_as_of", "computed_at", "logged_at"):
            frame[name] = _utc(frame[name]).astype("datetime64[ns, UTC]")
        else:
            frame[name] = frame[name].astype("string")
    return frame
