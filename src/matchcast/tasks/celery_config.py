"""Celery configuration built from settings: broker, result backend, queues, routes, limits.

- Broker: ``MATCHCAST_BROKER_URL``, Redis (``redis://``) or RabbitMQ (``amqp://``).
- Result backend: ``MATCHCAST_RESULT_BACKEND``; by default the broker's Redis, or with
  RabbitMQ the SQL store through Celery's database backend (``db+<database_url>``: its
  ``celery_taskmeta`` table beside ``jobs``). The job records the status API reads live in
  the SQL store either way (``matchcast.data.store.jobs``); the result backend keeps Celery's
  own view (``celery result``, Flower).
- Queues ``<prefix>.data`` (refresh, forecasts) and ``<prefix>.train`` (retrain) are
  declared explicitly on one direct exchange; tasks are routed by name.
- Reliability: late acks, a job whose worker died is requeued (``task_reject_on_worker_lost``),
  one message prefetched per process, JSON only. With Redis, an unacknowledged message
  comes back after ``MATCHCAST_BROKER_VISIBILITY_TIMEOUT_S``, which must exceed the longest
  job; RabbitMQ redelivers as soon as the dead worker's connection drops.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kombu.entity import Exchange, Queue

from matchcast.config import Settings
from matchcast.tasks.names import JOB_QUEUES, queue_name, task_name

# (soft, hard) time limits per job, in seconds
TIME_LIMITS: dict[str, tuple[int, int]] = {
    "refresh_data": (45 * 60, 50 * 60),
    "batch_inference": (45 * 60, 50 * 60),
    "retrain": (6 * 3600, 6 * 3600 + 600),
}


@dataclass(frozen=True)
class CeleryConfig:
    """What Celery needs from the environment."""

    broker_url: str
    result_backend: str
    queue_prefix: str = "matchcast"
    visibility_timeout_s: int = 8 * 3600

    @classmethod
    def from_settings(cls, settings: Settings) -> CeleryConfig | None:
        """The configuration, or None when no broker is set (the local worker runs jobs)."""
        if not settings.broker_url:
            return None
        return cls(
            broker_url=settings.broker_url,
            result_backend=settings.result_backend
            or default_result_backend(settings.broker_url, settings.database_url),
            queue_prefix=settings.job_queue_prefix,
            visibility_timeout_s=settings.broker_visibility_timeout_s,
        )

    @property
    def uses_redis(self) -> bool:
        """True when the broker is Redis."""
        return self.broker_url.startswith(("redis://", "rediss://"))


def default_result_backend(broker_url: str, database_url: str) -> str:
    """The broker's Redis, or the SQL store (Celery's database backend) with RabbitMQ."""
    if broker_url.startswith(("redis://", "rediss://")):
        return broker_url
    return f"db+{database_url}"


def queues(prefix: str) -> tuple[Queue, ...]:
    """The declared queues, one per kind of job."""
    exchange = Exchange(prefix, type="direct", durable=True)  # type: ignore[no-untyped-call]
    names = sorted({queue_name(prefix, queue) for queue in JOB_QUEUES.values()})
    return tuple(
        Queue(name, exchange, routing_key=name, durable=True)  # type: ignore[no-untyped-call]
        for name in names
    )


def routes(prefix: str) -> dict[str, dict[str, str]]:
    """Task name → queue and routing key."""
    return {
        task_name(job): {
            "queue": queue_name(prefix, queue),
            "exchange": prefix,
            "routing_key": queue_name(prefix, queue),
        }
        for job, queue in JOB_QUEUES.items()
    }


def celery_settings(config: CeleryConfig) -> dict[str, Any]:
    """Celery's settings (new lowercase names) for ``Celery.conf.update``."""
    data_queue = queue_name(config.queue_prefix, "data")
    values: dict[str, Any] = {
        "broker_url": config.broker_url,
        "result_backend": config.result_backend,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "result_accept_content": ["json"],
        "task_queues": queues(config.queue_prefix),
        "task_routes": routes(config.queue_prefix),
        "task_default_queue": data_queue,
        "task_default_exchange": config.queue_prefix,
        "task_default_routing_key": data_queue,
        "task_create_missing_queues": False,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_track_started": True,
        "task_soft_time_limit": max(soft for soft, _ in TIME_LIMITS.values()),
        "task_time_limit": max(hard for _, hard in TIME_LIMITS.values()),
        "result_expires": 7 * 24 * 3600,
        "result_extended": True,
        "broker_connection_retry_on_startup": True,
        # The API publishes; fail fast (503) rather than hang when the broker is down.
        "task_publish_retry_policy": {
            "max_retries": 2,
            "interval_start": 0,
            "interval_step": 0.5,
            "interval_max": 1,
        },
        "worker_hijack_root_logger": False,
        "enable_utc": True,
        "timezone": "UTC",
    }
    if config.uses_redis:
        # kombu sweeps for unacknowledged messages past the visibility timeout every
        # interval x throttle seconds (10 x 10 by default); one sweep per interval here.
        values["broker_transport_options"] = {
            "visibility_timeout": config.visibility_timeout_s,
            "unacked_restore_interval": max(1, min(10, config.visibility_timeout_s // 4)),
            "unacked_restore_throttle": 1,
        }
        values["result_backend_transport_options"] = {"retry_policy": {"timeout": 5.0}}
    return values
