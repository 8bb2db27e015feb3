"""Per-client rate limiting: a token bucket per client address (pyrate-limiter).

In-process by default (one bucket per client and worker, the least recently seen clients
forgotten past ``MAX_CLIENTS``); in Redis when ``MATCHCAST_RATE_LIMIT_REDIS_URL`` is set,
so that every API process and replica spends from the same bucket. A refused request
gets 429 with ``Retry-After``. If Redis cannot be reached the request is let through
(logged and counted): the limiter protects the API, it must not take it down.
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict

import orjson
from pyrate_limiter import (
    InMemoryStateStore,
    Rate,
    RedisStateStore,
    StateBucket,
    TokenBucket,
)
from pyrate_limiter.abstracts import Decision
from redis.asyncio import Redis
from starlette.types import ASGIApp, Receive, Scope, Send

from matchcast.app.metrics import Metrics

logger = logging.getLogger(__name__)

MAX_CLIENTS = 100_000
KEY_PREFIX = "matchcast:ratelimit:"
EXEMPT = frozenset({"/healthz", "/readyz", "/metrics"})  # probes and scrapes


class RateLimiter:
    """Token buckets keyed by client: ``per_s`` a second, ``burst`` at once."""

    def __init__(
        self,
        per_s: float,
        burst: int,
        redis_url: str | None = None,
        redis_timeout_s: float = 0.05,
    ) -> None:
        """Build the rate; buckets are made per client on first sight.

        Args:
            per_s: Sustained requests per second per client.
            burst: Bucket size (requests a client may send at once).
            redis_url: Shared buckets in this Redis; None keeps them in the process.
            redis_timeout_s: Socket timeout of a Redis call.
        """
        # pyrate-limiter rates are integers per interval (ms): 200/s = 200 per 1000 ms.
        interval_ms = 1000
        limit = max(1, round(per_s))
        if per_s < 1:
            limit, interval_ms = 1, math.ceil(1000 / per_s)
        self.rates = [Rate(limit, interval_ms, burst=burst)]
        self.algorithm = TokenBucket()
        self.redis = (
            None
            if redis_url is None
            else Redis.from_url(
                redis_url, socket_timeout=redis_timeout_s, socket_connect_timeout=redis_timeout_s
            )
        )
        self._local: OrderedDict[str, StateBucket] = OrderedDict()

    def _bucket(self, client: str) -> StateBucket:
        if self.redis is not None:
            store = RedisStateStore(self.redis, KEY_PREFIX + client)
            return StateBucket(self.rates, self.algorithm, store)
        bucket = self._local.get(client)
        if bucket is None:
            bucket = StateBucket(self.rates, self.algorithm, InMemoryStateStore())
            self._local[client] = bucket
            if len(self._local) > MAX_CLIENTS:
                self._local.popitem(last=False)
        else:
            self._local.move_to_end(client)
        return bucket

    async def retry_after_s(self, client: str) -> int | None:
        """Spend one token of ``client``; None when allowed, else seconds to wait (>= 1)."""
        bucket = self._bucket(client)
        decision = bucket.store.check(self.algorithm, self.rates, bucket.now(), 1)  # type: ignore[no-untyped-call]
        if not isinstance(decision, Decision):  # the Redis store answers an awaitable
            decision = await decision
        if decision.allowed:
            return None
        wait_ms = decision.retry_after_ms or 1000
        return max(1, math.ceil(wait_ms / 1000))

    async def close(self) -> None:
        """Release the Redis connection pool."""
        if self.redis is not None:
            await self.redis.aclose()


class RateLimit:
    """Answer 429 with ``Retry-After`` to a client that spent its bucket."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter, metrics: Metrics) -> None:
        """Wrap ``app``."""
        self.app = app
        self.limiter = limiter
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Spend a token, or refuse."""
        if scope["type"] != "http" or scope["path"] in EXEMPT:
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        try:
            wait_s = await self.limiter.retry_after_s(client)
        except Exception as error:  # Redis down or slow: let the request through
            self.metrics.rate_limit_errors.inc()
            logger.warning("rate limiter unavailable, request let through: %s", error)
            wait_s = None
        if wait_s is None:
            await self.app(scope, receive, send)
            return
        self.metrics.rate_limited.inc()
        body = orjson.dumps({"detail": f"too many requests from this client; retry in {wait_s} s"})
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(wait_s).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
