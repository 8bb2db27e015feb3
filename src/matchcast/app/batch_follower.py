"""Follow the store's newest forecast batch: one replica's files, kept at the shared version.

Replicas on other hosts share no disk. ``batch_inference`` publishes each batch to the SQL
store (``matchcast.data.store.batches``); a replica started with
``MATCHCAST_FOLLOW_BATCHES=true`` runs a :class:`BatchFollower` thread that writes the
newest complete batch into its own serving files (all at once, ``publish_together``) and
asks the :class:`~matchcast.app.state.StateHolder` to reload them. The holder builds the
new state fully and swaps one reference, so no request fails during the swap.

The follower hears of a new batch from PostgreSQL ``LISTEN`` within milliseconds; it also
polls every ``poll_s`` seconds (the fallback: SQLite, a lost notification, a reconnect).
A store that is down leaves the replica serving the batch it has and retrying with
backoff; nothing here can fail a request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from prometheus_client import CollectorRegistry, Gauge
from sqlalchemy.engine import Engine, make_url

from matchcast.app.runtime import Runtime
from matchcast.app.state import ServingFiles
from matchcast.data import store
from matchcast.data.publish import publish_together

logger = logging.getLogger(__name__)

MAX_BACKOFF_S = 5.0


def _paths(files: ServingFiles) -> dict[str, Path | None]:
    return {
        "predictions": files.predictions,
        "model": files.model,
        "finished": files.finished,
        "evaluation": files.evaluation,
        "moved": files.moved,
    }


class BatchFollower:
    """Keeps one replica's serving files at the store's newest published batch."""

    def __init__(
        self,
        database_url: str,
        files: ServingFiles,
        on_loaded: Callable[[int], None],
        poll_s: float = 30.0,
        registry: CollectorRegistry | None = None,
    ) -> None:
        """Prepare; :meth:`start` runs the thread.

        Args:
            database_url: The SQL store the batches are published to.
            files: This replica's serving files (written here, read by the holder).
            on_loaded: Called with the version once its files are in place.
            poll_s: Seconds between polls when no notification arrives.
            registry: Where the ``matchcast_forecast_batch_version`` gauge goes.
        """
        self.database_url = database_url
        self.files = files
        self.on_loaded = on_loaded
        self.poll_s = poll_s
        self.version: int | None = None
        self._engine: Engine | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._gauge = Gauge(
            "matchcast_forecast_batch_version",
            "Version of the store's forecast batch this process serves (0: none yet; one "
            "sample per live worker under several uvicorn workers).",
            registry=registry,
            multiprocess_mode="liveall",
        )

    @property
    def engine(self) -> Engine:
        """The store's engine, created (and migrated) on first use."""
        if self._engine is None:
            engine = store.create_engine_for(self.database_url)
            try:
                store.upgrade_engine(engine)
            except BaseException:
                engine.dispose()
                raise
            self._engine = engine
        return self._engine

    def sync_once(self) -> int | None:
        """Load the newest batch if it is newer than this replica's; its version, else None."""
        latest = store.latest_batch_version(self.engine)
        if latest is None or (self.version is not None and latest <= self.version):
            return None
        batch = store.load_batch(self.engine, latest)
        targets = _paths(self.files)
        writers = {}
        for role, content in batch.files.items():
            path = targets.get(role)
            if path is not None:
                writers[path] = _bytes_writer(content)
        publish_together(writers)
        self.version = batch.version
        self._gauge.set(batch.version)
        logger.info("forecast batch %d (model v%s) in place", batch.version, batch.model_version)
        self.on_loaded(batch.version)
        return batch.version

    def start(self) -> None:
        """Run :meth:`run` in a daemon thread."""
        self._thread = threading.Thread(target=self.run, name="batch-follower", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (within one wait) and dispose of the engine."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.poll_s + 2)
        if self._engine is not None:
            self._engine.dispose()

    def run(self) -> None:
        """Sync, then wait for a notification or the poll interval, until stopped."""
        backoff = 0.5
        while not self._stop.is_set():
            try:
                if self.engine.dialect.name == "postgresql":
                    self._listen()
                else:
                    self.sync_once()
                    self._stop.wait(self.poll_s)
                backoff = 0.5
            except Exception as exc:  # store down or a broken batch: keep serving, retry
                logger.warning("forecast batch follower: %s; retrying in %.1f s", exc, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)

    def _listen(self) -> None:
        """LISTEN on the batch channel; sync on each notification and every ``poll_s``."""
        url = make_url(self.database_url).set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f"LISTEN {store.BATCH_CHANNEL}")
            # Listening before the first sync: a batch published in between is not missed.
            self.sync_once()
            polled = time.monotonic()
            while not self._stop.is_set():
                # Short waits, so that stop() is seen; a dead connection raises here and
                # run() reconnects.
                heard = list(connection.notifies(timeout=1.0, stop_after=1))
                if heard or time.monotonic() - polled >= self.poll_s:
                    self.sync_once()
                    polled = time.monotonic()


def _bytes_writer(content: bytes) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.write_bytes(content)

    return write


def start_follower(runtime: Runtime) -> BatchFollower | None:
    """Follow the store's batches when configured: sync once (best effort), then a thread.

    The first sync runs before the files are first loaded, so a new replica starts on the
    newest batch; a store that is down then leaves it on its local files, and the thread
    catches up later.
    """
    url = runtime.config.batch_store_url
    if url is None:
        return None

    def reload(_: int) -> None:
        runtime.note_reload(runtime.holder.refresh())

    follower = BatchFollower(
        url, runtime.config.files, reload, runtime.config.batch_poll_s, runtime.metrics.registry
    )
    try:
        follower.sync_once()
    except Exception as exc:  # serve what is on disk; the thread retries
        logger.warning("forecast batch follower: first sync failed: %s", exc)
    follower.start()
    return follower
