"""The dashboard in a real headless Chromium against a real ``matchcast serve`` process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from matchcast.app.sample import write_serving_files

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MATCHCAST = Path(sys.executable).with_name("matchcast")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Chromium on this closed network must not try to reach Google's services.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    files, _, _ = write_serving_files(tmp_path)
    port = _free_port()
    env = {
        **os.environ,
        "MATCHCAST_MODEL_METADATA_PATH": str(files.model),
        "MATCHCAST_MATCHES_PATH": str(files.matches),
    }
    cmd = [str(MATCHCAST), "serve", "--port", str(port), "--predictions", str(files.predictions)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        else:
            pytest.fail("server did not become ready")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_dashboard_shows_forecasts_in_a_browser(base_url: str, tmp_path: Path) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    if CHROMIUM is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium is not installed (CI installs it in .ci/run)")
        pytest.skip("chromium is not installed")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(base_url + "/")
            page.wait_for_selector("[data-testid=rows] tr", timeout=30_000)
            rows = page.locator("[data-testid=rows] tr")
            assert rows.count() > 0
            first = rows.nth(0).locator("td.num").all_inner_texts()
            assert len(first) == 3
            assert abs(sum(float(v) for v in first) - 100.0) < 0.2
            assert "matchcast-1x2" in page.locator("[data-testid=model]").inner_text()
            page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
            assert not errors
        finally:
            browser.close()
