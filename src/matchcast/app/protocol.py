"""uvicorn's httptools protocol with the limits uvicorn has no setting for.

uvicorn bounds idle keep-alive connections (``timeout_keep_alive``) and concurrent
connections (``limit_concurrency``), and with h11 the size of an unfinished request head
(``h11_max_incomplete_event_size``, answered with a 400). With httptools (the fast parser,
used by default) nothing bounds the request head, and nothing bounds the time a client
takes to send it or its body: a connection that never sends a byte stays open, and
half-sent requests hold memory. This subclass adds, per connection:

- head size: request line plus headers over ``max_header_bytes`` -> 431, connection closed;
- head time: the head not complete ``header_timeout_s`` after the connection opened or the
  request began -> 408 (a connection that sent nothing is just closed);
- body time: the body not complete ``body_timeout_s`` after the head -> 408.

The limits are read from the ``MATCHCAST_*`` settings (uvicorn builds the protocol from
a class path, in every worker process).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from matchcast.config import get_settings

logger = logging.getLogger(__name__)

PROTOCOL_PATH = "matchcast.app.protocol:GuardedHttpToolsProtocol"
_REASONS = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}


@dataclass(frozen=True)
class ConnectionLimits:
    """Per-connection limits of :class:`GuardedHttpToolsProtocol`."""

    max_header_bytes: int = 16 * 1024
    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0


@cache
def limits_from_settings() -> ConnectionLimits:
    """The limits from the ``MATCHCAST_*`` settings (header bytes, head and body timeouts)."""
    settings = get_settings()
    return ConnectionLimits(
        settings.max_header_bytes, settings.header_timeout_s, settings.body_timeout_s
    )


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """:class:`HttpToolsProtocol` plus head size and head/body read time limits."""

    limits: ConnectionLimits | None = None  # None: from the settings

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        """Set up uvicorn's protocol, then this connection's guards."""
        super().__init__(config, server_state, app_state, _loop)
        self.guard = self.limits or limits_from_settings()
        self._in_head = True
        self._head_bytes = 0
        self._received_any = False
        self._timer: asyncio.TimerHandle | None = None

    # -- timers -------------------------------------------------------------------------
    def _arm(self, seconds: float, callback: Any) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, callback)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _head_timed_out(self) -> None:
        self._timer = None
        if self.transport.is_closing() or not self._in_head:
            return
        if self._received_any:
            self._refuse(408, "request head not received in time")
        else:
            self.transport.close()  # never sent a byte: nothing to answer

    def _body_timed_out(self) -> None:
        self._timer = None
        cycle = self.cycle
        if self.transport.is_closing() or cycle is None or not cycle.more_body:
            return
        cycle.disconnected = True  # the app's receive() now gets http.disconnect
        cycle.message_event.set()
        if cycle.response_started:
            self.transport.close()
        else:
            self._refuse(408, "request body not received in time")

    def _refuse(self, status: int, detail: str) -> None:
        logger.warning("%s: %d %s", self.client, status, detail)
        body = orjson.dumps({"detail": detail})
        head = [b"HTTP/1.1 %d %s\r\n" % (status, _REASONS[status])]
        head += [b"%s: %s\r\n" % (name, value) for name, value in self.server_state.default_headers]
        head += [
            b"content-type: application/json\r\n",
            b"content-length: %d\r\n" % len(body),
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        self.transport.close()

    # -- uvicorn's protocol hooks ------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the head timer: a connection that sends nothing is closed."""
        super().connection_made(transport)
        self._arm(self.guard.header_timeout_s, self._head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        """Drop the timer with the connection."""
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Feed the parser, counting the bytes of an unfinished head."""
        self._received_any = True
        super().data_received(data)
        if self._in_head and not self.transport.is_closing():
            self._head_bytes += len(data)
            if self._head_bytes > self.guard.max_header_bytes:
                self._refuse(431, f"request head larger than {self.guard.max_header_bytes} bytes")

    def on_message_begin(self) -> None:
        """A request starts: its head must arrive in time."""
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = 0
        self._arm(self.guard.header_timeout_s, self._head_timed_out)

    def on_headers_complete(self) -> None:
        """The head is in: now the body has its own time."""
        self._in_head = False
        self._disarm()
        super().on_headers_complete()
        # Disarmed by on_message_complete, at once for a request without a body.
        self._arm(self.guard.body_timeout_s, self._body_timed_out)

    def on_message_complete(self) -> None:
        """The whole request is in."""
        self._disarm()
        super().on_message_complete()
