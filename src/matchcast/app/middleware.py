"""Pure ASGI middleware of the serving posture: headers, methods, body size, access log.

Each one does one thing on the raw ASGI messages (no request objects on the hot path);
values that do not depend on the request are computed once, at start-up.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterable, Sequence

import orjson
from asgi_correlation_id import correlation_id
from secure import (
    ContentSecurityPolicy,
    CrossOriginOpenerPolicy,
    ReferrerPolicy,
    Secure,
    XContentTypeOptions,
    XFrameOptions,
)
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_logger = logging.getLogger("matchcast.access")

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
DOCS_PATHS = ("/docs", "/docs-assets/")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
PROBED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
Headers = list[tuple[bytes, bytes]]


def valid_request_id(value: str) -> bool:
    """An incoming ``X-Request-ID`` is kept when it is 1-128 of ``[A-Za-z0-9._:-]``."""
    return _REQUEST_ID.fullmatch(value) is not None


def new_request_id() -> str:
    """A fresh request id (32 hex characters)."""
    return uuid.uuid4().hex


def _policy(style_src: Sequence[str]) -> Headers:
    csp = (
        ContentSecurityPolicy()
        .default_src("'self'")
        .script_src("'self'")
        .style_src(*style_src)
        .img_src("'self'", "data:")
        .connect_src("'self'")
        .object_src("'none'")
        .base_uri("'none'")
        .form_action("'self'")
        .frame_ancestors("'none'")
    )
    built = Secure(
        csp=csp,
        xcto=XContentTypeOptions(),
        xfo=XFrameOptions().deny(),
        referrer=ReferrerPolicy().no_referrer(),
        coop=CrossOriginOpenerPolicy().same_origin(),
    )
    return [(name.lower().encode(), value.encode()) for name, value in built.headers.items()]


class SecurityHeaders:
    """Add the security headers to every answer.

    One policy everywhere (no inline script or style: the dashboard has none), except
    the interactive docs, whose Swagger UI sets inline styles.
    """

    def __init__(self, app: ASGIApp) -> None:
        """Wrap ``app``; the header values are built once."""
        self.app = app
        self.strict = _policy(["'self'"])
        self.docs = _policy(["'self'", "'unsafe-inline'"])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Append the headers to the response start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.docs if scope["path"].startswith(DOCS_PATHS) else self.strict

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def allowed_methods(routes: Iterable[BaseRoute], scope: Scope) -> list[str]:
    """Every method some route accepts on the request's path (HEAD with GET, OPTIONS).

    Each candidate method is tried with the routes' own ``matches`` (FastAPI nests the
    routes of included routers, so their method sets are not listed in one place).
    """
    methods = {
        method
        for method in PROBED_METHODS
        if any(route.matches({**scope, "method": method})[0] is Match.FULL for route in routes)
    }
    if not methods:
        return []
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods | {"OPTIONS"})


class Methods:
    """HEAD on every GET route, OPTIONS answered with ``Allow``, a true ``Allow`` on 405.

    HEAD runs the GET route and drops the body (the headers, length included, are the
    GET's). ``Allow`` lists the methods of every route on the path: several routes may
    share one (``/admin/jobs/{job}`` is GET and POST).
    """

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        """Wrap ``app``; ``routes`` are the application's."""
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Route HEAD as GET, answer OPTIONS, fix ``Allow`` on 405."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method == "OPTIONS":
            allow = allowed_methods(self.routes, scope)
            if allow:
                await _respond(send, 204, b"", [(b"allow", ", ".join(allow).encode())])
                return
        head = method == "HEAD"
        inner = {**scope, "method": "GET"} if head else scope

        async def send_fixed(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                allow = ", ".join(allowed_methods(self.routes, scope)).encode()
                message["headers"] = [
                    *(h for h in message.get("headers", ()) if h[0].lower() != b"allow"),
                    (b"allow", allow),
                ]
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app(inner, receive, send_fixed)


class BodyLimit:
    """Refuse a request body larger than ``max_bytes`` with 413, before or while reading.

    A declared ``Content-Length`` over the limit is refused before any byte of the body is
    read; a chunked body is counted as it arrives.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        """Wrap ``app``."""
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then count what is received."""
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            detail = f"request body larger than {self.max_bytes} bytes"
            if not declared.isdigit():
                detail = "malformed Content-Length"
            code = 413 if declared.isdigit() else 400
            body = orjson.dumps({"detail": detail})
            # `connection: close`: the server then stops reading the rest of the body.
            headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
            await _respond(send, code, body, headers)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise HTTPException(413, f"request body larger than {self.max_bytes} bytes")
            return message

        await self.app(scope, counted, send)


class AccessLog:
    """One ``matchcast.access`` log record per request: method, path, status, latency, id."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap ``app``."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Time the request and log it when it is answered."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_noted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noted)
        finally:
            client = scope.get("client") or ("", 0)
            access_logger.info(
                "%s %s %d",
                scope["method"],
                scope["path"],
                status,
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "latency_ms": round((time.perf_counter() - start) * 1000, 3),
                    "client": client[0],
                    "request_id": correlation_id.get(),
                },
            )


async def _respond(send: Send, status: int, body: bytes, headers: Headers) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
