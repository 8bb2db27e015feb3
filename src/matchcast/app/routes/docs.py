"""``/docs``: Swagger UI served from the files the ``fastapi-offline`` package ships (no CDN).

FastAPI's own docs page loads Swagger UI from a CDN and starts it with an inline script;
this page loads the bundle from ``/docs-assets/`` and starts it from ``/static/docs-init.js``,
so the Content-Security-Policy needs no external source and no inline script.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

router = APIRouter(tags=["docs"])
ASSETS_PATH = "/docs-assets"


@cache
def _page() -> str:
    return files("matchcast.app").joinpath("static/docs.html").read_text(encoding="utf-8")


@router.get("/docs", response_class=HTMLResponse, include_in_schema=False)
async def docs() -> HTMLResponse:
    """The interactive API documentation."""
    return HTMLResponse(_page(), headers={"Cache-Control": "no-cache"})


def mount_assets(app: FastAPI) -> None:
    """Serve the Swagger UI bundle's files under ``/docs-assets``."""
    # Only its static files are used (Swagger UI 5, which reads OpenAPI 3.1); the page is ours.
    bundle = Path(str(files("fastapi_offline").joinpath("static")))
    app.mount(ASSETS_PATH, StaticFiles(directory=bundle), name="docs-assets")
