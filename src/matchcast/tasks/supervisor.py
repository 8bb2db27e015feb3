"""Supervision of the local job worker that ``matchcast serve`` starts beside the API.

The worker runs in its own process group (a new session), so every process a job starts —
``dvc repro`` and the stage command under it — belongs to that group. A thread of the
server waits for the worker. When it exits while the server is still running (a crash, an
OOM kill, a ``kill -9``), the supervisor:

1. kills what is left of its process group: an orphaned stage must not go on to publish
   outputs that no ``dvc.lock`` records, nor race the job's next attempt;
2. puts the job it was running back in the queue at once (no wait for its heartbeat to
   go stale) and marks the worker stopped in the store;
3. starts a new worker, after a delay that doubles with each quick failure (capped).

Stopping the server stops the worker (SIGTERM lets the current job finish, then SIGKILL
to the group after a timeout). ADR-0011.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import Engine

from matchcast.data.store import jobs as records
from matchcast.data.store import open_store, workers

logger = logging.getLogger(__name__)

STOP_TIMEOUT_S = 30.0
MIN_RESTART_DELAY_S = 0.5
MAX_RESTART_DELAY_S = 30.0
HEALTHY_AFTER_S = 60.0  # a worker that ran this long resets the restart delay


def worker_command(parent_pid: int) -> list[str]:
    """``matchcast worker --parent-pid <pid>`` from this interpreter's scripts."""
    command = shutil.which("matchcast", path=str(Path(sys.executable).parent)) or "matchcast"
    return [command, "worker", "--parent-pid", str(parent_pid)]


def _kill_group(pgid: int, sig: int = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # nothing left in it
        os.killpg(pgid, sig)


class WorkerSupervisor:
    """Start the local worker, restart it when it dies, stop it with the server."""

    def __init__(self, database_url: str, command: list[str] | None = None) -> None:
        """Prepare (nothing runs before :meth:`start`).

        Args:
            database_url: The store holding job records and worker heartbeats.
            command: The worker's command line (default :func:`worker_command`).
        """
        self.command = command or worker_command(os.getpid())
        self.engine: Engine = open_store(database_url)  # migrated before any worker starts
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the worker and the thread that watches it."""
        self._spawn()
        self._thread = threading.Thread(target=self._watch, name="worker-supervisor", daemon=True)
        self._thread.start()

    def _spawn(self) -> None:
        with self._lock:
            if self._stopping.is_set():
                return
            # start_new_session: the worker leads a new process group, which its jobs'
            # processes join; the group is what is killed when the worker dies.
            self.process = subprocess.Popen(self.command, start_new_session=True)
        logger.info("local job worker started (pid %d)", self.process.pid)

    def _watch(self) -> None:
        delay = MIN_RESTART_DELAY_S
        while not self._stopping.is_set():
            process = self.process
            assert process is not None
            started = time.monotonic()
            code = process.wait()
            if self._stopping.is_set():
                return
            self._clean_up_after(process.pid, code)
            if time.monotonic() - started > HEALTHY_AFTER_S:
                delay = MIN_RESTART_DELAY_S
            if self._stopping.wait(delay):
                return
            delay = min(delay * 2, MAX_RESTART_DELAY_S)
            self.restarts += 1
            self._spawn()

    def _clean_up_after(self, pid: int, code: int) -> None:
        """Stop the dead worker's job processes, requeue its job, record its death."""
        how = f"killed by signal {-code}" if code < 0 else f"exited with code {code}"
        _kill_group(pid)
        worker = f"{socket.gethostname()}:{pid}"
        try:
            requeued = records.requeue_worker(self.engine, worker, f"died ({how})")
            workers.mark_stopped(self.engine, worker, how)
        except Exception:  # the store is down: the heartbeat check requeues later
            logger.exception("could not record the death of worker %s", worker)
            requeued = []
        logger.error(
            "local job worker %s %s; its processes stopped, job(s) %s queued again; restarting",
            worker, how, requeued or "none",
        )  # fmt: skip

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """SIGTERM (the current job finishes first), then SIGKILL to the whole group."""
        with self._lock:
            self._stopping.set()
            process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                logger.warning("local job worker %d did not stop in %.0fs", process.pid, timeout_s)
        if process is not None:
            _kill_group(process.pid)
            process.wait()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.engine.dispose()


@contextmanager
def supervised_worker(database_url: str) -> Iterator[WorkerSupervisor]:
    """The supervised local worker's life cycle: started on entry, stopped on exit."""
    supervisor = WorkerSupervisor(database_url)
    supervisor.start()
    try:
        yield supervisor
    finally:
        supervisor.stop()
