"""Liveness, readiness, metrics, admin reload, the file watcher and swaps under load."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from tests.fixtures.sample import (
    model_metadata,
    serving_files,
    synthetic_matches,
    synthetic_predictions,
    write_serving_files,
)

from matchcast.app.main import create_app
from matchcast.app.runtime import ServeConfig
from matchcast.app.state import ServingFiles
from matchcast.data.io import write_json, write_parquet

Served = tuple[ServingFiles, pd.DataFrame, pd.DataFrame]

API_KEY = "test-key-0123456789"


def wait_for(condition: object, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_healthz_and_readyz_when_loaded(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["ready"] is True
    assert ready.json()["data_version"] == "data-v1"


def test_not_ready_until_files_appear_then_watcher_loads_them(tmp_path: Path) -> None:
    files = serving_files(tmp_path)
    config = ServeConfig(files=files, reload_interval_s=0.1)
    with TestClient(create_app(config)) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert "predictions not loaded" in ready.json()["reason"]
        assert "model metadata not loaded" in ready.json()["reason"]
        assert client.get("/predict/E0-2026-03-07-a-b").status_code == 503
        assert client.get("/model").status_code == 503
        write_serving_files(tmp_path)
        assert wait_for(lambda: client.get("/readyz").status_code == 200)


def test_metrics_use_route_templates_and_describe_the_model(
    client: TestClient, served: Served
) -> None:
    match_id = served[2]["match_id"].iloc[0]
    client.get(f"/predict/{match_id}")
    client.get("/predict/E0-2026-03-07-nobody-nowhere")
    client.get("/no/such/path")
    text = client.get("/metrics").text
    assert (
        'matchcast_http_requests_total{method="GET",route="/predict/{match_id}",status="200"} 1.0'
        in text
    )
    assert 'route="/predict/{match_id}",status="404"' in text
    assert 'route="<unmatched>",status="404"' in text
    assert match_id not in text
    assert "matchcast_http_request_duration_seconds_bucket" in text
    assert "matchcast_predictions_served_total 1.0" in text
    assert (
        'matchcast_model_info{alias="champion",data_version="train-data-v1",name="matchcast-1x2"'
        in text
    )
    assert f"matchcast_predictions_loaded {float(len(served[2]))}" in text
    age = next(x for x in text.splitlines() if x.startswith("matchcast_predictions_age_seconds "))
    assert 0 <= float(age.split()[1]) < 600


def test_etag_hits_and_misses_are_counted(client: TestClient, served: Served) -> None:
    match_id = served[2]["match_id"].iloc[0]
    etag = client.get(f"/predict/{match_id}").headers["etag"]
    client.get(f"/predict/{match_id}", headers={"If-None-Match": etag})
    client.get(f"/predict/{match_id}", headers={"If-None-Match": '"old"'})
    text = client.get("/metrics").text
    assert 'matchcast_cache_hits_total{cache="etag"} 1.0' in text
    assert 'matchcast_cache_misses_total{cache="etag"} 1.0' in text


@pytest.mark.parametrize(
    ("headers", "detail"),
    [({}, "missing X-API-Key header"), ({"X-API-Key": "nope"}, "invalid X-API-Key")],
)
def test_admin_reload_needs_the_key(
    client: TestClient, headers: dict[str, str], detail: str
) -> None:
    response = client.post("/admin/reload", headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"] == detail


def test_admin_disabled_without_a_configured_key(served: Served) -> None:
    with TestClient(create_app(ServeConfig(files=served[0], reload_interval_s=0))) as client:
        response = client.post("/admin/reload", headers={"X-API-Key": "anything"})
    assert response.status_code == 401
    assert "MATCHCAST_API_KEY is not set" in response.json()["detail"]


def test_admin_reload_swaps_in_the_new_file(served: Served) -> None:
    files, matches, _ = served
    with TestClient(
        create_app(ServeConfig(files=files, reload_interval_s=0, api_key=API_KEY))
    ) as client:
        write_parquet(
            synthetic_predictions(matches, data_version="data-v2", model_version="2"),
            files.predictions,
        )
        write_json(model_metadata("2"), files.model)  # a batch publishes both
        assert client.get("/readyz").json()["data_version"] == "data-v1"
        response = client.post("/admin/reload", headers={"X-API-Key": API_KEY})
        assert response.status_code == 200
        assert response.json()["data_version"] == "data-v2"
        assert client.get("/readyz").json()["data_version"] == "data-v2"
        assert 'matchcast_reloads_total{component="predictions"} 2.0' in client.get("/metrics").text


def test_admin_reload_keeps_serving_when_the_new_file_is_broken(served: Served) -> None:
    files, _, predictions = served
    with TestClient(
        create_app(ServeConfig(files=files, reload_interval_s=0, api_key=API_KEY))
    ) as client:
        broken = predictions.assign(p_home=predictions["p_home"] + 0.1)
        write_parquet(broken, files.predictions)
        response = client.post("/admin/reload", headers={"X-API-Key": API_KEY})
        assert response.status_code == 409
        assert "do not sum to 1" in response.json()["detail"]
        assert client.get(f"/predict/{predictions['match_id'].iloc[0]}").status_code == 200


def test_watcher_notices_a_new_file_by_itself(client: TestClient, served: Served) -> None:
    files, matches, _ = served
    write_parquet(synthetic_predictions(matches, data_version="data-v2"), files.predictions)
    assert wait_for(lambda: client.get("/readyz").json()["data_version"] == "data-v2", timeout_s=5)


def test_no_request_fails_during_swaps(client: TestClient, served: Served) -> None:
    files, matches, first = served
    versions = [
        synthetic_predictions(matches, data_version=f"data-v{i}", seed=i) for i in range(2, 6)
    ]
    # Matches forecast in every version, the first one served included (it leaves two out).
    ids = list(first["match_id"])
    assert all(set(ids) <= set(frame["match_id"]) for frame in versions)
    failures: list[tuple[int, str]] = []
    seen_versions: set[str] = set()
    stop = threading.Event()

    def hammer() -> None:
        i = 0
        while not stop.is_set():
            response = client.get(f"/predict/{ids[i % len(ids)]}")
            if response.status_code != 200:
                failures.append((response.status_code, response.text))
            else:
                seen_versions.add(response.json()["model"]["data_version"])
            i += 1

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for frame in versions:
            write_parquet(frame, files.predictions)
            assert client.post("/admin/reload", headers={"X-API-Key": API_KEY}).status_code == 200
            time.sleep(0.15)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert failures == []
    assert len(seen_versions) >= 3


def test_cors_is_off_by_default_and_configurable(served: Served) -> None:
    origin = {"Origin": "https://example.org"}
    match_id = served[2]["match_id"].iloc[0]
    with TestClient(create_app(ServeConfig(files=served[0], reload_interval_s=0))) as client:
        assert (
            "access-control-allow-origin"
            not in client.get(f"/predict/{match_id}", headers=origin).headers
        )
    config = ServeConfig(
        files=served[0], reload_interval_s=0, cors_origins=("https://example.org",)
    )
    with TestClient(create_app(config)) as client:
        response = client.get(f"/predict/{match_id}", headers=origin)
        assert response.headers["access-control-allow-origin"] == "https://example.org"


def test_catalog_falls_back_to_predictions_without_a_match_table(tmp_path: Path) -> None:
    files = serving_files(tmp_path)
    predictions = synthetic_predictions(synthetic_matches())
    write_parquet(predictions, files.predictions)
    write_json(model_metadata(), files.model)
    with TestClient(create_app(ServeConfig(files=files, reload_interval_s=0))) as client:
        page = client.get("/matches", params={"limit": 500}).json()
        assert page["total"] == len(predictions)
        assert all(i["status"] == "scheduled" and i["has_prediction"] for i in page["items"])
        assert client.get("/readyz").json()["matches_loaded"] is True


def test_openapi_documents_every_route_with_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {
        "/predict/{match_id}",
        "/matches",
        "/model",
        "/healthz",
        "/readyz",
        "/metrics",
        "/admin/reload",
    } <= set(spec["paths"])
    schemas = spec["components"]["schemas"]
    for name in ("PredictionRecord", "MatchPage", "ModelInfo"):
        assert schemas[name]["examples"], name
    predict = spec["paths"]["/predict/{match_id}"]["get"]
    assert {"200", "304", "404", "422", "503"} <= set(predict["responses"])
    param = next(p for p in predict["parameters"] if p["name"] == "match_id")
    assert param["schema"]["maxLength"] == 120
    assert param["schema"]["examples"] == ["E0-2026-03-07-arsenal-chelsea"]
    assert any(p["name"] == "If-None-Match" and p["in"] == "header" for p in predict["parameters"])
