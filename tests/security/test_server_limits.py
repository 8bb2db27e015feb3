"""Limits of the served API, probed on a real server process over raw sockets.

Each probe would hold the connection or grow the server's memory on the code before the
fix (httptools buffered any head, no read timeouts, bodies read before the key check).
"""

from __future__ import annotations

import concurrent.futures
import threading
import time

import httpx
import psutil
import pytest
from tests.security.conftest import (
    BODY_TIMEOUT_S,
    HEADER_TIMEOUT_S,
    MAX_BODY_BYTES,
    Served,
)
from tests.security.probes import (
    idle,
    oversized_body,
    oversized_head,
    slow_body,
    slow_head,
)

pytestmark = [pytest.mark.security, pytest.mark.e2e, pytest.mark.slow]

GIB = 1024**3


def test_an_oversized_head_gets_431_and_is_not_read(serve_process: Served) -> None:
    status, sent = oversized_head(serve_process.port, 64 * 1024 * 1024)
    assert status == 431
    assert sent < 64 * 1024 * 1024  # the server closed long before the 64 MB were sent


def test_a_slow_head_gets_408(serve_process: Served) -> None:
    status, waited = slow_head(serve_process.port)
    assert status == 408
    assert waited >= HEADER_TIMEOUT_S * 0.9


def test_a_connection_that_sends_nothing_is_closed(serve_process: Served) -> None:
    answer, waited = idle(serve_process.port)
    assert answer == b""
    assert waited < HEADER_TIMEOUT_S + 10  # closed by the server, not the client's timeout


def test_a_slow_body_gets_408(serve_process: Served) -> None:
    status, waited = slow_body(serve_process.port, serve_process.key)
    assert status == 408
    assert waited >= BODY_TIMEOUT_S * 0.9


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_an_oversized_body_gets_413(serve_process: Served, chunked: bool) -> None:
    status, _ = oversized_body(serve_process.port, 8 * MAX_BODY_BYTES, serve_process.key, chunked)
    assert status == 413


def test_a_body_without_the_key_is_refused_before_it_is_read(serve_process: Served) -> None:
    status, sent = oversized_body(serve_process.port, 64 * 1024 * 1024, key=None)
    assert status == 401
    assert sent < 64 * 1024 * 1024


def test_no_server_header_and_security_headers_on_the_wire(serve_process: Served) -> None:
    answer = httpx.get(f"{serve_process.url}/healthz")
    assert "server" not in answer.headers
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_a_bounded_attack_keeps_the_server_under_1_gb(serve_process: Served) -> None:
    """Many oversized heads and bodies (with and without key), slow and idle connections
    at once; the server's RSS is sampled throughout and it still answers afterwards."""
    server = psutil.Process(serve_process.pid)
    peak = server.memory_info().rss
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, server.memory_info().rss)
            time.sleep(0.05)

    port, key, mb = serve_process.port, serve_process.key, 1024 * 1024
    probes = (
        [lambda: oversized_body(port, 100 * mb, None) for _ in range(8)]
        + [lambda: oversized_body(port, 100 * mb, key) for _ in range(4)]
        + [lambda: oversized_body(port, 32 * mb, key, True) for _ in range(4)]
        + [lambda: oversized_head(port, 256 * mb) for _ in range(4)]
        + [lambda: slow_head(port) for _ in range(16)]
        + [lambda: idle(port) for _ in range(16)]
    )
    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        with concurrent.futures.ThreadPoolExecutor(len(probes)) as pool:
            results = [f.result() for f in [pool.submit(p) for p in probes]]
    finally:
        stop.set()
        sampler.join()
    statuses = [r[0] for r in results]
    assert statuses[:8] == [401] * 8
    assert statuses[8:16] == [413] * 8
    assert statuses[16:20] == [431] * 4
    assert statuses[20:36] == [408] * 16
    assert peak < GIB, f"server RSS peaked at {peak / 1024**2:.0f} MiB"
    assert httpx.get(f"{serve_process.url}/healthz").status_code == 200
    print(f"server RSS peak under the probe: {peak / 1024**2:.0f} MiB")  # noqa: T201
