"""The archive served over HTTP from 127.0.0.1: download, cache, conditional requests, retries.

A real ``http.server`` serves a copy of a few archive files, exactly as the site's URL
scheme lays them out. Its handler counts requests per path and can fail on purpose.
Only loopback is used, so the test needs no external service.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from matchcast.data.ingest import IngestResult, ingest
from matchcast.data.params import DataParams, SeasonRange
from matchcast.data.sources.fetch import INDEX_NAME, Fetcher, FetchError

FILES = ("mmz4281/2324/E0.csv", "mmz4281/2324/E1.csv", "mmz4281/2425/E0.csv")
FLAKY = "/mmz4281/2324/E1.csv"  # answers 503 to its first request
MISSING = "mmz4281/2425/E1.csv"  # not served: 404


class ArchiveServer(ThreadingHTTPServer):
    """Counts requests per path; optionally fails the first request of some paths, or all."""

    daemon_threads = True

    def __init__(self, root: Path) -> None:
        super().__init__(("127.0.0.1", 0), partial(Handler, directory=str(root)))
        self.lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.conditional: Counter[str] = Counter()
        self.statuses: list[tuple[str, int]] = []
        self.fail_first: set[str] = set()
        self.fail_always = False
        self.forbidden: set[str] = set()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def reset_counts(self) -> None:
        with self.lock:
            self.requests.clear()
            self.conditional.clear()
            self.statuses.clear()


class Handler(SimpleHTTPRequestHandler):
    server: ArchiveServer

    def do_GET(self) -> None:
        path = urlparse(self.path).path
        with self.server.lock:
            self.server.requests[path] += 1
            count = self.server.requests[path]
            if "If-Modified-Since" in self.headers or "If-None-Match" in self.headers:
                self.server.conditional[path] += 1
        if self.server.fail_always or (path in self.server.fail_first and count == 1):
            self.send_error(503, "try again later")
            return
        if path in self.server.forbidden:
            self.send_error(403)
            return
        super().do_GET()

    def send_response(self, code: int, message: str | None = None) -> None:
        with self.server.lock:
            self.server.statuses.append((urlparse(self.path).path, code))
        super().send_response(code, message)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def served(shared_archive: Path, tmp_path: Path) -> Path:
    """A temporary copy of a few real archive files (fresh mtimes, as a live server has)."""
    root = tmp_path / "served"
    for relative in FILES:
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shared_archive / relative, target)
    return root


@pytest.fixture
def server(served: Path) -> Iterator[ArchiveServer]:
    httpd = ArchiveServer(served)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def data_params(base: str) -> DataParams:
    return DataParams(
        football_data=base,
        leagues=["E0", "E1"],
        seasons=SeasonRange(first="2023-24", last="2024-25"),
        as_of=dt.date(2025, 3, 1),  # 2024-25 is the current season: it may still change upstream
    )


def fetcher(cache: Path, retries: int = 3) -> Fetcher:
    return Fetcher(cache, timeout_s=5.0, retries=retries, backoff_s=0.01)


def run(base: str, cache: Path) -> tuple[IngestResult, Fetcher]:
    f = fetcher(cache)
    return ingest(data_params(base), f), f


def test_download_retry_and_missing_file(
    server: ArchiveServer, served: Path, tmp_path: Path
) -> None:
    server.fail_first = {FLAKY}
    remote, f = run(server.base, tmp_path / "cache")
    local = ingest(data_params(str(served)), fetcher(tmp_path / "unused"))

    # the same rows as reading the folder directly
    assert remote.matches.equals(local.matches)
    assert remote.issues.equals(local.issues)
    assert remote.report["files"] == local.report["files"]
    assert len(remote.matches) == 380 + 552 + 380
    assert remote.matches["source_file"].value_counts().to_dict() == {
        "mmz4281/2324/E1.csv": 552,
        "mmz4281/2324/E0.csv": 380,
        "mmz4281/2425/E0.csv": 380,
    }

    # the failing first response was retried
    assert server.requests[FLAKY] == 2
    assert (FLAKY, 503) in server.statuses and (FLAKY, 200) in server.statuses
    assert f.stats.retries >= 1
    assert f.stats.downloaded == 3
    # the hole is recorded, not an error
    assert remote.report["files_missing"] == [MISSING]
    assert f.stats.missing == 1
    assert server.requests["/" + MISSING] == 1
    assert remote.report["fetch"]["downloaded"] == 3

    index = json.loads((tmp_path / "cache" / INDEX_NAME).read_text())
    assert index[f"{server.base}/{MISSING}"]["status"] == 404
    assert (
        index[f"{server.base}/mmz4281/2324/E0.csv"]["bytes"] == (served / FILES[0]).stat().st_size
    )


def test_second_run_downloads_nothing(server: ArchiveServer, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first, _ = run(server.base, cache)
    server.reset_counts()

    second, f = run(server.base, cache)
    assert second.matches.equals(first.matches)
    assert f.stats.downloaded == 0
    # past seasons come from the cache without asking the server at all
    assert f.stats.from_cache == 2
    assert server.requests["/mmz4281/2324/E0.csv"] == 0
    assert server.requests["/mmz4281/2324/E1.csv"] == 0
    # the current season is re-validated: a conditional request answered 304, no body
    assert server.conditional["/mmz4281/2425/E0.csv"] == 1
    assert ("/mmz4281/2425/E0.csv", 304) in server.statuses
    assert f.stats.not_modified == 1
    # ... and a file missing from the current season is asked for again (it may appear)
    assert server.requests["/" + MISSING] == 1
    assert f.stats.missing == 1


def test_without_refresh_the_current_season_is_not_asked_either(
    server: ArchiveServer, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    run(server.base, cache)
    server.reset_counts()
    params = data_params(server.base).model_copy(update={"refresh_current_season": False})
    f = fetcher(cache)
    ingest(params, f)
    assert sum(server.requests.values()) == 0
    assert f.stats.from_cache == 3 and f.stats.missing == 1 and f.stats.downloaded == 0


def test_a_changed_file_upstream_is_downloaded_again(
    server: ArchiveServer, served: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    first, _ = run(server.base, cache)
    current = served / "mmz4281/2425/E0.csv"
    lines = current.read_bytes().splitlines(keepends=True)
    current.write_bytes(b"".join(lines[:-1]))  # the site re-publishes the file with one row less
    later = current.stat().st_mtime + 5
    os.utime(current, (later, later))
    server.reset_counts()
    second, f = run(server.base, cache)
    assert f.stats.downloaded == 1 and f.stats.not_modified == 0
    assert len(second.matches) == len(first.matches) - 1


def test_a_corrupted_cache_file_is_downloaded_again(
    server: ArchiveServer, served: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    first, _ = run(server.base, cache)
    original = (served / "mmz4281/2324/E0.csv").read_bytes()
    cached = [p for p in (cache / "files").iterdir() if p.read_bytes() == original]
    assert len(cached) == 1
    cached[0].write_bytes(original[:1000])  # a truncated copy: checksum mismatch
    server.reset_counts()

    second, f = run(server.base, cache)
    assert server.requests["/mmz4281/2324/E0.csv"] == 1
    assert server.conditional["/mmz4281/2324/E0.csv"] == 0  # a full download, not a 304
    assert f.stats.downloaded == 1
    assert second.matches.equals(first.matches)
    assert cached[0].read_bytes() == original  # the cache is healed


def test_a_server_that_always_fails_raises_after_the_configured_retries(
    server: ArchiveServer, tmp_path: Path
) -> None:
    server.fail_always = True
    f = fetcher(tmp_path / "cache", retries=2)
    with pytest.raises(FetchError, match="503"):
        f.fetch(f"{server.base}/mmz4281/2324/E0.csv")
    assert server.requests["/mmz4281/2324/E0.csv"] == 3  # one attempt + two retries
    assert f.stats.retries == 2
    assert not (tmp_path / "cache" / "files").exists()  # nothing half-written

    with pytest.raises(FetchError):
        ingest(data_params(server.base), fetcher(tmp_path / "cache2", retries=1))


def test_a_client_error_is_not_retried(server: ArchiveServer, tmp_path: Path) -> None:
    server.forbidden = {"/mmz4281/2324/E0.csv"}
    f = fetcher(tmp_path / "cache", retries=3)
    with pytest.raises(FetchError, match="403"):
        f.fetch(f"{server.base}/mmz4281/2324/E0.csv")
    assert server.requests["/mmz4281/2324/E0.csv"] == 1
    assert f.stats.retries == 0


def test_nothing_listening_is_a_fetch_error(tmp_path: Path) -> None:
    probe = ThreadingHTTPServer(("127.0.0.1", 0), SimpleHTTPRequestHandler)
    port = probe.server_address[1]
    probe.server_close()  # the port is now closed: connections are refused
    f = fetcher(tmp_path / "cache", retries=1)
    with pytest.raises(FetchError, match="could not fetch"):
        f.fetch(f"http://127.0.0.1:{port}/mmz4281/2324/E0.csv")
    assert f.stats.retries == 1
