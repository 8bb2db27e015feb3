"""A background keep-alive: call a function at a fixed interval while a block runs.

A running job beats its heartbeat in the store (:mod:`matchcast.tasks.jobs`) and extends
its Redis project lock (:mod:`matchcast.tasks.lock`) this way. A failed call is logged and
the next one is tried: a missed beat is not fatal, and what it protects fails on its own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

logger = logging.getLogger(__name__)


@contextmanager
def keep_alive(
    action: Callable[[], object], every_s: float, name: str, what: str
) -> Iterator[None]:
    """Call ``action`` every ``every_s`` seconds in a daemon thread until the block ends.

    Args:
        action: What to repeat (a heartbeat, a lock extension).
        every_s: Seconds between calls; the first call is one interval after the start.
        name: The thread's name.
        what: What the call does, for the log message when it fails.

    Yields:
        Nothing; the thread is stopped and joined when the block exits.
    """
    stop = threading.Event()

    def _loop() -> None:
        while not stop.wait(every_s):
            try:
                action()
            except Exception:  # logged; the next interval tries again
                logger.exception("%s failed", what)

    thread = threading.Thread(target=_loop, name=name, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
