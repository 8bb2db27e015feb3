"""The store's tables (mirroring the Alembic migrations) and the column typing they use.

The schema is owned by the migrations in ``matchcast/data/migrations``; a unit test checks
that these definitions and the migrations agree.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from matchcast.data import columns as C
from matchcast.data.prediction_contract import PROBABILITY_COLUMNS

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
BOOL_COLUMNS: tuple[str, ...] = (C.TIME_KNOWN, C.NEUTRAL)
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
    sa.Column("request_id", sa.String(64), nullable=True),  # X-Request-ID (migration 0004)
    sa.Index("ix_jobs_state_runner", "state", "runner"),
)

# One row per job worker process: its heartbeat says it is alive (migration 0003).
WORKERS = sa.Table(
    "workers",
    METADATA,
    sa.Column("worker", sa.String(255), primary_key=True),  # host:pid
    sa.Column("runner", sa.String(16), nullable=False),  # local
    sa.Column("started_at", _TS, nullable=False),
    sa.Column("heartbeat_at", _TS, nullable=False),
    sa.Column("stopped_at", _TS, nullable=True),
    sa.Column("stop_reason", sa.Text, nullable=True),
)

# Published forecast batches (migration 0005): one row per batch, its files beside it. A
# batch and its files are inserted in one transaction, so a reader sees all of them or none.
FORECAST_BATCHES = sa.Table(
    "forecast_batches",
    METADATA,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model_version", sa.String(64), nullable=False),
    sa.Column("published_at", _TS, nullable=False),
)
FORECAST_BATCH_FILES = sa.Table(
    "forecast_batch_files",
    METADATA,
    sa.Column(
        "version",
        sa.Integer,
        sa.ForeignKey("forecast_batches.version", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("name", sa.String(64), primary_key=True),  # predictions.parquet, model.json ...
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("md5", sa.String(32), nullable=False),
)
