"""``GET /matches``: discovery of match ids, without probabilities."""

from __future__ import annotations

import datetime as dt
from collections.abc import Container, Mapping
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field
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
    date_from: Annotated[dt.date | None, Query(description="First match date (inclusive).")] = None,
    date_to: Annotated[dt.date | None, Query(description="Last match date (inclusive).")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Matches to skip.")] = 0,
) -> Response:
    """List matches sorted by kick-off, filtered by league, status and date range.

    Each item says whether a forecast exists and where; ``total`` counts every match that
    passes the filters, so a client can page with ``limit`` and ``offset``.
    """
    if date_from is not None and date_to is not None and date_from > date_to:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"date_from {date_from.isoformat()} is after date_to {date_to.isoformat()}",
        )
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
