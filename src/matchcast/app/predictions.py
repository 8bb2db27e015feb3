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
from matchcast.data.prediction_contract import (
    FORECAST_KIND,
    MARKET_AWARE_COLUMNS,
    MARKET_NAMES,
    MARKET_ODDS_COLUMNS,
    MARKETS,
    validate_forecasts,
)

JSON_CONTENT_TYPE = b"application/json"


@dataclass(frozen=True, slots=True)
class Entry:
    """One served record: body, its ETag and the ready-made response headers.

    ``head`` is the body without its ``markets`` key (and without the closing brace), and
    ``markets`` each market's JSON: a request that selects markets is answered by joining
    them (:meth:`select`), so the API still computes nothing.
    """

    body: bytes
    etag: str
    raw_headers: tuple[tuple[bytes, bytes], ...]
    head: bytes = b""
    markets: Mapping[str, bytes] | None = None

    def select(self, names: tuple[str, ...]) -> bytes:
        """The body with only the ``names`` markets (in the contract's order)."""
        if self.markets is None:
            return self.head + b',"markets":null}'
        parts = b",".join(b'"' + n.encode() + b'":' + self.markets[n] for n in names)
        return self.head + b',"markets":{' + parts + b"}}"


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
        row: One row, keyed by the contract's ``PREDICTION_COLUMNS``.

    Returns:
        The validated record.
    """
    market = [_optional_float(row[name]) for name in MARKET_ODDS_COLUMNS]
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
    aware = [_optional_float(row.get(name)) for name in MARKET_AWARE_COLUMNS]
    market_aware = (
        None
        if any(v is None for v in aware)
        else {"home": aware[0], "draw": aware[1], "away": aware[2]}
    )
    reasons = orjson.loads(row["reasons"]) if _optional_str(row["reasons"]) else []
    markets_text = _optional_str(row.get(MARKETS))
    markets = orjson.loads(markets_text) if markets_text else None
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
            "forecast_kind": row[FORECAST_KIND],
            "market_aware": market_aware,
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
            "markets": markets,
        }
    )


def _market_parts(record: PredictionRecord) -> tuple[bytes, dict[str, bytes] | None]:
    head = record.model_dump_json(exclude={"markets"}).encode()[:-1]
    if record.markets is None:
        return head, None
    dumped = record.markets.model_dump(mode="json")
    return head, {name: orjson.dumps(dumped[name]) for name in MARKET_NAMES}


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
        ValueError: The frame breaks the predictions contract
            (:func:`matchcast.data.prediction_contract.validate_forecasts`).
    """
    validate_forecasts(frame, finished)
    cache_control = f"public, max-age={max_age_s}".encode()
    entries: dict[str, Entry] = {}
    rows: list[dict[str, Any]] = frame.to_dict("records")  # type: ignore[assignment]
    for row in rows:
        record = record_from_row(row)
        body = record.model_dump_json().encode()
        head, markets = _market_parts(record)
        etag = etag_of(body)
        headers = (
            (b"content-type", JSON_CONTENT_TYPE),
            (b"content-length", str(len(body)).encode()),
            (b"etag", etag.encode()),
            (b"cache-control", cache_control),
        )
        entries[str(row["match_id"])] = Entry(body, etag, headers, head, markets)
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
