"""Configuration and long-lived objects of one running API (one per worker)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr
from starlette.responses import Response

from matchcast.app.auth import AdminKeys
from matchcast.app.cache import RedisCache
from matchcast.app.metrics import Metrics
from matchcast.app.readiness import ReadinessChecks
from matchcast.app.state import ServingFiles, StateHolder
from matchcast.config import Settings
from matchcast.tasks.client import JobClient, JobsConfig


@dataclass(frozen=True)
class RateLimit:
    """Per-client token bucket: ``per_s`` requests a second, ``burst`` at once."""

    per_s: float = 200.0
    burst: int = 400
    redis_url: str | None = None  # shared buckets; None = in this process

    @property
    def enabled(self) -> bool:
        """False when ``per_s`` is 0."""
        return self.per_s > 0


@dataclass(frozen=True)
class ServeConfig:
    """What the API needs from the environment, passed explicitly to :func:`create_app`.

    Raises:
        ValueError: An API key shorter than 16 characters.
    """

    files: ServingFiles
    reload_interval_s: float = 2.0
    http_max_age_s: int = 60
    redis_url: str | None = None
    redis_timeout_s: float = 0.05
    api_key: str | None = None
    api_key_next: str | None = None  # a second accepted key, during a rotation
    cors_origins: tuple[str, ...] = ()
    jobs: JobsConfig | None = None  # where job records live and how jobs are queued
    max_body_bytes: int = 1024 * 1024
    rate_limit: RateLimit = field(default_factory=RateLimit)
    access_log: bool = False
    batch_store_url: str | None = None  # follow the store's published batches (ADR-0021)
    batch_poll_s: float = 30.0
    admin_keys: AdminKeys = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Check the keys once (a short key refuses to start)."""
        object.__setattr__(self, "admin_keys", AdminKeys.of(self.api_key, self.api_key_next))

    @classmethod
    def from_settings(cls, settings: Settings) -> ServeConfig:
        """Build the serving configuration from the ``MATCHCAST_*`` settings."""
        return cls(
            files=ServingFiles(
                predictions=Path(settings.predictions_path),
                model=Path(settings.model_metadata_path),
                matches=Path(settings.matches_path),
                finished=Path(settings.finished_predictions_path),
                evaluation=Path(settings.evaluation_path),
                live_quality=Path(settings.live_quality_path),
                drift=Path(settings.drift_path),
                moved=Path(settings.moved_ids_path),
            ),
            reload_interval_s=settings.reload_interval_s,
            http_max_age_s=settings.http_max_age_s,
            redis_url=settings.redis_url,
            redis_timeout_s=settings.redis_timeout_s,
            api_key=_secret(settings.api_key),
            api_key_next=_secret(settings.api_key_next),
            cors_origins=tuple(settings.cors_origins),
            jobs=JobsConfig.from_settings(settings),
            max_body_bytes=settings.max_body_bytes,
            rate_limit=RateLimit(
                settings.rate_limit_per_s, settings.rate_limit_burst, settings.rate_limit_redis_url
            ),
            access_log=settings.access_log,
            batch_store_url=settings.database_url if settings.follow_batches else None,
            batch_poll_s=settings.batch_poll_s,
        )


def _secret(value: SecretStr | None) -> str | None:
    return None if value is None else value.get_secret_value()


@dataclass
class Runtime:
    """The objects every request may use."""

    config: ServeConfig
    holder: StateHolder
    metrics: Metrics
    cache: RedisCache | None = None
    jobs: JobClient | None = None
    readiness: ReadinessChecks = field(default_factory=ReadinessChecks)

    def note_reload(self, components: list[str]) -> None:
        """Count the reloaded and the failed components; refresh the gauges from the state."""
        for name in components:
            self.metrics.reloads.labels(name).inc()
        for name in self.holder.last_failed:
            self.metrics.load_failures.labels(name).inc()
        self.metrics.observe_state(self.holder.state)


class PrebuiltResponse(Response):
    """A response whose body and headers were built in advance (no per-request work)."""

    def __init__(
        self, body: bytes, raw_headers: list[tuple[bytes, bytes]], status_code: int = 200
    ) -> None:
        """Use ``body`` and ``raw_headers`` as they are."""
        self.status_code = status_code
        self.body = body
        self.background = None
        self.raw_headers = raw_headers
