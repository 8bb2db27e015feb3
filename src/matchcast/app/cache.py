"""Optional shared cache in Redis, behind a circuit breaker.

The in-memory index is authoritative: Redis is a read-through cache of the serialised
records, keyed by data version and match id, shared by every worker and instance. Any
Redis failure is counted and the request is served from memory. After a few consecutive
failures the breaker opens and Redis is skipped for a cool-down, so a dead Redis adds no
latency; then one trial call decides whether to close it again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Literal

import redis.asyncio as aioredis
from redis.backoff import NoBackoff
from redis.retry import Retry

from matchcast.app.metrics import Metrics

logger = logging.getLogger(__name__)

CACHE_LABEL = "redis"
KEY_PREFIX = "matchcast:prediction:"
SEPARATOR = b"\n"

Lookup = tuple[str, bytes] | Literal["miss", "unavailable"]


class CircuitBreaker:
    """Counts consecutive failures; open for ``cooldown_s`` after ``threshold`` of them."""

    def __init__(self, threshold: int = 3, cooldown_s: float = 5.0) -> None:
        """Create a closed breaker."""
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self.failures = 0
        self.open_until = 0.0

    def allows(self) -> bool:
        """True when a call may be tried (closed, or half-open after the cool-down)."""
        return self.failures < self.threshold or time.monotonic() >= self.open_until

    @property
    def is_open(self) -> bool:
        """True while calls are being skipped."""
        return not self.allows()

    def success(self) -> None:
        """Close the breaker."""
        self.failures = 0

    def failure(self) -> None:
        """Note a failure; open the breaker when the threshold is reached."""
        self.failures += 1
        if self.failures >= self.threshold:
            self.open_until = time.monotonic() + self.cooldown_s


class RedisCache:
    """Read-through cache of ``(etag, body)`` pairs with short timeouts."""

    def __init__(
        self,
        url: str,
        timeout_s: float,
        metrics: Metrics,
        ttl_s: int = 3600,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        """Configure the client; nothing connects until the first call.

        Args:
            url: Redis URL (``MATCHCAST_REDIS_URL``).
            timeout_s: Connect and socket timeout of each call.
            metrics: Where hits, misses and errors are counted.
            ttl_s: Expiry of cached records.
            breaker: The circuit breaker (a default one when omitted).
        """
        self.timeout_s = timeout_s
        self.ttl_s = ttl_s
        self.metrics = metrics
        self.breaker = breaker or CircuitBreaker()
        self.client = aioredis.Redis.from_url(
            url,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            retry=Retry(NoBackoff(), 0),
            retry_on_timeout=False,
            health_check_interval=0,
        )
        self._pending: set[asyncio.Task[None]] = set()

    @staticmethod
    def key(data_version: str, match_id: str) -> str:
        """Cache key of one record of one predictions version."""
        return f"{KEY_PREFIX}{data_version}:{match_id}"

    def _failed(self, exc: BaseException) -> None:
        self.metrics.cache_errors.labels(CACHE_LABEL).inc()
        self.breaker.failure()
        self.metrics.cache_circuit_open.set(1 if self.breaker.is_open else 0)
        logger.debug("redis call failed: %r", exc)

    def _succeeded(self) -> None:
        if self.breaker.failures:
            self.breaker.success()
            self.metrics.cache_circuit_open.set(0)

    async def get(self, key: str) -> Lookup:
        """Return the cached ``(etag, body)``, ``"miss"``, or ``"unavailable"``.

        ``"unavailable"`` covers a Redis error and an open circuit breaker.
        """
        if not self.breaker.allows():
            return "unavailable"
        try:
            raw = await asyncio.wait_for(self.client.get(key), self.timeout_s * 2)
        except Exception as exc:  # any Redis trouble: serve from memory
            self._failed(exc)
            return "unavailable"
        self._succeeded()
        if raw is None:
            self.metrics.cache_misses.labels(CACHE_LABEL).inc()
            return "miss"
        etag, _, body = (raw if isinstance(raw, bytes) else raw.encode()).partition(SEPARATOR)
        self.metrics.cache_hits.labels(CACHE_LABEL).inc()
        return etag.decode(), body

    def put_later(self, key: str, etag: str, body: bytes) -> None:
        """Store a record in the background (the response does not wait for Redis)."""
        if not self.breaker.allows():
            return
        task = asyncio.get_running_loop().create_task(
            self._put(key, etag.encode() + SEPARATOR + body)
        )
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _put(self, key: str, value: bytes) -> None:
        try:
            await asyncio.wait_for(self.client.set(key, value, ex=self.ttl_s), self.timeout_s * 2)
        except Exception as exc:  # any Redis trouble: the cache is optional
            self._failed(exc)
        else:
            self._succeeded()

    async def close(self) -> None:
        """Wait for pending writes (briefly) and close the connections."""
        if self._pending:
            await asyncio.wait(self._pending, timeout=self.timeout_s * 4)
        try:
            await self.client.aclose()
        except Exception:  # closing a dead connection may raise; nothing to do
            logger.debug("redis close failed", exc_info=True)
