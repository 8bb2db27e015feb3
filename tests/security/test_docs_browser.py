"""/docs renders Swagger UI from the API's own files under its CSP, in headless Chromium."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from typing import Any

import pytest
from tests.security.conftest import Served

pytestmark = [pytest.mark.security, pytest.mark.e2e, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright = pytest.importorskip("playwright.sync_api")
    if CHROMIUM is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium is not installed (CI installs it in .ci/run)")
        pytest.skip("chromium is not installed")
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield instance
        finally:
            instance.close()


def test_docs_render_without_csp_violations_or_outside_requests(
    serve_process: Served, browser: Any
) -> None:
    page = browser.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "request",
        lambda r: None if r.url.startswith(serve_process.url) else outside.append(r.url),
    )
    page.goto(f"{serve_process.url}/docs")
    deadline = time.monotonic() + 30
    while page.evaluate("document.querySelectorAll('.opblock').length") < 10:
        assert time.monotonic() < deadline, f"Swagger UI listed no operations: {errors}"
        page.wait_for_timeout(100)
    assert "/predict/{match_id}" in page.content()
    assert errors == []
    assert outside == []
    page.close()
