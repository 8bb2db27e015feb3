"""/readyz and /metrics say whether the supervised local job worker is alive."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.fixtures.sample import write_serving_files

from matchcast.app.main import create_app
from matchcast.app.runtime import ServeConfig
from matchcast.config import Settings
from matchcast.data.store import migrated_engine, workers
from matchcast.tasks.client import JobsConfig

pytestmark = pytest.mark.reliability


def test_readyz_and_the_gauge_follow_the_worker_heartbeat(tmp_path: Path) -> None:
    files, _, _ = write_serving_files(tmp_path)
    store = f"sqlite:///{tmp_path / 'store.db'}"
    jobs = JobsConfig(store, local_worker_expected=True)
    with TestClient(create_app(ServeConfig(files=files, reload_interval_s=0, jobs=jobs))) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["job_worker"] == {
            "ok": False,
            "reason": "no local job worker has started",
        }
        assert "matchcast_job_worker_alive 0.0" in client.get("/metrics").text

        with migrated_engine(store) as engine:
            workers.beat(engine, "host:7")
        time.sleep(1.1)  # the check's result is remembered for 1 s
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["job_worker"] == {"ok": True, "reason": None}
        assert "matchcast_job_worker_alive 1.0" in client.get("/metrics").text

        with migrated_engine(store) as engine:
            workers.mark_stopped(engine, "host:7", "killed by signal 9")
        time.sleep(1.1)
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["reason"] == (
            "job_worker: local job worker host:7 stopped: killed by signal 9"
        )


def test_no_worker_check_without_a_supervised_worker(tmp_path: Path) -> None:
    files, _, _ = write_serving_files(tmp_path)
    jobs = JobsConfig(f"sqlite:///{tmp_path / 'store.db'}")  # e.g. serve --no-local-worker
    with TestClient(create_app(ServeConfig(files=files, reload_interval_s=0, jobs=jobs))) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert "job_worker" not in ready.json()["checks"]
        assert "matchcast_job_worker_alive" not in client.get("/metrics").text


def test_serve_sets_the_expectation_only_for_a_local_worker() -> None:
    supervised = Settings(local_worker_supervised=True, broker_url=None)
    assert JobsConfig.from_settings(supervised).local_worker_expected
    with_broker = Settings(local_worker_supervised=True, broker_url="redis://127.0.0.1:6379/0")
    assert not JobsConfig.from_settings(with_broker).local_worker_expected
    assert not JobsConfig.from_settings(Settings()).local_worker_expected
