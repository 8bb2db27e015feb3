"""``/admin/jobs``: submission and status over a real SQLite store, no worker running.

Without a broker the API records the job as the local worker's queue entry; nothing runs
in the API process, so a submitted job stays ``queued`` here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from matchcast.app.main import create_app
from matchcast.app.runtime import ServeConfig
from matchcast.data.store import jobs as records
from matchcast.data.store import migrated_engine
from matchcast.tasks.celery_config import CeleryConfig
from matchcast.tasks.client import JobsConfig

KEY = "test-key-0123456789"
HEADERS = {"X-API-Key": KEY}


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


def _client(tmp_path: Path, jobs: JobsConfig | None) -> TestClient:
    from matchcast.app.state import ServingFiles

    files = ServingFiles(
        predictions=tmp_path / "p.parquet", model=tmp_path / "m.json", matches=tmp_path / "x.pq"
    )
    return TestClient(create_app(ServeConfig(files, reload_interval_s=0, api_key=KEY, jobs=jobs)))


@pytest.fixture
def client(tmp_path: Path, store_url: str) -> Iterator[TestClient]:
    with _client(tmp_path, JobsConfig(store_url)) as test_client:
        yield test_client


def test_a_submitted_job_is_queued_for_the_local_worker_and_readable(
    client: TestClient, store_url: str
) -> None:
    answer = client.post("/admin/jobs/refresh_data", json={"as_of": "2025-10-01"}, headers=HEADERS)
    assert answer.status_code == 202
    body = answer.json()
    assert body["name"] == "refresh_data" and body["state"] == "queued"
    assert answer.headers["location"] == body["status_url"] == f"/admin/jobs/{body['job_id']}"

    with migrated_engine(store_url) as engine:
        record = records.get_job(engine, body["job_id"])
    assert record is not None
    assert (record.runner, record.state, record.params) == (
        "local",
        "queued",
        {"as_of": "2025-10-01"},
    )

    status = client.get(body["status_url"], headers=HEADERS)
    assert status.status_code == 200
    shown = status.json()
    assert shown["state"] == "queued" and shown["attempts"] == 0
    assert shown["params"] == {"as_of": "2025-10-01"}
    assert shown["started_at"] is None and shown["finished_at"] is None
    assert shown["result"] is None and shown["error"] is None


def test_the_body_is_optional(client: TestClient) -> None:
    answer = client.post("/admin/jobs/retrain", headers=HEADERS)
    assert answer.status_code == 202
    status = client.get(answer.headers["location"], headers=HEADERS).json()
    assert status["name"] == "retrain" and status["params"] == {}


def test_an_unknown_job_name_is_404_listing_the_known_ones(client: TestClient) -> None:
    answer = client.post("/admin/jobs/reboot", headers=HEADERS)
    assert answer.status_code == 404
    assert answer.json()["detail"] == (
        "unknown job 'reboot'; known jobs: refresh_data, batch_inference, retrain"
    )


def test_an_unknown_id_is_404(client: TestClient) -> None:
    answer = client.get("/admin/jobs/2b1f8c9e-0000-4000-8000-000000000000", headers=HEADERS)
    assert answer.status_code == 404
    assert answer.json()["detail"] == "no job with id '2b1f8c9e-0000-4000-8000-000000000000'"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"as_of": "01/10/2025"}, ["body", "as_of"]),
        ({"as_of": 1759276800}, ["body", "as_of"]),
        ({"as_of": "2025-10-01", "extra": 1}, ["body", "extra"]),
    ],
)
def test_a_bad_body_is_422_naming_the_field(
    client: TestClient, body: dict[str, object], where: list[str]
) -> None:
    answer = client.post("/admin/jobs/refresh_data", json=body, headers=HEADERS)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == where


def test_an_as_of_out_of_range_is_422(client: TestClient) -> None:
    answer = client.post("/admin/jobs/refresh_data", json={"as_of": "1900-01-01"}, headers=HEADERS)
    assert answer.status_code == 422
    (error,) = answer.json()["detail"]
    assert error["loc"] == ["body", "as_of"]
    assert error["msg"].startswith("Value error, as_of must be between 1990-01-01 and ")


def test_job_routes_need_the_key(client: TestClient) -> None:
    assert client.post("/admin/jobs/refresh_data").status_code == 401
    wrong = client.get("/admin/jobs/x", headers={"X-API-Key": "nope"})
    assert (wrong.status_code, wrong.json()["detail"]) == (401, "invalid X-API-Key")


def test_a_broker_that_is_down_gives_503_and_a_failed_record(
    tmp_path: Path, store_url: str
) -> None:
    down = CeleryConfig(broker_url="amqp://guest:guest@127.0.0.1:1//", result_backend="rpc://")
    with _client(tmp_path, JobsConfig(store_url, down)) as client:
        answer = client.post("/admin/jobs/refresh_data", headers=HEADERS)
    assert answer.status_code == 503
    assert answer.json()["detail"].startswith("the broker did not take the job")
    with migrated_engine(store_url) as engine:
        (record,) = records.list_jobs(engine)
    assert record.state == "failed"
    assert (record.error or "").startswith("could not enqueue")


def test_without_job_configuration_the_routes_answer_503(tmp_path: Path) -> None:
    with _client(tmp_path, None) as client:
        answer = client.post("/admin/jobs/refresh_data", headers=HEADERS)
    assert answer.status_code == 503
    assert answer.json()["detail"] == "jobs are not configured for this API"
