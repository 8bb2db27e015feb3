"""``GET /predict/{match_id}``: the forecast of one match.

This is the only way the API hands out forecasts: there is deliberately no HTTP batch
endpoint (docs/adr/0006-no-http-batch-endpoint.md).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from starlette.responses import JSONResponse, Response
from starlette.types import Scope

from matchcast.app.predictions import Entry, etag_of
from matchcast.app.runtime import PrebuiltResponse, Runtime
from matchcast.app.schemas import (
    EXAMPLE_MATCH_ID,
    MATCH_ID_MAX_LENGTH,
    MATCH_ID_PATTERN,
    ErrorDetail,
    PredictionRecord,
)
from matchcast.app.state import ServingState
from matchcast.data import columns as C
from matchcast.data.prediction_contract import MARKET_ALIASES, MARKET_NAMES

router = APIRouter(tags=["predictions"])

# The match id is read and checked by hand rather than declared as a FastAPI parameter:
# FastAPI's per-request parameter machinery costs more than the rest of the route, and
# this is the route that must run nearly as fast as a constant endpoint. The parameter is
# documented in OpenAPI below, and a malformed id gets FastAPI's usual 422 body.
_MATCH_ID = re.compile(MATCH_ID_PATTERN.removeprefix("^").removesuffix("$"))
MATCH_ID_DOC = {
    "name": "match_id",
    "in": "path",
    "required": True,
    "description": "Match id as listed by /matches: league-date-home-away slug.",
    "schema": {
        "type": "string",
        "pattern": MATCH_ID_PATTERN,
        "maxLength": MATCH_ID_MAX_LENGTH,
        "examples": [EXAMPLE_MATCH_ID],
    },
}
ETAG_LABEL = "etag"
JSON = b"application/json"
_KNOWN_MARKETS = (*MARKET_NAMES, *MARKET_ALIASES)
_ONE_MARKET = "|".join(re.escape(n) for n in _KNOWN_MARKETS)
MARKETS_PATTERN = f"^(?:{_ONE_MARKET})(?:,(?:{_ONE_MARKET}))*$"
_MARKETS = re.compile(MARKETS_PATTERN.removeprefix("^").removesuffix("$"))
_NAME_LIKE = re.compile(r"[a-z0-9_]{1,24}")
MARKETS_DOC = {
    "name": "markets",
    "in": "query",
    "required": False,
    "description": "Comma-separated markets to include (default: all): "
    + ", ".join(MARKET_NAMES)
    + "; short names "
    + ", ".join(f"{k} = {v}" for k, v in MARKET_ALIASES.items())
    + ".",
    "schema": {"type": "string", "pattern": MARKETS_PATTERN, "examples": ["ou,btts,ah"]},
}


def selected_markets(query_string: bytes) -> tuple[str, ...] | None:
    """The markets a query selects (contract order), None when it does not filter.

    Raises:
        RequestValidationError: 422 at ``("query", "markets")`` for a value that is not a
            comma-separated list of market names; it names the unknown ones when they
            look like names (other input is not echoed).
    """
    if not query_string:
        return None
    values = parse_qs(query_string.decode("latin-1"), keep_blank_values=True).get("markets")
    if values is None:
        return None
    value = values[-1]
    if _MARKETS.fullmatch(value) is not None:
        wanted = {MARKET_ALIASES.get(n, n) for n in value.split(",")}
        return tuple(n for n in MARKET_NAMES if n in wanted)
    names = value.split(",")
    unknown = [n for n in names if n not in _KNOWN_MARKETS]
    shown = (
        f"unknown markets {unknown}"
        if value and all(_NAME_LIKE.fullmatch(n) for n in unknown)
        else "markets must be a comma-separated list of market names"
    )
    raise RequestValidationError(
        [
            {
                "type": "string_pattern_mismatch",
                "loc": ("query", "markets"),
                "msg": f"{shown}: choose from {', '.join(MARKET_NAMES)} "
                f"(or {', '.join(MARKET_ALIASES)})",
            }
        ]
    )


def missing_detail(state: ServingState, match_id: str) -> str:
    """Explain precisely why a match has no forecast."""
    catalog = state.catalog
    match_status = None if catalog is None else catalog.status_of(match_id)
    version = "none" if state.predictions is None else state.predictions.data_version
    if match_status is None:
        return f"unknown match_id {match_id!r}: no such match in the match table (see GET /matches)"
    if match_status == C.FINISHED:
        return (
            f"match {match_id!r} is finished and has no published forecast: a finished match "
            "is served only if a forecast was logged before its kick-off and it was played "
            "within the batch's window"
        )
    model = state.model
    if model is not None and model.horizon_days is not None and model.as_of is not None:
        return (
            f"match {match_id!r} is scheduled but has no forecast in predictions {version}: "
            f"the batch forecasts matches up to {model.horizon_days} days after "
            f"{model.as_of.as_of}; a later day's batch will"
        )
    return f"match {match_id!r} is scheduled but has no forecast in predictions {version}"


def _etag_matches(if_none_match: str, etag: str) -> bool:
    if if_none_match.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))


def _not_modified(entry: Entry) -> Response:
    headers = [h for h in entry.raw_headers if h[0] in (b"etag", b"cache-control")]
    return PrebuiltResponse(b"", headers, status_code=status.HTTP_304_NOT_MODIFIED)


IF_NONE_MATCH_MAX_LENGTH = 1024
IF_NONE_MATCH_DOC = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "ETag of a copy the client holds: 304 while it is still current.",
    "schema": {"type": "string", "maxLength": IF_NONE_MATCH_MAX_LENGTH},
}


@router.get(
    "/predict/{match_id}",
    response_model=PredictionRecord,
    summary="Forecast of one match",
    responses={
        304: {"description": "Not modified: If-None-Match matched the current ETag."},
        308: {"description": "The match moved (postponed): Location names its current id."},
        410: {"model": ErrorDetail, "description": "The fixture was withdrawn."},
        404: {"model": ErrorDetail, "description": "Unknown match, or a match without a forecast."},
        422: {
            "description": "Malformed match id, If-None-Match or markets (FastAPI's "
            "validation error body; unknown market names are listed in `msg`).",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}
            },
        },
        503: {"model": ErrorDetail, "description": "Predictions are not loaded yet."},
    },
    openapi_extra={"parameters": [MATCH_ID_DOC, MARKETS_DOC, IF_NONE_MATCH_DOC]},
)
async def get_prediction(request: Request) -> Response:
    """Return the forecast, its top reasons and the model's provenance.

    Scheduled matches get the current batch's forecast; recently finished matches get the
    last forecast logged before their kick-off, with the result and whether it was right.

    Responses carry an ETag and Cache-Control; send the ETag back in If-None-Match to get
    a cheap 304 while the forecast is unchanged.
    """
    # The hottest route: it reads the runtime and If-None-Match from the request itself,
    # because a dependency and a declared header parameter cost more than the lookup.
    match_id: str = request.scope["path_params"]["match_id"]
    if len(match_id) > MATCH_ID_MAX_LENGTH or _MATCH_ID.fullmatch(match_id) is None:
        raise RequestValidationError([_invalid_id(match_id)])
    if_none_match = _header(request.scope, b"if-none-match")
    if if_none_match is not None and len(if_none_match) > IF_NONE_MATCH_MAX_LENGTH:
        raise RequestValidationError([_too_long_if_none_match()])
    markets = selected_markets(request.scope["query_string"])
    runtime: Runtime = request.app.state.runtime
    state = runtime.holder.state
    index = state.predictions
    if index is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "predictions are not loaded yet")
    entry = index.entries.get(match_id)
    if entry is None:
        finished = state.finished
        entry = None if finished is None else finished.entries.get(match_id)
        if entry is None:
            moved = state.moved.get(match_id)
            if moved is not None:
                return _moved(request, moved)
            raise HTTPException(status.HTTP_404_NOT_FOUND, missing_detail(state, match_id))
    metrics = runtime.metrics
    metrics.predictions_served.inc()
    if markets is not None:
        return _selected(entry, markets, if_none_match)
    if if_none_match is not None:
        if _etag_matches(if_none_match, entry.etag):
            metrics.cache_hits.labels(ETAG_LABEL).inc()
            return _not_modified(entry)
        metrics.cache_misses.labels(ETAG_LABEL).inc()
    body = entry.body
    cache = runtime.cache
    if cache is not None:
        key = cache.key(index.data_version, match_id)
        cached = await cache.get(key)
        if isinstance(cached, tuple) and cached[0] == entry.etag:
            body = cached[1]
        elif cached == "miss":
            cache.put_later(key, entry.etag, entry.body)
    return PrebuiltResponse(body, list(entry.raw_headers))


def _moved(request: Request, moved: tuple[str | None, str]) -> Response:
    """308 to the id that now carries the match, or 410 for a withdrawn fixture (ADR-0012)."""
    new_id, detail = moved
    if new_id is None:
        raise HTTPException(status.HTTP_410_GONE, detail)
    location = str(request.url.replace(path=f"/predict/{new_id}"))
    return JSONResponse(
        {"detail": detail, "moved_to": new_id},
        status_code=status.HTTP_308_PERMANENT_REDIRECT,
        headers={"Location": location},
    )


def _selected(entry: Entry, markets: tuple[str, ...], if_none_match: str | None) -> Response:
    """A record with only some markets: joined from the entry's pre-serialised parts."""
    body = entry.select(markets)
    etag = etag_of(body)
    kept = [h for h in entry.raw_headers if h[0] == b"cache-control"]
    headers = [(b"etag", etag.encode()), *kept]
    if if_none_match is not None and _etag_matches(if_none_match, etag):
        return PrebuiltResponse(b"", headers, status_code=status.HTTP_304_NOT_MODIFIED)
    headers += [(b"content-type", JSON), (b"content-length", str(len(body)).encode())]
    return PrebuiltResponse(body, headers)


def _invalid_id(match_id: str) -> dict[str, Any]:
    too_long = len(match_id) > MATCH_ID_MAX_LENGTH
    return {
        "type": "string_too_long" if too_long else "string_pattern_mismatch",
        "loc": ("path", "match_id"),
        "msg": f"String should have at most {MATCH_ID_MAX_LENGTH} characters"
        if too_long
        else f"String should match pattern '{MATCH_ID_PATTERN}'",
    }


def _too_long_if_none_match() -> dict[str, Any]:
    return {
        "type": "string_too_long",
        "loc": ("header", "If-None-Match"),
        "msg": f"String should have at most {IF_NONE_MATCH_MAX_LENGTH} characters",
    }


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None
