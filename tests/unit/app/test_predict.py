"""GET /predict/{match_id}: records, precise errors, ETag/304, and no batch endpoint."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from tests.fixtures.sample import model_metadata, write_serving_files

from matchcast.app.main import create_app
from matchcast.app.runtime import ServeConfig
from matchcast.app.state import ServingFiles
from matchcast.data.io import write_json

Served = tuple[ServingFiles, pd.DataFrame, pd.DataFrame]


def test_record_carries_probabilities_reasons_and_provenance(
    client: TestClient, served: Served
) -> None:
    _, _, predictions = served
    row = predictions.iloc[3]
    response = client.get(f"/predict/{row['match_id']}")
    assert response.status_code == 200
    body = response.json()
    assert body["match_id"] == row["match_id"]
    assert body["p_home"] == pytest.approx(row["p_home"], abs=1e-12)
    assert body["p_home"] + body["p_draw"] + body["p_away"] == pytest.approx(1.0, abs=1e-9)
    assert body["predicted"] == row["predicted"]
    assert body["fair_odds"]["home"] == pytest.approx(1 / row["p_home"])
    assert body["reasons"][0]["factor"] == "rating"
    assert body["model"] == {
        "name": "matchcast-1x2",
        "version": "1",
        "alias": "champion",
        "run_id": "run11111111",
        "data_version": "data-v1",
        "features_as_of": "2026-03-01",
        "computed_at": body["model"]["computed_at"],
    }
    assert body["kickoff"].endswith("Z")
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "public, max-age=60"


def test_market_odds_are_null_when_unknown(client: TestClient, served: Served) -> None:
    _, _, predictions = served
    without = predictions[predictions["market_odds_home"].isna()].iloc[0]
    with_odds = predictions[predictions["market_odds_home"].notna()].iloc[0]
    assert client.get(f"/predict/{without['match_id']}").json()["market_odds"] is None
    odds = client.get(f"/predict/{with_odds['match_id']}").json()["market_odds"]
    assert odds["home"] == pytest.approx(with_odds["market_odds_home"])
    assert odds["source"] == "market_avg"


def test_etag_gives_304_while_unchanged(client: TestClient, served: Served) -> None:
    match_id = served[2]["match_id"].iloc[0]
    first = client.get(f"/predict/{match_id}")
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = client.get(f"/predict/{match_id}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert (
        client.get(f"/predict/{match_id}", headers={"If-None-Match": f'"x", W/{etag}'}).status_code
        == 304
    )
    stale = client.get(f"/predict/{match_id}", headers={"If-None-Match": '"stale"'})
    assert stale.status_code == 200
    assert stale.content == first.content


def test_unknown_match_is_404_with_precise_detail(client: TestClient) -> None:
    response = client.get("/predict/E0-2026-03-07-nobody-nowhere")
    assert response.status_code == 404
    assert response.json()["detail"] == (
        "unknown match_id 'E0-2026-03-07-nobody-nowhere': no such match in the match table "
        "(see GET /matches)"
    )


def test_finished_match_is_404_saying_so(client: TestClient, served: Served) -> None:
    finished = served[1][served[1]["status"] == "finished"]["match_id"].iloc[0]
    response = client.get(f"/predict/{finished}")
    assert response.status_code == 404
    assert "is finished" in response.json()["detail"]


def test_scheduled_match_without_forecast_is_404_saying_so(
    client: TestClient, served: Served
) -> None:
    _, matches, predictions = served
    missing = sorted(
        set(matches[matches["status"] == "scheduled"]["match_id"]) - set(predictions["match_id"])
    )
    assert len(missing) == 2
    response = client.get(f"/predict/{missing[0]}")
    assert response.status_code == 404
    assert response.json()["detail"] == (
        f"match {missing[0]!r} is scheduled but has no forecast in predictions data-v1"
    )


def test_a_match_beyond_the_horizon_is_404_naming_the_horizon(tmp_path: Path) -> None:
    files, matches, predictions = write_serving_files(tmp_path)
    write_json({**model_metadata(), "horizon_days": 14}, files.model)
    scheduled = set(matches.loc[matches["status"] == "scheduled", "match_id"])
    missing = sorted(scheduled - set(predictions["match_id"]))[0]
    with TestClient(create_app(ServeConfig(files=files))) as client:
        detail = client.get(f"/predict/{missing}").json()["detail"]
        assert client.get("/model").json()["horizon_days"] == 14
    assert detail == (
        f"match {missing!r} is scheduled but has no forecast in predictions data-v1: the "
        "batch forecasts matches up to 14 days after 2026-03-01; a later day's batch will"
    )


@pytest.mark.parametrize(
    "bad_id", ["has space", "semi;colon", "trailing-", "-leading", "a--b", "x" * 121]
)
def test_malformed_id_is_422(client: TestClient, bad_id: str) -> None:
    assert client.get(f"/predict/{bad_id}").status_code == 422


def test_longest_allowed_id_is_not_malformed(client: TestClient) -> None:
    assert client.get("/predict/" + "x" * 120).status_code == 404


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("POST", "/predict/batch"),
        ("POST", "/predict"),
        ("GET", "/predict?ids=E0-2026-03-07-a-b,E0-2026-03-08-c-d"),
        ("GET", "/predict"),
        ("POST", "/predict/E0-2026-03-07-a-b"),
    ],
)
def test_no_http_batch_endpoint(client: TestClient, method: str, url: str) -> None:
    """ADR-0006 (docs/adr/0006-no-http-batch-endpoint.md): forecasts are served one match at
    a time; bulk consumers read predictions.parquet. No route may accept a list of ids."""
    assert client.request(method, url, json={"match_ids": ["E0-2026-03-07-a-b"]}).status_code in {
        404,
        405,
    }


def test_openapi_offers_no_batch_route(client: TestClient) -> None:
    """ADR-0006: the only prediction route is GET /predict/{match_id}."""
    paths = client.get("/openapi.json").json()["paths"]
    predict_paths = {p: set(ops) for p, ops in paths.items() if p.startswith("/predict")}
    assert predict_paths == {"/predict/{match_id}": {"get"}}


def test_record_carries_every_market_consistent_with_its_1x2(
    client: TestClient, served: Served
) -> None:
    row = served[2].iloc[2]
    body = client.get(f"/predict/{row['match_id']}").json()
    markets = body["markets"]
    assert list(markets) == [
        "1x2", "double_chance", "over_under", "btts", "asian_handicap",
        "correct_scores", "expected_goals",
    ]  # fmt: skip
    assert markets["1x2"]["home"] == pytest.approx(body["p_home"], abs=1e-5)
    assert markets["1x2"]["away"] == pytest.approx(body["p_away"], abs=1e-5)
    assert markets["double_chance"]["home_or_draw"] == pytest.approx(
        body["p_home"] + body["p_draw"], abs=1e-5
    )
    assert [x["line"] for x in markets["over_under"]] == [0.5, 1.5, 2.5, 3.5, 4.5]
    assert len(markets["correct_scores"]) == 10


def test_markets_filter_selects_markets_by_name_or_short_name(
    client: TestClient, served: Served
) -> None:
    match_id = served[2]["match_id"].iloc[2]
    full = client.get(f"/predict/{match_id}").json()
    response = client.get(f"/predict/{match_id}", params={"markets": "ou,btts,asian_handicap"})
    assert response.status_code == 200
    body = response.json()
    assert list(body["markets"]) == ["over_under", "btts", "asian_handicap"]
    assert body["markets"]["btts"] == full["markets"]["btts"]
    assert {k: v for k, v in body.items() if k != "markets"} == {
        k: v for k, v in full.items() if k != "markets"
    }
    assert response.headers["content-type"] == "application/json"
    etag = response.headers["etag"]
    assert etag != client.get(f"/predict/{match_id}").headers["etag"]
    again = client.get(
        f"/predict/{match_id}", params={"markets": "ou,btts,ah"}, headers={"If-None-Match": etag}
    )
    assert again.status_code == 304


def test_markets_filter_names_unknown_markets(client: TestClient, served: Served) -> None:
    match_id = served[2]["match_id"].iloc[0]
    response = client.get(f"/predict/{match_id}", params={"markets": "ou,corners,xx"})
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"] == ["query", "markets"]
    assert error["msg"].startswith("unknown markets ['corners', 'xx']: choose from 1x2,")
    for bad in ("", "ou,", "OU", "<script>" * 50):
        answer = client.get(f"/predict/{match_id}", params={"markets": bad})
        assert answer.status_code == 422
        assert answer.json()["detail"][0]["msg"].startswith(
            "markets must be a comma-separated list of market names"
        )
        assert "script" not in answer.text


def test_finished_records_have_null_markets(client: TestClient, served: Served) -> None:
    files = served[0]
    finished = pd.read_parquet(files.finished)
    match_id = finished["match_id"].iloc[0]
    assert client.get(f"/predict/{match_id}").json()["markets"] is None
    filtered = client.get(f"/predict/{match_id}", params={"markets": "xg"})
    assert filtered.status_code == 200
    assert filtered.json()["markets"] is None


def test_record_says_its_forecast_kind_and_carries_the_market_aware_one(
    client: TestClient, served: Served
) -> None:
    _, _, predictions = served
    with_odds = predictions[predictions["market_odds_home"].notna()].iloc[0]
    without = predictions[predictions["market_odds_home"].isna()].iloc[0]
    body = client.get(f"/predict/{with_odds['match_id']}").json()
    assert body["forecast_kind"] == "football"
    assert body["market_aware"] == {
        "home": pytest.approx(with_odds["p_market_aware_home"]),
        "draw": pytest.approx(with_odds["p_market_aware_draw"]),
        "away": pytest.approx(with_odds["p_market_aware_away"]),
    }
    assert body["p_home"] == pytest.approx(with_odds["p_home"])
    bare = client.get(f"/predict/{without['match_id']}?markets=ou").json()
    assert bare["forecast_kind"] == "football"
    assert bare["market_aware"] is None
