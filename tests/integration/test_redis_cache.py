"""The optional Redis cache against the real Redis, with the connection cut mid-run.

The app talks to Redis through a TCP proxy owned by the test; closing the proxy is a
Redis outage as the app sees it. Forecasts must keep coming (from memory) with no 5xx,
the errors must be counted in /metrics, the circuit breaker must stop calling Redis,
and the cache must come back when Redis does.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd
import pytest
import redis
from fastapi.testclient import TestClient
from tests.fixtures.sample import write_serving_files

from matchcast.app.cache import KEY_PREFIX
from matchcast.app.main import create_app
from matchcast.app.runtime import Runtime, ServeConfig

pytestmark = pytest.mark.integration


class Proxy:
    """A TCP relay to Redis that can be cut (connections closed, port refused) and restored."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=2)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() thread
            self._listener.close()
            self._listener = None
        with self._lock:
            for s in self._sockets:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self._sockets.clear()


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


@pytest.fixture
def redis_direct(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{KEY_PREFIX}*"):
        client.delete(key)
    yield client
    for key in client.scan_iter(f"{KEY_PREFIX}*"):
        client.delete(key)
    client.close()


@pytest.fixture
def setup(
    tmp_path: Path, redis_url: str, redis_direct: redis.Redis
) -> Iterator[tuple[TestClient, Proxy, pd.DataFrame]]:
    parsed = urlparse(redis_url)
    proxy = Proxy((parsed.hostname or "127.0.0.1", parsed.port or 6379))
    proxy.start()
    files, _, predictions = write_serving_files(tmp_path)
    proxied = f"redis://127.0.0.1:{proxy.port}{parsed.path or '/0'}"
    # The cut refuses connections at once, so a loose timeout costs nothing there; a tight
    # one (the 50 ms default) missed the first write through the relay at load average 12.
    config = ServeConfig(files=files, reload_interval_s=0, redis_url=proxied, redis_timeout_s=0.5)
    with TestClient(create_app(config)) as client:
        yield client, proxy, predictions
    proxy.cut()


def wait_for(condition: object, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def test_read_through_cache_fills_and_hits(
    setup: tuple[TestClient, Proxy, pd.DataFrame], redis_direct: redis.Redis
) -> None:
    client, _, predictions = setup
    match_id = predictions["match_id"].iloc[0]
    first = client.get(f"/predict/{match_id}")
    assert first.status_code == 200
    key = f"{KEY_PREFIX}data-v1:{match_id}"
    assert wait_for(lambda: redis_direct.get(key) is not None)
    stored = redis_direct.get(key)
    assert stored is not None and stored.endswith(first.content)
    second = client.get(f"/predict/{match_id}")
    assert second.content == first.content
    assert second.headers["etag"] == first.headers["etag"]
    text = client.get("/metrics").text
    assert metric(text, 'matchcast_cache_misses_total{cache="redis"}') == 1
    assert metric(text, 'matchcast_cache_hits_total{cache="redis"}') == 1
    assert metric(text, 'matchcast_cache_errors_total{cache="redis"}') == 0


def test_redis_cut_mid_run_serves_from_memory_and_recovers(
    setup: tuple[TestClient, Proxy, pd.DataFrame],
) -> None:
    client, proxy, predictions = setup
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    assert runtime.cache is not None
    runtime.cache.breaker.cooldown_s = 0.5
    ids = list(predictions["match_id"])
    expected = {i: None for i in ids}
    statuses: list[int] = []
    mismatches: list[str] = []
    stop = threading.Event()

    def hammer() -> None:
        n = 0
        while not stop.is_set():
            match_id = ids[n % len(ids)]
            response = client.get(f"/predict/{match_id}")
            statuses.append(response.status_code)
            if response.status_code == 200:
                if expected[match_id] is None:
                    expected[match_id] = response.content
                elif expected[match_id] != response.content:
                    mismatches.append(match_id)
            n += 1

    worker = threading.Thread(target=hammer)
    worker.start()
    try:
        assert wait_for(lambda: len(statuses) > 2 * len(ids))
        proxy.cut()  # Redis gone mid-run
        served_before_cut = len(statuses)
        assert wait_for(lambda: len(statuses) > served_before_cut + 3 * len(ids))
        text = client.get("/metrics").text
        errors_while_down = metric(text, 'matchcast_cache_errors_total{cache="redis"}')
        assert errors_while_down >= 3
        assert metric(text, "matchcast_cache_circuit_open") in (0.0, 1.0)
        # the breaker keeps Redis calls to one trial per cool-down, not one per request
        requests_while_down = len(statuses) - served_before_cut
        assert errors_while_down < requests_while_down / 2
        proxy.start()  # Redis back
        hits_before = metric(text, 'matchcast_cache_hits_total{cache="redis"}')
        assert wait_for(
            lambda: (
                metric(client.get("/metrics").text, 'matchcast_cache_hits_total{cache="redis"}')
                > hits_before + 5
            )
        )
    finally:
        stop.set()
        worker.join()
    assert set(statuses) == {200}
    assert mismatches == []
    text = client.get("/metrics").text
    assert metric(text, "matchcast_cache_circuit_open") == 0
    assert 'status="5' not in text


def test_redis_down_from_the_start_never_fails_a_request(tmp_path: Path) -> None:
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    port = dead.getsockname()[1]
    dead.close()  # nothing listens there
    files, _, predictions = write_serving_files(tmp_path)
    config = ServeConfig(files=files, reload_interval_s=0, redis_url=f"redis://127.0.0.1:{port}/0")
    with TestClient(create_app(config)) as client:
        codes = {client.get(f"/predict/{m}").status_code for m in predictions["match_id"]}
        text = client.get("/metrics").text
    assert codes == {200}
    assert metric(text, 'matchcast_cache_errors_total{cache="redis"}') >= 3
    assert metric(text, "matchcast_cache_circuit_open") == 1
