"""pandas <-> SQL values: driver-ready columns, bulk upserts, result rows back to frames.

Writes are vectorised: columns are converted once to plain Python values (or to the text
SQLAlchemy's SQLite types store) and sent in batches through ``INSERT ... ON CONFLICT``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from matchcast.data import columns as C
from matchcast.data.store.tables import (
    BOOL_COLUMNS,
    DATE_COLUMNS,
    FLOAT_COLUMNS,
    INT_COLUMNS,
    TIMESTAMP_COLUMNS,
)

BATCH_ROWS = 5_000
_SQLITE_TIMESTAMP = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime in SQLite


def require_columns(frame: pd.DataFrame, names: Sequence[str], what: str) -> None:
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise ValueError(f"{what} frame lacks columns: {missing}")


def as_utc(series: pd.Series) -> pd.Series:
    """Timestamps as tz-aware UTC (naive input is taken to be UTC)."""
    return pd.to_datetime(series, utc=True)


def python_values(series: pd.Series, kind: str, temporal_text: bool = False) -> list[Any]:
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
        stamps = as_utc(series)
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
    return none_where(values, missing)


def none_where(values: list[Any], missing: np.ndarray) -> list[Any]:
    for index in np.flatnonzero(missing).tolist():
        values[index] = None
    return values


def wire_columns(
    frame: pd.DataFrame, kinds: Mapping[str, str], dialect: str, now: dt.datetime
) -> dict[str, list[Any]]:
    """Columns of ``frame`` named in ``kinds`` as driver-ready lists, plus ``now`` stamps.

    ``kinds`` maps a column to its kind; the kind ``"now"`` fills the column with ``now``.
    """
    text = dialect == "sqlite"
    stamp: Any = now.astimezone(dt.UTC).strftime(_SQLITE_TIMESTAMP) if text else now
    return {
        name: [stamp] * len(frame) if kind == "now" else python_values(frame[name], kind, text)
        for name, kind in kinds.items()
    }


def kind_of(name: str) -> str:
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


def insert_for(connection: Connection, table: sa.Table) -> Any:
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


def upsert_columns(
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


def rows_frame(rows: Sequence[Any], names: Sequence[str]) -> pd.DataFrame:
    """Result rows as a frame, built column-wise (much faster than row-wise for wide rows)."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    return pd.DataFrame(
        {name: pd.Series(values, dtype=object) for name, values in zip(names, columns, strict=True)}
    )


def row_records(columns: Mapping[str, list[Any]]) -> list[dict[str, Any]]:
    names = list(columns)
    return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def canonical_dtype(column: pd.Series, kind: str) -> pd.Series:
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
        return as_utc(column).astype("datetime64[ns, UTC]")
    return column.astype("string")
