"""Fetch source files from a URL or a local folder, with a checksummed on-disk cache.

The cache lives in a folder (``data/raw/`` in the pipeline) keyed by URL. A file is
downloaded once; files that can still change upstream (the current season) are
re-validated with a conditional GET, so an unchanged file costs one 304 and no body.
Missing files (404) are remembered too, so a re-run asks for nothing it already knows.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from threading import Lock
from typing import Any
from urllib.parse import urlparse

import httpx
from tenacity import (
    retry,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from matchcast.data.io import atomic_write_bytes

logger = logging.getLogger(__name__)

INDEX_NAME = "index.json"


class FetchError(RuntimeError):
    """A source could not be fetched after every retry."""


@dataclass
class FetchStats:
    """What one fetcher did: how many files came from where."""

    downloaded: int = 0
    not_modified: int = 0
    from_cache: int = 0
    local: int = 0
    missing: int = 0
    retries: int = 0
    missing_urls: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return the counters as a JSON-ready dict."""
        return {
            "downloaded": self.downloaded,
            "not_modified": self.not_modified,
            "from_cache": self.from_cache,
            "local": self.local,
            "missing": self.missing,
            "retries": self.retries,
        }


def is_remote(base: str) -> bool:
    """Tell whether a source base is an HTTP(S) URL rather than a local folder."""
    return urlparse(base).scheme in {"http", "https"}


def join(base: str, relative: str) -> str:
    """Join a source base (URL or folder) and a relative path such as ``mmz4281/2425/E0.csv``."""
    if is_remote(base):
        return base.rstrip("/") + "/" + relative.lstrip("/")
    local = base[len("file://") :] if base.startswith("file://") else base
    return str(Path(local) / relative)


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, httpx.TransportError):
        return True
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code in {408, 425, 429} or exc.response.status_code >= 500
    return False


class Fetcher:
    """Reads files from a local folder or over HTTP through a URL-keyed cache.

    Args:
        cache_dir: Folder of the cache (created on first download).
        timeout_s: Connect/read timeout of one HTTP request.
        retries: Extra attempts after a failed request (exponential backoff).
        backoff_s: First backoff delay; doubles on each retry.
        client: Optional httpx client (tests pass one bound to a local server).
    """

    def __init__(
        self,
        cache_dir: Path,
        timeout_s: float = 30.0,
        retries: int = 4,
        backoff_s: float = 0.5,
        client: httpx.Client | None = None,
    ) -> None:
        self.cache_dir = cache_dir
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        self._client = client
        self._lock = Lock()
        self.stats = FetchStats()
        self._index: dict[str, dict[str, Any]] = self._load_index()

    # -- cache index -------------------------------------------------------------------------
    def _load_index(self) -> dict[str, dict[str, Any]]:
        path = self.cache_dir / INDEX_NAME
        if not path.exists():
            return {}
        try:
            loaded: dict[str, dict[str, Any]] = json.loads(path.read_text())
            return loaded
        except (OSError, ValueError):
            logger.warning("cache index %s unreadable; starting a fresh one", path)
            return {}

    def save_index(self) -> None:
        """Persist the cache index atomically (call once after a batch of fetches)."""
        if not self._index:
            return
        with self._lock:
            payload = json.dumps(self._index, indent=1, sort_keys=True).encode()
        atomic_write_bytes(self.cache_dir / INDEX_NAME, payload)

    def _cache_path(self, url: str) -> Path:
        digest = hashlib.sha256(url.encode()).hexdigest()[:20]
        name = Path(urlparse(url).path).name or "index"
        return self.cache_dir / "files" / f"{digest}-{name}"

    def _cached_bytes(self, url: str) -> bytes | None:
        entry = self._index.get(url)
        if not entry or entry.get("status") != 200:
            return None
        path = self._cache_path(url)
        if not path.exists():
            return None
        payload = path.read_bytes()
        if hashlib.sha256(payload).hexdigest() != entry.get("sha256"):
            logger.warning("cache checksum mismatch for %s; downloading again", url)
            return None
        return payload

    # -- fetching ------------------------------------------------------------------------------
    def fetch(self, location: str, revalidate: bool = False) -> bytes | None:
        """Return the bytes at ``location`` (URL or local path), or None when it does not exist.

        Args:
            location: An http(s) URL or a local file path.
            revalidate: For URLs already cached, ask the server whether the file changed.

        Raises:
            FetchError: The server kept failing after every retry.
        """
        if not is_remote(location):
            path = Path(location)
            if not path.is_file():
                with self._lock:
                    self.stats.missing += 1
                    self.stats.missing_urls.append(location)
                return None
            with self._lock:
                self.stats.local += 1
            return path.read_bytes()
        return self._fetch_remote(location, revalidate)

    def _fetch_remote(self, url: str, revalidate: bool) -> bytes | None:
        entry = self._index.get(url)
        cached = self._cached_bytes(url)
        if entry and not revalidate:
            if entry.get("status") == 404:
                with self._lock:
                    self.stats.missing += 1
                    self.stats.missing_urls.append(url)
                return None
            if cached is not None:
                with self._lock:
                    self.stats.from_cache += 1
                return cached
        headers: dict[str, str] = {}
        if cached is not None and entry is not None:
            if entry.get("etag"):
                headers["If-None-Match"] = str(entry["etag"])
            if entry.get("last_modified"):
                headers["If-Modified-Since"] = str(entry["last_modified"])
        response = self._get_with_retries(url, headers)
        now = datetime.now(UTC).isoformat()
        if response.status_code == 304 and cached is not None:
            with self._lock:
                self.stats.not_modified += 1
                self._index[url] = {**(entry or {}), "checked_at": now}
            return cached
        if response.status_code == 404:
            with self._lock:
                self.stats.missing += 1
                self.stats.missing_urls.append(url)
                self._index[url] = {"status": 404, "checked_at": now}
            return None
        payload = response.content
        atomic_write_bytes(self._cache_path(url), payload)
        with self._lock:
            self.stats.downloaded += 1
            self._index[url] = {
                "status": 200,
                "sha256": hashlib.sha256(payload).hexdigest(),
                "bytes": len(payload),
                "etag": response.headers.get("ETag"),
                "last_modified": response.headers.get("Last-Modified"),
                "fetched_at": now,
                "checked_at": now,
            }
        return payload

    def _get_with_retries(self, url: str, headers: dict[str, str]) -> httpx.Response:
        def _count_retry(_: object) -> None:
            with self._lock:
                self.stats.retries += 1

        @retry(
            retry=retry_if_exception(_retryable),
            stop=stop_after_attempt(self.retries + 1),
            wait=wait_exponential(multiplier=self.backoff_s, max=30),
            before_sleep=_count_retry,
            reraise=True,
        )
        def _get() -> httpx.Response:
            client = self._client or httpx.Client(timeout=self.timeout_s, follow_redirects=True)
            try:
                response = client.get(url, headers=headers, timeout=self.timeout_s)
                if response.status_code not in (200, 304, 404):
                    response.raise_for_status()
                    raise httpx.HTTPStatusError(
                        f"unexpected status {response.status_code}",
                        request=response.request,
                        response=response,
                    )
                return response
            finally:
                if self._client is None:
                    client.close()

        try:
            return _get()
        except (httpx.HTTPError, OSError) as exc:
            raise FetchError(f"could not fetch {url}: {exc}") from exc
