"""The keep-alive thread behind the job heartbeat and the Redis lock extension."""

from __future__ import annotations

import threading
import time

import pytest

from matchcast.tasks.keepalive import keep_alive


def test_calls_repeat_while_the_block_runs_and_stop_with_it() -> None:
    calls: list[float] = []
    with keep_alive(lambda: calls.append(time.monotonic()), 0.01, name="t-beat", what="beat"):
        assert any(t.name == "t-beat" for t in threading.enumerate())
        deadline = time.monotonic() + 10
        while len(calls) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
    after = len(calls)
    assert after >= 3
    time.sleep(0.05)
    assert len(calls) == after  # stopped and joined when the block ended
    assert not any(t.name == "t-beat" for t in threading.enumerate())


def test_a_failed_call_is_logged_and_the_next_one_still_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls = []

    def flaky() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("store away")

    with keep_alive(flaky, 0.01, name="t-flaky", what="heartbeat of job j1"):
        deadline = time.monotonic() + 10
        while len(calls) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert len(calls) >= 2
    assert "heartbeat of job j1 failed" in caplog.text
