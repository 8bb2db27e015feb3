"""Memory of a served API under the issue-13 attack, with the default limits.

Starts ``matchcast serve`` (one worker, default limits) over synthetic serving files and,
all at once: eight 100 MB bodies without a key, four with the key, four chunked 100 MB
bodies, four unfinished 256 MB request heads, 64 slow heads and 64 idle connections. The
server's RSS is sampled every 50 ms. Prints one JSON object.

    .venv/bin/python benchmarks/security_probe.py
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.fixtures.sample import write_serving_files  # noqa: E402
from tests.security.conftest import free_port  # noqa: E402
from tests.security.probes import idle, oversized_body, oversized_head, slow_head  # noqa: E402

KEY = "benchmark-key-0123456789"
MB = 1024 * 1024


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="matchcast-probe-"))
    files, _, _ = write_serving_files(folder)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHCAST_")}
    env |= {"MATCHCAST_API_KEY": KEY, "MATCHCAST_DATABASE_URL": f"sqlite:///{folder / 's.db'}"}
    command = [str(REPO / ".venv/bin/matchcast"), "serve", "--port", str(port)]
    command += ["--predictions", str(files.predictions), "--model-metadata", str(files.model)]
    command += ["--matches", str(files.matches), "--no-local-worker"]
    server = subprocess.Popen(
        command, env=env, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        url = f"http://127.0.0.1:{port}"
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        process = psutil.Process(server.pid)
        before = process.memory_info().rss
        peak, stop = before, threading.Event()

        def sample() -> None:
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, process.memory_info().rss)
                time.sleep(0.05)

        probes: list[Callable[[], tuple[Any, Any]]] = (
            [lambda: oversized_body(port, 100 * MB, None) for _ in range(8)]
            + [lambda: oversized_body(port, 100 * MB, KEY) for _ in range(4)]
            + [lambda: oversized_body(port, 100 * MB, KEY, True) for _ in range(4)]
            + [lambda: oversized_head(port, 256 * MB) for _ in range(4)]
            + [lambda: slow_head(port) for _ in range(64)]
            + [lambda: idle(port) for _ in range(64)]
        )
        sampler = threading.Thread(target=sample)
        sampler.start()
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(len(probes)) as pool:
            results = [f.result() for f in [pool.submit(p) for p in probes]]
        seconds = time.monotonic() - started
        stop.set()
        sampler.join()
        statuses = Counter(str(r[0]) for r in results if isinstance(r[0], int))
        print(json.dumps({
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
            "rss_before_mib": round(before / MB),
            "rss_peak_mib": round(peak / MB),
            "statuses": dict(sorted(statuses.items())),
            "seconds": round(seconds, 1),
            "healthy_after": httpx.get(f"{url}/healthz").status_code == 200,
        }))  # fmt: skip
    finally:
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    main()
