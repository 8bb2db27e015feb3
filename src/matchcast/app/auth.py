"""The admin key: checked before anything of the request is read, two keys during rotation.

:class:`AdminGate` is a pure ASGI middleware in front of ``/admin``: it answers 401 (with
``WWW-Authenticate``) before the route, and so before FastAPI reads and validates a body.
The routes also depend on :func:`require_key` (the same check), which documents the key
as the OpenAPI security scheme ``ApiKeyHeader``.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from typing import Annotated

import orjson
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader
from starlette.types import ASGIApp, Receive, Scope, Send

from matchcast.app.metrics import Metrics
from matchcast.config import MIN_API_KEY_LENGTH

logger = logging.getLogger(__name__)

HEADER = "X-API-Key"
ADMIN_PREFIX = "/admin"
# RFC 9110 asks a 401 to name a challenge; the scheme names the header to send.
CHALLENGE = f'ApiKey header="{HEADER}"'
DISABLED = "admin endpoints are disabled: MATCHCAST_API_KEY is not set"
MISSING = f"missing {HEADER} header"
INVALID = f"invalid {HEADER}"


@dataclass(frozen=True)
class AdminKeys:
    """The accepted keys (the current one and, during rotation, the next one)."""

    keys: tuple[bytes, ...] = ()

    @classmethod
    def of(cls, *keys: str | None) -> AdminKeys:
        """Accept every given key that is set; refuse short ones.

        Raises:
            ValueError: A key shorter than ``MIN_API_KEY_LENGTH`` (an empty one included).
        """
        accepted = []
        for key in keys:
            if key is None:
                continue
            if len(key) < MIN_API_KEY_LENGTH:
                raise ValueError(f"an API key must have at least {MIN_API_KEY_LENGTH} characters")
            accepted.append(key.encode())
        return cls(tuple(accepted))

    def refusal(self, given: str | None) -> str | None:
        """Why ``given`` is refused, or None when it is one of the keys.

        Every key is compared, in constant time, whatever the outcome of the others.
        """
        if not self.keys:
            return DISABLED
        if given is None:
            return MISSING
        candidate = given.encode("utf-8", "surrogateescape")
        matched = False
        for key in self.keys:
            matched |= hmac.compare_digest(key, candidate)
        return None if matched else INVALID


def log_refusal(client: str, method: str, path: str, reason: str) -> None:
    """One warning line per refused authentication (never the key itself)."""
    logger.warning(
        "authentication failed: %s",
        reason,
        extra={"client": client, "method": method, "path": path, "reason": reason},
    )


class AdminGate:
    """Refuse ``/admin`` requests without a valid key before the app reads their body."""

    def __init__(self, app: ASGIApp, keys: AdminKeys, metrics: Metrics) -> None:
        """Wrap ``app``."""
        self.app = app
        self.keys = keys
        self.metrics = metrics
        self.header = HEADER.lower().encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 401 for an ``/admin`` request whose key is missing or wrong."""
        path = scope.get("path", "")
        if scope["type"] != "http" or not (
            path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")
        ):
            await self.app(scope, receive, send)
            return
        given = next((v.decode("latin-1") for k, v in scope["headers"] if k == self.header), None)
        reason = self.keys.refusal(given)
        if reason is None:
            await self.app(scope, receive, send)
            return
        client = scope.get("client") or ("?", 0)
        log_refusal(client[0], scope["method"], path, reason)
        self.metrics.auth_failures.inc()
        body = orjson.dumps({"detail": reason})
        await send(
            {
                "type": "http.response.start",
                "status": status.HTTP_401_UNAUTHORIZED,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", CHALLENGE.encode()),
                    # The body (if any) is never read: close rather than drain it.
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


api_key_header = APIKeyHeader(
    name=HEADER,
    scheme_name="ApiKeyHeader",
    description="MATCHCAST_API_KEY (or MATCHCAST_API_KEY_NEXT during a rotation).",
    auto_error=False,
)


async def require_key(
    request: Request, given: Annotated[str | None, Depends(api_key_header)]
) -> None:
    """Raise 401 unless the request carries an accepted key (see :class:`AdminGate`)."""
    keys: AdminKeys = request.app.state.runtime.config.admin_keys
    reason = keys.refusal(given)
    if reason is not None:
        client = request.client.host if request.client else "?"
        log_refusal(client, request.method, request.url.path, reason)
        request.app.state.runtime.metrics.auth_failures.inc()
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, reason, headers={"WWW-Authenticate": CHALLENGE}
        )


RequireKey = Depends(require_key)
