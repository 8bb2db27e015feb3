"""The dashboard: one static page that reads the public API (no CDN, no server-side work)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(tags=["dashboard"])


@cache
def _page() -> str:
    return files("matchcast.app").joinpath("static/index.html").read_text(encoding="utf-8")


@router.get("/", response_class=HTMLResponse, summary="Dashboard of upcoming forecasts")
async def dashboard() -> HTMLResponse:
    """Serve the dashboard page; it lists scheduled matches and their forecasts."""
    return HTMLResponse(_page(), headers={"Cache-Control": "no-cache"})
