"""Fetching from local folders and URL handling.

HTTP, the cache and retries are tested against a real server in
``tests/integration/test_http_source.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matchcast.data.sources.fetch import INDEX_NAME, Fetcher, is_remote, join


@pytest.mark.parametrize(
    ("base", "remote"),
    [
        ("https://www.football-data.co.uk", True),
        ("http://127.0.0.1:8000", True),
        ("/srv/football-data", False),
        ("file:///srv/football-data", False),
        ("relative/folder", False),
    ],
)
def test_is_remote(base: str, remote: bool) -> None:
    assert is_remote(base) is remote


def test_join_urls_and_folders() -> None:
    assert join("https://x.org/", "/mmz4281/2425/E0.csv") == "https://x.org/mmz4281/2425/E0.csv"
    assert join("https://x.org", "mmz4281/2425/E0.csv") == "https://x.org/mmz4281/2425/E0.csv"
    assert join("/srv/fd", "mmz4281/2425/E0.csv") == "/srv/fd/mmz4281/2425/E0.csv"
    assert join("file:///srv/fd", "mmz4281/2425/E0.csv") == "/srv/fd/mmz4281/2425/E0.csv"


def test_local_file_is_read_as_bytes_and_counted(tmp_path: Path) -> None:
    source = tmp_path / "E0.csv"
    source.write_bytes(b"\xef\xbb\xbfDiv\r\nE0\r\n")
    fetcher = Fetcher(tmp_path / "cache")
    assert fetcher.fetch(str(source)) == b"\xef\xbb\xbfDiv\r\nE0\r\n"  # byte-for-byte
    assert fetcher.stats.local == 1
    assert fetcher.stats.downloaded == 0
    fetcher.save_index()
    assert not (tmp_path / "cache").exists()  # local reads need no cache


def test_missing_local_file_is_none_and_recorded(tmp_path: Path) -> None:
    fetcher = Fetcher(tmp_path / "cache")
    missing = str(tmp_path / "mmz4281" / "1415" / "SC1.csv")
    assert fetcher.fetch(missing) is None
    assert fetcher.stats.missing == 1
    assert fetcher.stats.missing_urls == [missing]
    assert fetcher.stats.as_dict()["missing"] == 1


def test_a_folder_is_not_a_file(tmp_path: Path) -> None:
    assert Fetcher(tmp_path / "cache").fetch(str(tmp_path)) is None


def test_unreadable_cache_index_starts_fresh(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / INDEX_NAME).write_text("{not json")
    fetcher = Fetcher(cache)
    assert fetcher.stats.as_dict() == {
        "downloaded": 0,
        "not_modified": 0,
        "from_cache": 0,
        "local": 0,
        "missing": 0,
        "retries": 0,
    }


def test_cache_index_round_trips(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    entry = {
        "https://example.invalid/a.csv": {"status": 404, "checked_at": "2026-01-01T00:00:00+00:00"}
    }
    (cache / INDEX_NAME).write_text(json.dumps(entry))
    fetcher = Fetcher(cache)
    # a remembered 404 answers without any request (the host does not exist)
    assert fetcher.fetch("https://example.invalid/a.csv") is None
    assert fetcher.stats.missing == 1
    fetcher.save_index()
    assert json.loads((cache / INDEX_NAME).read_text()) == entry
