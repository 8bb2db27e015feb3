"""Configuration and long-lived objects of one running API (one per worker)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from starlette.responses import Response

from matchcast.app.cache import RedisCache
from matchcast.app.metrics import Metrics
from matchcast.app.state import ServingFiles, StateHolder
from matchcast.config import Settings
from matchcast.tasks.client import JobClient, JobsConfig


@dataclass(frozen=True)
class ServeConfig:
    """What the API needs from the environment, passed explicitly to :func:`create_app`."""

    files: ServingFiles
    reload_interval_s: float = 2.0
    http_max_age_s: int = 60
    redis_url: str | None = None
    redis_timeout_s: float = 0.05
    api_key: str | None = None
    cors_origins: tuple[str, ...] = ()
    jobs: JobsConfig | None = None  # where job records live and how jobs are queued

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
            api_key=settings.api_key,
            cors_origins=tuple(settings.cors_origins),
            jobs=JobsConfig.from_settings(settings),
        )


@dataclass
class Runtime:
    """The objects every request may use."""

    config: ServeConfig
    holder: StateHolder
    metrics: Metrics
    cache: RedisCache | None = None
    jobs: JobClient | None = None

    def note_reload(self, components: list[str]) -> None:
        """Count the reloaded components and refresh the gauges from the new state."""
        for name in components:
            self.metrics.reloads.labels(name).inc()
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
