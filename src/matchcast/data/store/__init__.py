"""SQL store: teams, matches, the append-only prediction log and the job records.

SQLite file by default, PostgreSQL through ``MATCHCAST_DATABASE_URL``. One module per
concern: :mod:`.engine` (engines, migrations and the one context manager for an engine's
life cycle), :mod:`.tables` (the tables, mirroring the Alembic migrations in
``matchcast/data/migrations``), :mod:`.convert` (pandas <-> SQL values and bulk
upserts), :mod:`.matches` (teams and matches), :mod:`.prediction_log`, :mod:`.jobs` and
:mod:`.batches` (published forecast batches).
The names callers use are re-exported here.
"""

from matchcast.data.store.batches import (
    BATCH_CHANNEL,
    PublishedBatch,
    latest_batch_version,
    load_batch,
    publish_batch,
)
from matchcast.data.store.engine import (
    MIGRATIONS_DIR,
    create_engine_for,
    migrated_engine,
    open_store,
    schema_revision,
    upgrade,
    upgrade_engine,
)
from matchcast.data.store.matches import (
    UpsertCounts,
    load_matches,
    sync_store,
    upsert_matches,
    upsert_teams,
)
from matchcast.data.store.prediction_log import append_predictions, load_prediction_log
from matchcast.data.store.tables import (
    CONTENT_HASH,
    CREATED_AT,
    JOBS,
    MATCHES,
    METADATA,
    PREDICTION_COLUMNS,
    PREDICTION_KEY,
    PREDICTION_LOG,
    STRING_COLUMNS,
    TEAMS,
    UPDATED_AT,
)

__all__ = [
    "BATCH_CHANNEL",
    "CONTENT_HASH",
    "CREATED_AT",
    "JOBS",
    "MATCHES",
    "METADATA",
    "MIGRATIONS_DIR",
    "PREDICTION_COLUMNS",
    "PREDICTION_KEY",
    "PREDICTION_LOG",
    "STRING_COLUMNS",
    "TEAMS",
    "UPDATED_AT",
    "PublishedBatch",
    "UpsertCounts",
    "append_predictions",
    "create_engine_for",
    "latest_batch_version",
    "load_batch",
    "load_matches",
    "load_prediction_log",
    "migrated_engine",
    "open_store",
    "publish_batch",
    "schema_revision",
    "sync_store",
    "upgrade",
    "upgrade_engine",
    "upsert_matches",
    "upsert_teams",
]
