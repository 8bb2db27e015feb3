"""Is a job worker alive? One function for ``/readyz`` and one Prometheus collector.

The local worker beats its row in the store's ``workers`` table every
:data:`~matchcast.tasks.jobs.HEARTBEAT_S` seconds, idle or busy; it is alive while its
last beat is younger than :data:`~matchcast.tasks.jobs.STALE_AFTER_S`. With a broker,
Celery workers are watched by the broker (a lost worker's job is redelivered), and this
check does not apply.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine

from matchcast.data.store import workers
from matchcast.data.store.workers import Liveness
from matchcast.tasks.jobs import STALE_AFTER_S

logger = logging.getLogger(__name__)

ALIVE_METRIC = "matchcast_job_worker_alive"
AGE_METRIC = "matchcast_job_worker_heartbeat_age_seconds"


def job_worker_liveness(engine: Engine, stale_after_s: float = STALE_AFTER_S) -> Liveness:
    """Whether the local job worker is alive, with the reason (the store must be reachable).

    Args:
        engine: The store holding worker heartbeats (migrated).
        stale_after_s: A heartbeat older than this means the worker is dead or hung.
    """
    return workers.liveness(engine, stale_after_s, runner="local")


class WorkerLivenessCollector(Collector):
    """``matchcast_job_worker_alive`` (1/0) and the heartbeat's age, read at each scrape."""

    def __init__(self, engine: Callable[[], Engine], stale_after_s: float = STALE_AFTER_S) -> None:
        """Read liveness from the store ``engine()`` returns (opened lazily by the caller)."""
        self._engine = engine
        self._stale_after_s = stale_after_s

    def collect(self) -> Iterator[Metric]:
        """One sample each; alive is 0 when the store cannot be read."""
        try:
            state = job_worker_liveness(self._engine(), self._stale_after_s)
            alive, age = float(state.alive), state.heartbeat_age_s
        except Exception:  # the store is down: no worker can be seen alive
            logger.warning("worker liveness: the store cannot be read", exc_info=True)
            alive, age = 0.0, None
        yield GaugeMetricFamily(
            ALIVE_METRIC, "1 while a local job worker beats its heartbeat in the store.", alive
        )
        yield GaugeMetricFamily(
            AGE_METRIC,
            "Seconds since the freshest heartbeat of a running local job worker (NaN: none).",
            math.nan if age is None else age,
        )
