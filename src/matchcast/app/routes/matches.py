"""``GET /matches``: discovery of match ids, without probabilities."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Container, Mapping
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, BeforeValidator, Field
from starlette.responses import Response

from matchcast.app.deps import RuntimeDep
from matchcast.app.schemas import ErrorDetail, MatchPage

router = APIRouter(tags=["matches"])

MAX_LIMIT = 500


class LeagueList(BaseModel):
    """The league codes of the match table."""

    leagues: list[str] = Field(description="Sorted league codes, e.g. ['D1', 'E0'].")


class _AnyOf(Container[str]):
    """Membership in any of several mappings (scheduled and finished forecasts)."""

    def __init__(self, maps: list[Mapping[str, object]]) -> None:
        self.maps = maps

    def __contains__(self, key: object) -> bool:
        return any(key in m for m in self.maps)


MAX_OFFSET = 10_000_000
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: object) -> object:
    # Only YYYY-MM-DD: pydantic alone would read `date_to=0` as a Unix time (1970-01-01).
    if value is not None and not (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        raise ValueError("a date must be written YYYY-MM-DD")
    return value


@router.get(
    "/matches",
    response_model=MatchPage,
    summary="List matches (no probabilities)",
    responses={
        422: {"description": "Malformed filter or pagination."},
        503: {"model": ErrorDetail, "description": "The match catalog is not loaded yet."},
    },
)
async def list_matches(
    runtime: RuntimeDep,
    league: Annotated[
        str | None, Query(pattern=r"^[A-Za-z0-9]{1,12}$", description="League code, e.g. E0.")
    ] = None,
    match_status: Annotated[
        Literal["scheduled", "finished"] | None, Query(alias="status", description="Match status.")
    ] = None,
    date_from: Annotated[
        dt.date | None,
        BeforeValidator(_iso_date),
        Query(description="First match date (inclusive), YYYY-MM-DD."),
    ] = None,
    date_to: Annotated[
        dt.date | None,
        BeforeValidator(_iso_date),
        Query(
            description="Last match date (inclusive), YYYY-MM-DD; before date_from matches nothing."
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Matches to skip.")] = 0,
) -> Response:
    """List matches sorted by kick-off, filtered by league, status and date range.

    Each item says whether a forecast exists and where; ``total`` counts every match that
    passes the filters, so a client can page with ``limit`` and ``offset``.
    """
    state = runtime.holder.state
    catalog = state.catalog
    if catalog is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "the match catalog is not loaded yet"
        )
    positions = catalog.select(league, match_status, date_from, date_to)
    predicted = _AnyOf(
        [index.entries for index in (state.predictions, state.finished) if index is not None]
    )
    page = {
        "total": len(positions),
        "limit": limit,
        "offset": offset,
        "items": catalog.summaries(positions[offset : offset + limit], predicted),
    }
    return Response(orjson.dumps(page), media_type="application/json")


@router.get(
    "/leagues",
    response_model=LeagueList,
    summary="League codes present in the match table",
    responses={503: {"model": ErrorDetail, "description": "The match catalog is not loaded yet."}},
)
async def list_leagues(runtime: RuntimeDep) -> Response:
    """List the league codes of the loaded match table (for a client's league filter)."""
    catalog = runtime.holder.state.catalog
    if catalog is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "the match catalog is not loaded yet"
        )
    return Response(
        orjson.dumps({"leagues": sorted(catalog.league_codes)}), media_type="application/json"
    )
