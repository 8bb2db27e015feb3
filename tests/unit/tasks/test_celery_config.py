"""Celery configuration from settings: brokers, result backends, queues, routes, reliability."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from matchcast.config import Settings
from matchcast.tasks.app import create_celery_app
from matchcast.tasks.celery_config import CeleryConfig, celery_settings
from matchcast.tasks.names import JOB_NAMES, task_name


def test_without_a_broker_there_is_no_celery_config() -> None:
    assert CeleryConfig.from_settings(Settings(broker_url=None)) is None


def test_redis_broker_keeps_results_in_the_same_redis() -> None:
    config = CeleryConfig.from_settings(Settings(broker_url="redis://cache:6379/2"))
    assert config is not None
    assert config.result_backend == "redis://cache:6379/2"
    values = celery_settings(config)
    assert values["broker_transport_options"] == {
        "visibility_timeout": 8 * 3600,
        "unacked_restore_interval": 10,
        "unacked_restore_throttle": 1,
    }


def test_rabbitmq_broker_keeps_results_in_the_sql_store() -> None:
    settings = Settings(
        broker_url="amqp://guest:guest@mq:5672//",
        database_url="postgresql+psycopg://u@db/matchcast",
    )
    config = CeleryConfig.from_settings(settings)
    assert config is not None
    assert config.result_backend == "db+postgresql+psycopg://u@db/matchcast"
    assert "broker_transport_options" not in celery_settings(config)


def test_an_explicit_result_backend_wins() -> None:
    settings = Settings(broker_url="amqp://mq//", result_backend="redis://r:6379/3")
    config = CeleryConfig.from_settings(settings)
    assert config is not None and config.result_backend == "redis://r:6379/3"


def test_an_unknown_broker_scheme_fails_fast() -> None:
    with pytest.raises(ValidationError, match="MATCHCAST_BROKER_URL must start with one of"):
        Settings(broker_url="kafka://k:9092")


def test_queues_are_declared_and_every_job_is_routed_to_one() -> None:
    config = CeleryConfig(broker_url="redis://r/0", result_backend="redis://r/0", queue_prefix="mc")
    celery = create_celery_app(config, with_tasks=False)
    declared = {queue.name: queue for queue in celery.conf.task_queues}
    assert set(declared) == {"mc.data", "mc.train"}
    assert all(queue.durable and queue.exchange.name == "mc" for queue in declared.values())
    routes = celery.conf.task_routes
    assert {task_name(job): routes[task_name(job)]["queue"] for job in JOB_NAMES} == {
        "matchcast.refresh_data": "mc.data",
        "matchcast.batch_inference": "mc.data",
        "matchcast.retrain": "mc.train",
    }
    assert celery.conf.task_create_missing_queues is False


def test_delivery_is_at_least_once_one_job_at_a_time_json_only() -> None:
    config = CeleryConfig(broker_url="amqp://mq//", result_backend="db+sqlite:///x.db")
    conf = create_celery_app(config, with_tasks=False).conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_serializer == conf.result_serializer == "json"
    assert conf.accept_content == ["json"]
    assert 0 < conf.task_soft_time_limit < conf.task_time_limit


def test_worker_registers_the_three_jobs_with_backoff_retries() -> None:
    config = CeleryConfig(broker_url="redis://r/0", result_backend="redis://r/0")
    celery = create_celery_app(config)
    celery.loader.import_default_modules()
    for job in JOB_NAMES:
        task = celery.tasks[task_name(job)]
        assert task.acks_late and task.reject_on_worker_lost
        assert task.retry_backoff >= 1 and task.retry_jitter is False
        assert [kind.__name__ for kind in task.autoretry_for] == ["TransientJobError"]
    retrain = celery.tasks[task_name("retrain")]
    assert retrain.time_limit > celery.tasks[task_name("refresh_data")].time_limit
