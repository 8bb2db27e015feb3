"""The append-only prediction log: every forecast the batch stage published, to be scored."""

from __future__ import annotations

import logging

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from matchcast.data.prediction_contract import PROBABILITY_COLUMNS
from matchcast.data.store.convert import (
    BATCH_ROWS,
    as_utc,
    insert_for,
    python_values,
    require_columns,
    row_records,
    rows_frame,
    utc_now,
)
from matchcast.data.store.tables import PREDICTION_COLUMNS, PREDICTION_KEY, PREDICTION_LOG

logger = logging.getLogger(__name__)


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
    require_columns(predictions, PREDICTION_COLUMNS, "prediction")
    if predictions.empty:
        return 0
    frame = predictions.sort_values(list(PREDICTION_KEY), kind="stable")
    kinds = {
        **dict.fromkeys(PROBABILITY_COLUMNS, "float"),
        "features_as_of": "timestamp",
        "computed_at": "timestamp",
    }
    values = {
        name: python_values(
            frame[name] if name in kinds else frame[name].astype("string"), kinds.get(name, "str")
        )
        for name in PREDICTION_COLUMNS
    }
    values["logged_at"] = [utc_now()] * len(frame)
    rows = row_records(values)
    added = 0
    with engine.begin() as connection:
        stmt = (
            insert_for(connection, PREDICTION_LOG)
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
    frame = rows_frame(rows, [column.name for column in PREDICTION_LOG.columns])
    for name in frame.columns:
        if name == "id":
            frame[name] = frame[name].astype("int64")
        elif name in PROBABILITY_COLUMNS:
            frame[name] = frame[name].astype("float64")
        elif name in ("features_as_of", "computed_at", "logged_at"):
            frame[name] = as_utc(frame[name]).astype("datetime64[ns, UTC]")
        else:
            frame[name] = frame[name].astype("string")
    return frame
