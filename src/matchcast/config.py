"""Infrastructure settings (URLs, keys, locations), read once from ``MATCHCAST_*`` variables.

Modelling knobs live in ``params.yaml`` (DVC-tracked); this module holds only what
differs between machines. Bad values fail fast at start-up.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_FOOTBALL_DATA = "https://www.football-data.co.uk"
MIN_API_KEY_LENGTH = 16
BROKER_SCHEMES = ("redis://", "rediss://", "amqp://", "amqps://", "pyamqp://")


class Settings(BaseSettings):
    """Environment-driven infrastructure configuration."""

    model_config = SettingsConfigDict(env_prefix="MATCHCAST_", extra="ignore")

    football_data: str | None = Field(
        default=None,
        description="Base of the football-data.co.uk archive: URL or local folder. "
        "Overrides data.football_data in params.yaml when set.",
    )
    database_url: str = Field(default="sqlite:///data/matchcast.db")
    mlflow_tracking_uri: str = Field(default="sqlite:///mlflow.db")
    mlflow_artifact_root: str = Field(default="mlartifacts")
    redis_url: str | None = Field(default=None, description="Optional shared cache for serving.")
    broker_url: str | None = Field(
        default=None, description="Celery broker; unset means the in-process job runner."
    )
    api_key: SecretStr | None = Field(
        default=None,
        description=f"Key for the /admin endpoints (at least {MIN_API_KEY_LENGTH} characters); "
        "unset disables them.",
    )
    api_key_next: SecretStr | None = Field(
        default=None,
        description="A second accepted key, for rotation: clients move to it, then it becomes "
        "MATCHCAST_API_KEY.",
    )
    api_url: str | None = Field(
        default=None,
        description="Base URL of a running API that jobs ask to reload after new forecasts.",
    )
    project_dir: str = Field(
        default=".", description="DVC project folder that jobs and DAGs run their stages in."
    )
    optuna_storage: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the database holding tuning studies (e.g. "
        "postgresql+psycopg://…/optuna), shared by the tuning workers; unset: in memory, or "
        "a scratch journal file when model.tuning.workers > 1.",
    )
    result_backend: str | None = Field(
        default=None,
        description="Celery result backend; default the broker's Redis, or db+<database_url> "
        "(the SQL store) when the broker is RabbitMQ.",
    )
    job_queue_prefix: str = Field(
        default="matchcast",
        pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        description="Prefix of the Celery queue names (<prefix>.data, <prefix>.train).",
    )
    job_max_retries: int = Field(default=5, ge=0, le=100)
    job_retry_backoff_s: int = Field(
        default=30, ge=1, description="First retry delay of a job (s); doubles on each retry."
    )
    job_retry_backoff_max_s: int = Field(default=600, ge=1)
    job_lock_ttl_s: float = Field(
        default=60.0,
        ge=3,
        description="Expiry of a job's Redis lock; the running job extends it every third.",
    )
    broker_visibility_timeout_s: int = Field(
        default=8 * 3600,
        gt=0,
        description="Redis broker: an unacknowledged job is redelivered after this long; "
        "must exceed the longest job (retrain).",
    )
    local_worker_poll_s: float = Field(default=1.0, gt=0)
    local_worker_supervised: bool = Field(
        default=False,
        description="Set by `matchcast serve` when it runs the supervised local job worker: "
        "/readyz and /metrics then report whether the worker beats its heartbeat.",
    )
    cors_origins: list[str] = Field(default_factory=list)
    predictions_path: str = Field(default="data/predictions/predictions.parquet")
    model_metadata_path: str = Field(default="data/predictions/model.json")
    matches_path: str = Field(
        default="data/interim/matches.parquet",
        description="Canonical match table the API reads for /matches discovery.",
    )
    finished_predictions_path: str = Field(
        default="data/predictions/finished.parquet",
        description="Recently finished matches' logged forecasts, served by /predict.",
    )
    moved_ids_path: str = Field(
        default="data/predictions/moved.parquet",
        description="Match ids that moved (answered 308) or were withdrawn (410).",
    )
    evaluation_path: str = Field(
        default="data/predictions/evaluation.json",
        description="The champion's test evaluation, served by /model/evaluation.",
    )
    live_quality_path: str = Field(
        default="reports/live_quality.json",
        description="The monitor stage's live quality, served by /model/live-quality and "
        "exported as matchcast_live_* gauges.",
    )
    drift_path: str = Field(
        default="reports/drift.json",
        description="The monitor stage's drift report, exported as matchcast_drift_* gauges.",
    )
    reload_interval_s: float = Field(
        default=2.0,
        ge=0,
        description="How often the API checks its files for a new version; 0 = never.",
    )
    redis_timeout_s: float = Field(
        default=0.05, gt=0, le=5, description="Socket timeout of the optional Redis cache."
    )
    http_max_age_s: int = Field(
        default=60, ge=0, description="Cache-Control max-age of prediction responses."
    )
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Largest request body; larger ones get 413."
    )
    max_header_bytes: int = Field(
        default=16 * 1024,
        ge=1024,
        description="Largest request line plus headers; larger ones get 431.",
    )
    header_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="Time to send a request's line and headers (also closes connections that "
        "never send one); then 408.",
    )
    body_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="Time to send a request's body once headers are in; then 408.",
    )
    keep_alive_s: int = Field(
        default=5, ge=1, description="An idle keep-alive connection is closed after this long."
    )
    limit_concurrency: int = Field(
        default=1000,
        ge=1,
        description="Connections plus in-flight requests per worker; beyond, uvicorn answers 503.",
    )
    rate_limit_per_s: float = Field(
        default=200.0, ge=0, description="Requests per second per client (0 = no rate limit)."
    )
    rate_limit_burst: int = Field(
        default=400, ge=1, description="Requests a client may send at once (token bucket size)."
    )
    rate_limit_redis_url: str | None = Field(
        default=None,
        description="Redis holding the rate-limit buckets, shared by every API process; unset "
        "means one in-process bucket per client and worker.",
    )
    access_log: bool = Field(
        default=False, description="Log every request as one JSON line (latency, status, id)."
    )
    follow_batches: bool = Field(
        default=False,
        description="Serve the SQL store's newest published forecast batch (written into this "
        "replica's own files); for replicas on hosts that share no disk (ADR-0021).",
    )
    batch_poll_s: float = Field(
        default=30.0,
        gt=0,
        description="With follow_batches: poll the store this often; PostgreSQL also "
        "notifies at once.",
    )
    http_timeout_s: float = Field(default=30.0, gt=0)
    http_retries: int = Field(default=4, ge=0, le=20)

    @field_validator("api_key", "api_key_next")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_API_KEY_LENGTH:
            raise ValueError(
                f"an API key must have at least {MIN_API_KEY_LENGTH} characters "
                "(unset the variable to disable the admin endpoints)"
            )
        return value

    @field_validator("broker_url")
    @classmethod
    def _known_broker(cls, value: str | None) -> str | None:
        if value and not value.startswith(BROKER_SCHEMES):
            raise ValueError(
                f"MATCHCAST_BROKER_URL must start with one of {BROKER_SCHEMES}, got {value!r}"
            )
        return value or None

    @field_validator("database_url")
    @classmethod
    def _known_dialect(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError(
                f"MATCHCAST_DATABASE_URL must be an sqlite:// or postgresql:// URL, got {value!r}"
            )
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (read from the environment on first use)."""
    return Settings()
