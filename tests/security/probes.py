"""Raw-socket probes of a served API: oversized and slow requests, idle connections.

Shared by the regression tests and ``benchmarks/security_probe.py``.
"""

from __future__ import annotations

import socket
import time


def connect(port: int, timeout_s: float = 15.0) -> socket.socket:
    """A TCP connection to the local server."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout_s)
    sock.settimeout(timeout_s)
    return sock


def status_of(answer: bytes) -> int:
    """The status code of a raw HTTP answer (0 when the server closed without one)."""
    if not answer.startswith(b"HTTP/1.1 "):
        return 0
    return int(answer[9:12])


def read_answer(sock: socket.socket) -> bytes:
    """What the server sends until it closes or pauses (b"" when it closes at once)."""
    try:
        return sock.recv(65536)
    except (ConnectionResetError, TimeoutError):
        return b""


def send_until_refused(sock: socket.socket, head: bytes, chunk: bytes, total: int) -> int:
    """Send ``head`` then ``chunk`` until ``total`` bytes went out or the server closed.

    Returns:
        The bytes the server accepted.
    """
    sent = 0
    try:
        sock.sendall(head)
        sent += len(head)
        while sent < total:
            sock.sendall(chunk)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError, TimeoutError):
        pass
    return sent


def oversized_head(port: int, size: int) -> tuple[int, int]:
    """An unfinished header of ``size`` bytes: (status, bytes accepted)."""
    with connect(port) as sock:
        sent = send_until_refused(
            sock, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ", b"a" * 65536, size
        )
        return status_of(read_answer(sock)), sent


def oversized_body(port: int, size: int, key: str | None, chunked: bool = False) -> tuple[int, int]:
    """A POST of a ``size``-byte body to ``/admin/jobs/refresh_data``: (status, bytes accepted)."""
    lines = [
        b"POST /admin/jobs/refresh_data HTTP/1.1",
        b"Host: x",
        b"Content-Type: application/json",
    ]
    if key is not None:
        lines.append(b"X-API-Key: " + key.encode())
    lines.append(b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % size)
    head = b"\r\n".join(lines) + b"\r\n\r\n"
    piece = b"[" * 65536
    chunk = b"%x\r\n" % len(piece) + piece + b"\r\n" if chunked else piece
    with connect(port) as sock:
        sent = send_until_refused(sock, head, chunk, size)
        return status_of(read_answer(sock)), sent


def slow_head(port: int) -> tuple[int, float]:
    """Half a request head, then silence: (status, seconds until the answer)."""
    with connect(port) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        answer = read_answer(sock)
        return status_of(answer), time.monotonic() - started


def slow_body(port: int, key: str) -> tuple[int, float]:
    """A head announcing 100 bytes of body, one byte sent: (status, seconds until answer)."""
    with connect(port) as sock:
        sock.sendall(
            b"POST /admin/jobs/refresh_data HTTP/1.1\r\nHost: x\r\nX-API-Key: "
            + key.encode()
            + b"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
        )
        started = time.monotonic()
        answer = read_answer(sock)
        return status_of(answer), time.monotonic() - started


def idle(port: int) -> tuple[bytes, float]:
    """A connection that sends nothing: (what the server sent, seconds until it closed)."""
    with connect(port) as sock:
        started = time.monotonic()
        answer = read_answer(sock)
        return answer, time.monotonic() - started
