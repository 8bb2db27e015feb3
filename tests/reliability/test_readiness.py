"""One readiness state: named checks, a failed reload and an unreachable job store."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from fastapi.testclient import TestClient
from tests.fixtures.sample import write_serving_files

from matchcast.app.main import create_app
from matchcast.app.readiness import CheckResult, ReadinessChecks
from matchcast.app.runtime import ServeConfig
from matchcast.tasks.client import JobsConfig

API_KEY = "test-key-0123456789"
# Nothing listens on port 1: connecting is refused at once.
UNREACHABLE_STORE = "postgresql+psycopg://postgres@127.0.0.1:1/matchcast"


def test_checks_are_evaluated_by_name_with_reasons() -> None:
    checks = ReadinessChecks()
    checks.register("fine", CheckResult.passed)
    checks.register("broken", lambda: CheckResult.failed("disk on fire"))

    def explodes() -> CheckResult:
        raise RuntimeError("boom")

    checks.register("explodes", explodes)
    report = asyncio.run(checks.evaluate())
    assert not report.ready
    assert list(report.results) == ["fine", "broken", "explodes"]
    assert report.results["fine"].ok
    assert report.reason == "broken: disk on fire; explodes: RuntimeError: boom"


def test_a_blocking_check_is_bounded_and_remembered() -> None:
    calls = []

    def slow() -> CheckResult:
        calls.append(1)
        time.sleep(0.5)
        return CheckResult.passed()

    checks = ReadinessChecks()
    checks.register("slow", slow, blocking=True, timeout_s=0.05, max_age_s=60)
    report = asyncio.run(checks.evaluate())
    assert report.results["slow"] == CheckResult.failed("timed out after 0.05 s")
    assert asyncio.run(checks.evaluate()).results["slow"].reason == "timed out after 0.05 s"
    assert len(calls) == 1  # the second probe reused the first result


def test_a_failed_reload_makes_the_api_not_ready_and_says_which_file(tmp_path: Path) -> None:
    files, _, _ = write_serving_files(tmp_path)
    config = ServeConfig(files=files, reload_interval_s=0, api_key=API_KEY)
    with TestClient(create_app(config)) as client:
        assert client.get("/readyz").status_code == 200
        files.predictions.write_bytes(b"not a parquet file")
        reload = client.post("/admin/reload", headers={"X-API-Key": API_KEY})
        assert reload.status_code == 409
        ready = client.get("/readyz")
        assert ready.status_code == 503
        body = ready.json()
        assert body["ready"] is False
        assert body["checks"]["serving"]["ok"] is False
        assert "predictions failed to load" in body["reason"]
        assert "serving the previous version" in body["reason"]
        # the previous version is still served
        assert body["n_predictions"] > 0


def test_a_failed_optional_report_is_said_but_keeps_the_api_ready(tmp_path: Path) -> None:
    files, _, _ = write_serving_files(tmp_path)
    assert files.evaluation is not None
    files.evaluation.write_text("{broken")
    with TestClient(create_app(ServeConfig(files=files, reload_interval_s=0))) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 200
    assert "evaluation failed to load" in ready.json()["checks"]["serving"]["reason"]


def test_an_unreachable_job_store_makes_the_api_not_ready(tmp_path: Path) -> None:
    files, _, _ = write_serving_files(tmp_path)
    config = ServeConfig(
        files=files, reload_interval_s=0, api_key=API_KEY, jobs=JobsConfig(UNREACHABLE_STORE)
    )
    with TestClient(create_app(config)) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 503
    check = ready.json()["checks"]["job_store"]
    assert check["ok"] is False
    # Refused at once on a quiet machine; on a loaded one the check's own deadline may come first.
    assert "OperationalError" in check["reason"] or "timed out after" in check["reason"]


def test_a_reachable_job_store_is_ready(tmp_path: Path) -> None:
    files, _, _ = write_serving_files(tmp_path)
    store = f"sqlite:///{tmp_path / 'store.db'}"
    config = ServeConfig(files=files, reload_interval_s=0, jobs=JobsConfig(store))
    with TestClient(create_app(config)) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["job_store"] == {"ok": True, "reason": None}


def test_a_load_balancer_may_ask_for_the_serving_check_alone(tmp_path: Path) -> None:
    files, _, _ = write_serving_files(tmp_path)
    jobs = JobsConfig(database_url=UNREACHABLE_STORE)
    config = ServeConfig(files=files, reload_interval_s=0, jobs=jobs)
    with TestClient(create_app(config)) as client:
        assert client.get("/readyz").status_code == 503  # the job store is down
        serving = client.get("/readyz", params={"check": "serving"})
        assert serving.status_code == 200
        assert list(serving.json()["checks"]) == ["serving"]
        unknown = client.get("/readyz", params={"check": ["serving", "disk"]})
        assert unknown.status_code == 404
        assert "unknown readiness check 'disk'" in unknown.json()["detail"]
