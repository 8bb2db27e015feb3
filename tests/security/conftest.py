"""A real ``matchcast serve`` process over synthetic serving files, on a free local port.

Limits are set small so the probes finish in seconds; the port, pid and key are handed
to the tests. The process is stopped (SIGTERM, then SIGKILL) at the end of the module.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from tests.fixtures.sample import write_serving_files

MATCHCAST = Path(sys.executable).with_name("matchcast")
API_KEY = "security-key-0123456789"
HEADER_TIMEOUT_S = 1.5
BODY_TIMEOUT_S = 1.5
MAX_HEADER_BYTES = 16 * 1024
MAX_BODY_BYTES = 64 * 1024


@dataclass(frozen=True)
class Served:
    """A running server: where it listens, its pid and its admin key."""

    url: str
    port: int
    pid: int
    key: str
    log: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def serve_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``matchcast serve`` (one worker, no job worker) with small limits."""
    folder = tmp_path_factory.mktemp("served")
    files, _, _ = write_serving_files(folder)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHCAST_")}
    env.update(
        {
            "MATCHCAST_API_KEY": API_KEY,
            "MATCHCAST_DATABASE_URL": f"sqlite:///{folder / 'store.db'}",
            "MATCHCAST_FINISHED_PREDICTIONS_PATH": str(folder / "finished.parquet"),
            "MATCHCAST_EVALUATION_PATH": str(folder / "evaluation.json"),
            "MATCHCAST_LIVE_QUALITY_PATH": str(folder / "live_quality.json"),
            "MATCHCAST_DRIFT_PATH": str(folder / "drift.json"),
            "MATCHCAST_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S),
            "MATCHCAST_BODY_TIMEOUT_S": str(BODY_TIMEOUT_S),
            "MATCHCAST_MAX_HEADER_BYTES": str(MAX_HEADER_BYTES),
            "MATCHCAST_MAX_BODY_BYTES": str(MAX_BODY_BYTES),
            "MATCHCAST_ACCESS_LOG": "true",
        }
    )
    log = folder / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(MATCHCAST),
                "serve",
                "--port",
                str(port),
                "--predictions",
                str(files.predictions),
                "--model-metadata",
                str(files.model),
                "--matches",
                str(files.matches),
                "--no-local-worker",
            ],
            env=env,
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited: {log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not get ready: {log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield Served(url, port, process.pid, API_KEY, log)
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
