"""The dashboard: static files that read the public API (no CDN, no server-side work).

``/`` serves the page; ``/static/{name}`` its stylesheet and script. The page has two
views, selected by the URL fragment: ``/#matches`` (default) and ``/#model``.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import HTMLResponse, Response

router = APIRouter(tags=["dashboard"])

ASSETS = {
    "dashboard.css": "text/css; charset=utf-8",
    "dashboard.js": "text/javascript; charset=utf-8",
    "docs-init.js": "text/javascript; charset=utf-8",  # starts Swagger UI on /docs
}
NO_CACHE = {"Cache-Control": "no-cache"}


@cache
def _read(name: str) -> str:
    return files("matchcast.app").joinpath(f"static/{name}").read_text(encoding="utf-8")


@router.get("/", response_class=HTMLResponse, summary="Dashboard: matches, forecasts, model")
async def dashboard() -> HTMLResponse:
    """Serve the dashboard page (matches and their forecasts; the model's quality)."""
    return HTMLResponse(_read("index.html"), headers=NO_CACHE)


@router.get(
    "/static/{name}",
    response_class=Response,
    summary="The dashboard's stylesheet and script",
    include_in_schema=False,
)
async def asset(name: str) -> Response:
    """Serve one of the dashboard's own files; anything else is 404."""
    media_type = ASSETS.get(name)
    if media_type is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no dashboard asset {name!r}")
    return Response(_read(name), media_type=media_type, headers=NO_CACHE)
