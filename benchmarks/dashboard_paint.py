"""Dashboard benchmark: time until a page of 50 matches and their forecasts is painted.

Starts ``matchcast serve`` (one worker) and opens the matches page in headless Chromium
(Debian's ``/usr/bin/chromium``, via Playwright) ``--runs`` times, each in a fresh browser
context (empty cache). The page fetches ``/model`` and ``/leagues``, then ``/matches``
(50 rows), then one ``GET /predict/{id}`` per row, 8 in flight; when every row is filled
it sets a performance mark, and another after the next frame is painted. Reported: the
time from navigation start to that painted mark, and Chromium's first contentful paint.
Writes ``benchmarks/results/dashboard_paint.json`` and prints a markdown line.

Usage:
    .venv/bin/python benchmarks/dashboard_paint.py [--runs 15] [--data-root /path/with/data]

With ``--data-root`` it serves that project's ``data/`` files (the real pipeline outputs);
otherwise synthetic files with 200 scheduled matches.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import sync_playwright

from matchcast.data.io import write_json, write_parquet

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the synthetic serving files are the tests' fixtures
from tests.fixtures.sample import (  # noqa: E402
    model_evaluation,
    model_metadata,
    synthetic_finished,
    synthetic_matches,
    synthetic_predictions,
)

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
ROWS = 50


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serving_env(root: Path, data_root: Path | None) -> dict[str, str]:
    """MATCHCAST_* paths of the files to serve (synthetic ones are written under root)."""
    if data_root is None:
        matches = synthetic_matches(n_finished=60, n_scheduled=200)
        write_parquet(matches, root / "matches.parquet")
        write_parquet(synthetic_predictions(matches), root / "predictions.parquet")
        write_parquet(synthetic_finished(matches), root / "finished.parquet")
        write_json(model_metadata(), root / "model.json")
        write_json(model_evaluation(), root / "evaluation.json")
        base = {
            "PREDICTIONS_PATH": root / "predictions.parquet",
            "MODEL_METADATA_PATH": root / "model.json",
            "MATCHES_PATH": root / "matches.parquet",
            "FINISHED_PREDICTIONS_PATH": root / "finished.parquet",
            "EVALUATION_PATH": root / "evaluation.json",
        }
    else:
        data = data_root / "data"
        base = {
            "PREDICTIONS_PATH": data / "predictions/predictions.parquet",
            "MODEL_METADATA_PATH": data / "predictions/model.json",
            "MATCHES_PATH": data / "interim/matches.parquet",
            "FINISHED_PREDICTIONS_PATH": data / "predictions/finished.parquet",
            "EVALUATION_PATH": data / "predictions/evaluation.json",
        }
    env = {f"MATCHCAST_{k}": str(v) for k, v in base.items()}
    env["MATCHCAST_DATABASE_URL"] = f"sqlite:///{root / 'store.db'}"
    env["MATCHCAST_LIVE_QUALITY_PATH"] = str(root / "none.json")
    env["MATCHCAST_DRIFT_PATH"] = str(root / "none.json")
    return env


def measure(base: str, url: str, runs: int) -> list[dict[str, float]]:
    """Open ``url`` ``runs`` times, each in a fresh context; return the paint timings (ms)."""
    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            for _ in range(runs + 1):  # the first run warms the server, not measured
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                page.goto(base + url)
                # Polled from here: wait_for_function compiles its expression in the
                # page, which the API's CSP (no 'unsafe-eval') forbids.
                deadline = time.monotonic() + 30
                while not page.evaluate(
                    "performance.getEntriesByName('forecasts-painted-1').length > 0"
                ):
                    if time.monotonic() > deadline:
                        raise TimeoutError("the forecasts were not painted within 30 s")
                    page.wait_for_timeout(20)
                timing = page.evaluate(
                    """() => ({
                        painted: performance.getEntriesByName('forecasts-painted-1')[0].startTime,
                        rendered: performance.getEntriesByName('forecasts-rendered-1')[0].startTime,
                        fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime,
                        rows: document.querySelectorAll('#rows tr').length,
                        bars: document.querySelectorAll('#rows .bar').length,
                    })"""
                )
                context.close()
                out.append(timing)
        finally:
            browser.close()
    return out[1:]


def main() -> None:
    """Run the benchmark and print the result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--data-root", type=Path, default=None)
    parser.add_argument(
        "--url", default="/?from=2026-03-01&to=2026-06-30", help="Page to open (50 rows)."
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        env = {**os.environ, **serving_env(root, args.data_root)}
        port = free_port()
        exe = Path(sys.executable).with_name("matchcast")
        cmd = [str(exe), "serve", "--port", str(port), "--no-local-worker"]
        proc = subprocess.Popen(
            cmd, env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{base}/readyz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.25)
            else:
                raise SystemExit("server did not become ready")
            timings = measure(base, args.url, args.runs)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    rows = {int(t["rows"]) for t in timings}
    bars = {int(t["bars"]) for t in timings}
    painted = sorted(t["painted"] for t in timings)
    fcp = sorted(t["fcp"] for t in timings if t["fcp"] is not None)
    result: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
        "data": str(args.data_root or "synthetic (200 scheduled matches)"),
        "url": args.url,
        "runs": len(timings),
        "rows": sorted(rows),
        "rows_with_forecast": sorted(bars),
        "painted_ms": {
            "median": round(statistics.median(painted), 1),
            "p90": round(painted[int(0.9 * (len(painted) - 1))], 1),
            "max": round(painted[-1], 1),
        },
        "first_contentful_paint_ms": {"median": round(statistics.median(fcp), 1)} if fcp else None,
    }
    results = REPO / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "dashboard_paint.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    if rows != {ROWS}:
        print(f"warning: the page showed {sorted(rows)} rows, not {ROWS}")


if __name__ == "__main__":
    main()
