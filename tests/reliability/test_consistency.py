"""The API serves one consistent version: forecasts and model card swap together or not."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient
from tests.fixtures.sample import (
    model_metadata,
    synthetic_predictions,
    write_serving_files,
)

from matchcast.app.main import create_app
from matchcast.app.runtime import ServeConfig
from matchcast.data.io import write_json, write_parquet

KEY = "consistency-key-0123456789"
HEADERS = {"X-API-Key": KEY}


def versions(client: TestClient, match_id: str) -> tuple[str, str]:
    """(the /model version, the model version of a served forecast)."""
    card = client.get("/model").json()["version"]
    forecast = client.get(f"/predict/{match_id}").json()["model"]["version"]
    return card, forecast


def test_a_corrupt_forecast_file_holds_back_the_new_model_card(tmp_path: Path) -> None:
    files, _, predictions = write_serving_files(tmp_path)
    match_id = str(predictions["match_id"].iloc[0])
    with TestClient(
        create_app(ServeConfig(files=files, reload_interval_s=0, api_key=KEY))
    ) as client:
        assert versions(client, match_id) == ("1", "1")
        files.predictions.write_bytes(b"PAR1 truncated")
        write_json(model_metadata("99"), files.model)
        assert client.post("/admin/reload", headers=HEADERS).status_code == 409
        assert versions(client, match_id) == ("1", "1")  # before the fix: ("99", "1")
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert "predictions failed to load" in ready.json()["reason"]
        metrics = client.get("/metrics").text
        lines = [x for x in metrics.splitlines() if x.startswith("matchcast_load_failures_total")]
        assert 'matchcast_load_failures_total{component="predictions"} 1.0' in lines, lines


def test_forecasts_and_card_of_different_models_are_not_swapped_in(tmp_path: Path) -> None:
    files, matches, predictions = write_serving_files(tmp_path)
    match_id = str(predictions["match_id"].iloc[0])
    with TestClient(
        create_app(ServeConfig(files=files, reload_interval_s=0, api_key=KEY))
    ) as client:
        write_parquet(synthetic_predictions(matches, model_version="2"), files.predictions)
        answer = client.post("/admin/reload", headers=HEADERS)
        assert answer.status_code == 409
        assert "model version 2 but model.json is version 1" in answer.json()["detail"]
        assert versions(client, match_id) == ("1", "1")
        # the batch's second file arrives: now both swap, and the API is ready again
        write_json(model_metadata("2"), files.model)
        assert client.post("/admin/reload", headers=HEADERS).status_code == 200
        assert versions(client, match_id) == ("2", "2")
        assert client.get("/readyz").status_code == 200


def test_the_watcher_counts_a_failed_load(tmp_path: Path) -> None:
    files, _, _ = write_serving_files(tmp_path)
    with TestClient(create_app(ServeConfig(files=files, reload_interval_s=0.1))) as client:
        files.matches.write_bytes(b"not parquet")
        deadline = time.monotonic() + 10
        metric = 'matchcast_load_failures_total{component="matches"} 1.0'
        while metric not in client.get("/metrics").text and time.monotonic() < deadline:
            time.sleep(0.05)
        assert metric in client.get("/metrics").text
        assert "matches failed to load" in client.get("/readyz").json()["reason"]
