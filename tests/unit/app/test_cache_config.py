"""The circuit breaker of the Redis cache, and the serving configuration from MATCHCAST_*."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from matchcast.app.cache import CircuitBreaker, RedisCache
from matchcast.app.runtime import ServeConfig
from matchcast.config import Settings


def test_breaker_opens_after_threshold_and_half_opens_after_cooldown() -> None:
    breaker = CircuitBreaker(threshold=3, cooldown_s=0.2)
    for _ in range(2):
        breaker.failure()
        assert breaker.allows()
    breaker.failure()
    assert not breaker.allows() and breaker.is_open
    time.sleep(0.25)
    assert breaker.allows()  # one trial call
    breaker.failure()  # the trial failed: open again
    assert not breaker.allows()
    time.sleep(0.25)
    breaker.success()
    assert breaker.allows() and breaker.failures == 0


def test_cache_keys_separate_data_versions() -> None:
    assert RedisCache.key("v1", "E0-a-b") != RedisCache.key("v2", "E0-a-b")
    assert RedisCache.key("v1", "E0-a-b").endswith("v1:E0-a-b")


def test_config_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHCAST_PREDICTIONS_PATH", "/srv/p.parquet")
    monkeypatch.setenv("MATCHCAST_MATCHES_PATH", "/srv/m.parquet")
    monkeypatch.setenv("MATCHCAST_RELOAD_INTERVAL_S", "0.5")
    monkeypatch.setenv("MATCHCAST_CORS_ORIGINS", '["https://example.org"]')
    monkeypatch.setenv("MATCHCAST_API_KEY", "k" * 16)
    config = ServeConfig.from_settings(Settings())
    assert config.files.predictions == Path("/srv/p.parquet")
    assert config.files.matches == Path("/srv/m.parquet")
    assert config.reload_interval_s == 0.5
    assert config.cors_origins == ("https://example.org",)
    assert config.api_key == "k" * 16
    assert config.redis_url is None


def test_defaults_serve_the_pipeline_outputs(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PREDICTIONS_PATH", "MODEL_METADATA_PATH", "MATCHES_PATH", "RELOAD_INTERVAL_S"):
        monkeypatch.delenv(f"MATCHCAST_{name}", raising=False)
    config = ServeConfig.from_settings(Settings())
    assert config.files.predictions == Path("data/predictions/predictions.parquet")
    assert config.files.model == Path("data/predictions/model.json")
    assert config.files.matches == Path("data/interim/matches.parquet")
    assert config.reload_interval_s == 2.0


def test_bad_settings_fail_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHCAST_RELOAD_INTERVAL_S", "-1")
    with pytest.raises(ValueError, match="reload_interval_s"):
        Settings()
