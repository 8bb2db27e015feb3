"""Headers, request ids, methods, rate limiting and the schema findings, in process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import redis
from fastapi.testclient import TestClient
from tests.fixtures.sample import write_serving_files

from matchcast.app.main import create_app
from matchcast.app.ratelimit import KEY_PREFIX
from matchcast.app.runtime import RateLimit, ServeConfig
from matchcast.tasks.client import JobsConfig

pytestmark = pytest.mark.security

KEY = "posture-key-0123456789"
# Nothing listens on port 1: connecting is refused at once.
UNREACHABLE_STORE = "postgresql+psycopg://postgres@127.0.0.1:1/matchcast"
GET_ROUTES = [
    "/",
    "/docs",
    "/openapi.json",
    "/healthz",
    "/readyz",
    "/metrics",
    "/matches",
    "/leagues",
    "/model",
    "/model/evaluation",
    "/static/dashboard.js",
]


def app_client(tmp_path: Path, **overrides: object) -> TestClient:
    files, _, _ = write_serving_files(tmp_path)
    options: dict[str, object] = {
        "files": files,
        "reload_interval_s": 0,
        "api_key": KEY,
        "jobs": JobsConfig(f"sqlite:///{tmp_path / 'store.db'}"),
    }
    options.update(overrides)
    return TestClient(create_app(ServeConfig(**options)))  # type: ignore[arg-type]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with app_client(tmp_path) as started:
        yield started


@pytest.mark.parametrize("path", [*GET_ROUTES, "/predict/E0-2026-01-01-no-one", "/nowhere"])
def test_every_answer_carries_the_security_headers(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "default-src 'self'" in headers["content-security-policy"]


def test_the_dashboard_and_docs_load_nothing_from_elsewhere(client: TestClient) -> None:
    for path in ("/", "/docs"):
        page = client.get(path)
        assert page.status_code == 200
        assert "http://" not in page.text and "https://" not in page.text
        assert "<script>" not in page.text  # no inline script: CSP script-src 'self' holds
    assert "'unsafe-inline'" not in client.get("/").headers["content-security-policy"]
    bundle = client.get("/docs-assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200
    assert len(bundle.content) > 100_000


@pytest.mark.parametrize("path", GET_ROUTES)
def test_head_answers_on_every_get_route_without_a_body(client: TestClient, path: str) -> None:
    get, head = client.get(path), client.head(path)
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]


def test_options_and_405_list_every_method_of_the_path(client: TestClient) -> None:
    options = client.options("/admin/jobs/abc", headers={"X-API-Key": KEY})
    assert options.status_code == 204
    assert options.headers["allow"] == "GET, HEAD, OPTIONS, POST"
    refused = client.delete("/admin/jobs/abc", headers={"X-API-Key": KEY})
    assert refused.status_code == 405
    assert refused.headers["allow"] == "GET, HEAD, OPTIONS, POST"
    assert client.options("/predict/x").headers["allow"] == "GET, HEAD, OPTIONS"


def test_a_request_id_is_kept_when_valid_and_made_otherwise(client: TestClient) -> None:
    kept = client.get("/healthz", headers={"X-Request-ID": "abc-123.de:f_9"})
    assert kept.headers["x-request-id"] == "abc-123.de:f_9"
    for bad in ("a" * 129, "no spaces", "<script>"):
        made = client.get("/healthz", headers={"X-Request-ID": bad}).headers["x-request-id"]
        assert made != bad
        assert len(made) == 32
    assert len(client.get("/healthz").headers["x-request-id"]) == 32


def test_a_job_is_logged_with_the_request_that_submitted_it(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO", logger="matchcast.tasks.client"):
        answer = client.post(
            "/admin/jobs/refresh_data", headers={"X-API-Key": KEY, "X-Request-ID": "req-42"}
        )
    assert answer.status_code == 202
    record = next(r for r in caplog.records if "submitted" in r.getMessage())
    assert record.request_id == "req-42"  # type: ignore[attr-defined]
    assert record.job_id == answer.json()["job_id"]  # type: ignore[attr-defined]


def test_a_job_keeps_the_request_that_submitted_it(client: TestClient) -> None:
    answer = client.post(
        "/admin/jobs/refresh_data", headers={"X-API-Key": KEY, "X-Request-ID": "req-43"}
    )
    assert answer.status_code == 202
    status = client.get(answer.headers["location"], headers={"X-API-Key": KEY})
    assert status.status_code == 200
    assert status.json()["request_id"] == "req-43"


def test_a_client_over_its_rate_gets_429_with_retry_after(tmp_path: Path) -> None:
    with app_client(tmp_path, rate_limit=RateLimit(per_s=1, burst=3)) as client:
        codes = [client.get("/leagues").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        refused = client.get("/leagues")
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert "x-content-type-options" in refused.headers
        assert client.get("/healthz").status_code == 200  # probes are not limited
        assert "matchcast_rate_limited_total 2.0" in client.get("/metrics").text


@pytest.mark.integration
def test_replicas_share_the_bucket_in_redis(tmp_path: Path, redis_url: str) -> None:
    # Both test clients come from the address "testclient": one client, two replicas.
    redis.Redis.from_url(redis_url).delete(KEY_PREFIX + "testclient")
    shared = RateLimit(per_s=0.5, burst=4, redis_url=redis_url)
    a_dir, b_dir = tmp_path / "a", tmp_path / "b"
    a_dir.mkdir()
    b_dir.mkdir()
    with (
        app_client(a_dir, rate_limit=shared) as first,
        app_client(b_dir, rate_limit=shared) as second,
    ):
        codes = [(first if n % 2 == 0 else second).get("/leagues").status_code for n in range(6)]
    assert codes == [200, 200, 200, 200, 429, 429]  # 4 tokens shared, not 4 each


def test_date_to_zero_is_not_a_date(client: TestClient) -> None:
    answer = client.get("/matches", params={"date_to": "0"})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["query", "date_to"]


def test_if_none_match_longer_than_documented_is_refused(
    client: TestClient, tmp_path: Path
) -> None:
    match_id = pd.read_parquet(tmp_path / "predictions.parquet")["match_id"].iloc[0]
    assert client.get(f"/predict/{match_id}", headers={"If-None-Match": "X" * 1024}).is_success
    answer = client.get(f"/predict/{match_id}", headers={"If-None-Match": "X" * 1025})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["header", "If-None-Match"]


def test_as_of_range_is_documented_and_enforced(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    request = schema["components"]["schemas"]["JobRequest"]["properties"]["as_of"]
    assert "2099-12-31" in request["description"]
    answer = client.post(
        "/admin/jobs/refresh_data", json={"as_of": "2100-01-01"}, headers={"X-API-Key": KEY}
    )
    assert answer.status_code == 422


def test_every_status_the_api_sends_is_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    submit = paths["/admin/jobs/{job}"]["post"]["responses"]
    assert {"400", "401", "413", "422", "429", "503"} <= set(submit)
    assert "Retry-After" in paths["/predict/{match_id}"]["get"]["responses"]["429"]["headers"]
    assert "WWW-Authenticate" in submit["401"]["headers"]
    assert (
        client.post(
            "/admin/jobs/refresh_data",
            content=b"\xc3\x28",  # not UTF-8: FastAPI answers 400
            headers={"X-API-Key": KEY, "Content-Type": "application/json"},
        ).status_code
        == 400
    )


def test_job_routes_answer_503_json_when_the_job_store_is_down(tmp_path: Path) -> None:
    with app_client(tmp_path, jobs=JobsConfig(UNREACHABLE_STORE)) as client:
        submitted = client.post("/admin/jobs/refresh_data", headers={"X-API-Key": KEY})
        read = client.get("/admin/jobs/some-id", headers={"X-API-Key": KEY})
    for answer in (submitted, read):
        assert answer.status_code == 503
        assert answer.headers["content-type"] == "application/json"
        assert answer.json()["detail"].startswith("the job store cannot be reached")
