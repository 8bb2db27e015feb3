"""``matchcast serve`` without a broker starts a local job worker beside the API.

A real uvicorn process and its child worker: a job submitted over HTTP is claimed and run
by the child (here in a folder that is not a DVC project, so it fails at once with a
permanent error: quick, and proof that the worker, not the API, ran it), and stopping
the server stops the worker.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MATCHCAST = Path(sys.executable).with_name("matchcast")
HEADERS = {"X-API-Key": "k-0123456789abcdef"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_runs_jobs_in_a_child_worker_and_stops_it(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHCAST_")}
    env.update(
        {
            "MATCHCAST_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
            "MATCHCAST_PROJECT_DIR": str(tmp_path / "not-a-project"),
            "MATCHCAST_API_KEY": HEADERS["X-API-Key"],
            "MATCHCAST_PREDICTIONS_PATH": str(tmp_path / "none.parquet"),
            "MATCHCAST_LOCAL_WORKER_POLL_S": "0.2",
        }
    )
    server = subprocess.Popen(
        [str(MATCHCAST), "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.25)
        children = psutil.Process(server.pid).children()
        workers = [c for c in children if "worker" in c.cmdline()]
        assert len(workers) == 1

        submitted = httpx.post(f"{base}/admin/jobs/refresh_data", headers=HEADERS)
        assert submitted.status_code == 202
        url = base + submitted.headers["location"]
        deadline = time.monotonic() + 60
        while (body := httpx.get(url, headers=HEADERS).json())["state"] != "failed":
            assert time.monotonic() < deadline, body
            time.sleep(0.2)
        assert body["attempts"] == 1
        assert "is not a matchcast DVC project: no dvc.yaml" in body["error"]
    finally:
        server.terminate()
        server.wait(timeout=60)
    workers[0].wait(timeout=30)  # the worker stopped with the server
    assert not workers[0].is_running()
