"""Finished matches' logged forecasts through /predict and /matches, and GET /model/evaluation."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from tests.fixtures.sample import model_evaluation

from matchcast.app.main import create_app
from matchcast.app.runtime import ServeConfig
from matchcast.app.state import ServingFiles

Served = tuple[ServingFiles, pd.DataFrame, pd.DataFrame]


def finished_frame(served: Served) -> pd.DataFrame:
    assert served[0].finished is not None
    return pd.read_parquet(served[0].finished)


def wait_for(check: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_finished_match_serves_its_logged_forecast_with_result(
    client: TestClient, served: Served
) -> None:
    finished = finished_frame(served)
    matches = served[1].set_index("match_id")
    assert len(finished) > 5
    for row in finished.head(6).to_dict("records"):
        body = client.get(f"/predict/{row['match_id']}").json()
        assert body["status"] == "finished"
        assert body["result"] == matches.loc[row["match_id"], "result"]
        assert body["correct"] is (body["predicted"] == body["result"])
        assert body["p_home"] == pytest.approx(row["p_home"])
        assert body["model"]["features_as_of"] == row["features_as_of"]
        assert body["model"]["data_version"] == row["data_version"]
        assert body["reasons"] == []


def test_scheduled_forecasts_say_so_and_carry_no_result(client: TestClient, served: Served) -> None:
    body = client.get(f"/predict/{served[2]['match_id'].iloc[0]}").json()
    assert (body["status"], body["result"], body["correct"]) == ("scheduled", None, None)


def test_matches_link_finished_matches_to_their_published_forecast(
    client: TestClient, served: Served
) -> None:
    published = set(finished_frame(served)["match_id"])
    items = client.get("/matches", params={"status": "finished", "limit": 500}).json()["items"]
    assert {i["match_id"] for i in items if i["has_prediction"]} == published
    assert any(not i["has_prediction"] for i in items)
    for item in items:
        expected = f"/predict/{item['match_id']}" if item["has_prediction"] else None
        assert item["prediction_url"] == expected


def test_finished_match_without_a_logged_forecast_is_404(
    client: TestClient, served: Served
) -> None:
    published = set(finished_frame(served)["match_id"])
    matches = served[1]
    missing = matches[(matches["status"] == "finished") & ~matches["match_id"].isin(published)]
    response = client.get(f"/predict/{missing['match_id'].iloc[0]}")
    assert response.status_code == 404
    assert "is finished and has no published forecast" in response.json()["detail"]


def test_evaluation_is_served_as_published(client: TestClient) -> None:
    body = client.get("/model/evaluation").json()
    expected = model_evaluation()
    assert body["model"] == expected["model"]
    assert body["test"]["log_loss"] == pytest.approx(expected["test"]["log_loss"])
    assert set(body["baselines"]) == set(expected["baselines"])
    leagues = [r["league"] for r in expected["per_league"]]
    assert [r["league"] for r in body["per_league"]] == leagues
    assert len(body["calibration"]) == len(expected["calibration"])
    first = body["calibration"][0]
    assert first["mean_predicted"] == pytest.approx(expected["calibration"][0]["mean_predicted"])
    assert first["observed_rate"] == pytest.approx(expected["calibration"][0]["observed_rate"])


def test_evaluation_is_404_without_a_file_then_loaded_when_it_appears(
    tmp_path: Path, served: Served
) -> None:
    files = dataclasses.replace(served[0], evaluation=tmp_path / "later" / "evaluation.json")
    with TestClient(create_app(ServeConfig(files=files, reload_interval_s=0.1))) as client:
        response = client.get("/model/evaluation")
        assert response.status_code == 404
        assert "no model evaluation published" in response.json()["detail"]
        assert files.evaluation is not None
        files.evaluation.parent.mkdir()
        files.evaluation.write_bytes(b"{not json")
        assert wait_for(lambda: "JSONDecodeError" in client.get("/model/evaluation").text)
        files.evaluation.write_bytes(orjson.dumps(model_evaluation(version="2")))
        assert wait_for(lambda: client.get("/model/evaluation").status_code == 200)
        assert client.get("/model/evaluation").json()["model"]["version"] == "2"


def test_finished_file_with_a_scheduled_row_is_refused(tmp_path: Path, served: Served) -> None:
    broken = finished_frame(served).assign(status="scheduled")
    path = tmp_path / "broken.parquet"
    broken.to_parquet(path)
    files = dataclasses.replace(served[0], finished=path)
    with TestClient(create_app(ServeConfig(files=files, reload_interval_s=0))) as client:
        match_id = str(broken["match_id"].iloc[0])
        assert client.get(f"/predict/{match_id}").status_code == 404
        assert client.get("/readyz").status_code == 200  # scheduled forecasts still served
