"""The prediction index: every served record pre-serialised once, looked up per request.

``predictions.parquet`` is read once into a dict ``match_id -> Entry`` holding the JSON
bytes, their ETag and the response headers, so that ``GET /predict/{match_id}`` is a dict
lookup. Each record is validated against :class:`PredictionRecord` while building, so the
bytes always match the documented schema.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pandas as pd

from matchcast.app.schemas import PredictionRecord

REQUIRED_COLUMNS = (
    "match_id",
    "league",
    "season",
    "kickoff",
    "home_team",
    "away_team",
    "p_home",
    "p_draw",
    "p_away",
    "predicted",
    "fair_odds_home",
    "fair_odds_draw",
    "fair_odds_away",
    "market_odds_home",
    "market_odds_draw",
    "market_odds_away",
    "market_odds_source",
    "reasons",
    "model_name",
    "model_version",
    "model_alias",
    "model_run_id",
    "data_version",
    "features_as_of",
    "computed_at",
)
FINISHED_COLUMNS = ("status", "result", "correct")
PROBABILITY_SUM_TOLERANCE = 1e-6
JSON_CONTENT_TYPE = b"application/json"


@dataclass(frozen=True, slots=True)
class Entry:
    """One served record: body, its ETag and the ready-made response headers."""

    body: bytes
    etag: str
    raw_headers: tuple[tuple[bytes, bytes], ...]


@dataclass(frozen=True)
class PredictionIndex:
    """All predictions of one batch run, keyed by match id."""

    entries: Mapping[str, Entry]
    data_version: str
    features_as_of: str
    computed_at: dt.datetime
    loaded_at: dt.datetime
    model_version: str

    def __len__(self) -> int:
        return len(self.entries)


def etag_of(body: bytes) -> str:
    """Return a strong ETag (quoted) derived from the bytes of a body."""
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def _optional_float(value: Any) -> float | None:
    if value is None or value is pd.NA:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _optional_str(value: Any) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


def _optional_bool(value: Any) -> bool | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return bool(value)


def record_from_row(row: Mapping[str, Any]) -> PredictionRecord:
    """Build the API record of one row of ``predictions.parquet``.

    Args:
        row: One row, keyed by the columns of :data:`REQUIRED_COLUMNS`.

    Returns:
        The validated record.
    """
    market = [_optional_float(row[f"market_odds_{side}"]) for side in ("home", "draw", "away")]
    market_odds = (
        None
        if any(v is None for v in market)
        else {
            "home": market[0],
            "draw": market[1],
            "away": market[2],
            "source": _optional_str(row["market_odds_source"]),
        }
    )
    reasons = orjson.loads(row["reasons"]) if _optional_str(row["reasons"]) else []
    return PredictionRecord.model_validate(
        {
            "match_id": row["match_id"],
            "league": row["league"],
            "season": str(row["season"]),
            "kickoff": row["kickoff"],
            "home_team": row["home_team"],
            "away_team": row["away_team"],
            "p_home": float(row["p_home"]),
            "p_draw": float(row["p_draw"]),
            "p_away": float(row["p_away"]),
            "predicted": row["predicted"],
            "fair_odds": {
                "home": float(row["fair_odds_home"]),
                "draw": float(row["fair_odds_draw"]),
                "away": float(row["fair_odds_away"]),
            },
            "market_odds": market_odds,
            "reasons": reasons,
            "model": {
                "name": row["model_name"],
                "version": str(row["model_version"]),
                "alias": row["model_alias"],
                "run_id": row["model_run_id"],
                "data_version": row["data_version"],
                "features_as_of": str(row["features_as_of"]),
                "computed_at": row["computed_at"],
            },
            "status": _optional_str(row.get("status")) or "scheduled",
            "result": _optional_str(row.get("result")),
            "correct": _optional_bool(row.get("correct")),
        }
    )


def _check_frame(frame: pd.DataFrame, finished: bool) -> None:
    required = REQUIRED_COLUMNS + FINISHED_COLUMNS if finished else REQUIRED_COLUMNS
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(f"predictions file lacks columns {missing}")
    duplicated = frame["match_id"][frame["match_id"].duplicated()].tolist()
    if duplicated:
        raise ValueError(f"predictions file has duplicate match_id values, e.g. {duplicated[:3]}")
    total = frame[["p_home", "p_draw", "p_away"]].sum(axis=1)
    bad = frame.loc[(total - 1.0).abs() > PROBABILITY_SUM_TOLERANCE, "match_id"].tolist()
    if bad:
        raise ValueError(f"probabilities do not sum to 1 for {len(bad)} rows, e.g. {bad[:3]}")
    versions = frame["data_version"].unique().tolist()
    if finished:  # each logged forecast keeps the data version it was made with
        if (frame["status"] != "finished").any() or frame["result"].isna().any():
            raise ValueError("finished forecasts file has rows without status finished or result")
    elif len(versions) > 1:
        raise ValueError(f"predictions file mixes data versions {versions[:3]}")


def build_prediction_index(
    frame: pd.DataFrame, max_age_s: int, finished: bool = False
) -> PredictionIndex:
    """Validate and pre-serialise every row of a predictions frame.

    Args:
        frame: The content of ``predictions.parquet`` (or of ``finished.parquet``).
        max_age_s: ``Cache-Control`` max-age sent with each record.
        finished: The frame holds finished matches' logged forecasts (with ``status``,
            ``result`` and ``correct``; data versions may differ between rows).

    Returns:
        The index, ready to serve.

    Raises:
        ValueError: The frame breaks the predictions contract.
    """
    _check_frame(frame, finished)
    cache_control = f"public, max-age={max_age_s}".encode()
    entries: dict[str, Entry] = {}
    rows: list[dict[str, Any]] = frame.to_dict("records")  # type: ignore[assignment]
    for row in rows:
        body = record_from_row(row).model_dump_json().encode()
        etag = etag_of(body)
        headers = (
            (b"content-type", JSON_CONTENT_TYPE),
            (b"content-length", str(len(body)).encode()),
            (b"etag", etag.encode()),
            (b"cache-control", cache_control),
        )
        entries[str(row["match_id"])] = Entry(body=body, etag=etag, raw_headers=headers)
    if frame.empty:
        data_version, as_of, model_version = "empty", "", ""
        computed_at = dt.datetime.now(dt.UTC)
    else:
        first = frame.iloc[0]
        data_version = str(first["data_version"])
        if frame["data_version"].nunique() > 1:
            data_version = "mixed"
        as_of = str(first["features_as_of"])
        model_version = str(first["model_version"])
        computed_at = pd.Timestamp(frame["computed_at"].max()).to_pydatetime()
        if computed_at.tzinfo is None:
            computed_at = computed_at.replace(tzinfo=dt.UTC)
    return PredictionIndex(
        entries=entries,
        data_version=data_version,
        features_as_of=as_of,
        computed_at=computed_at,
        loaded_at=dt.datetime.now(dt.UTC),
        model_version=model_version,
    )


def load_prediction_index(path: Path, max_age_s: int) -> PredictionIndex:
    """Read ``predictions.parquet`` and build its index (see :func:`build_prediction_index`)."""
    return build_prediction_index(pd.read_parquet(path), max_age_s)
