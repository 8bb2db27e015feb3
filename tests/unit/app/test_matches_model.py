"""GET /matches (discovery, filters, pages) and GET /model."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from matchcast.app.state import ServingFiles

Served = tuple[ServingFiles, pd.DataFrame, pd.DataFrame]


def test_matches_lists_everything_sorted_without_probabilities(
    client: TestClient, served: Served
) -> None:
    matches = served[1]
    page = client.get("/matches", params={"limit": 500}).json()
    assert page["total"] == len(matches)
    kickoffs = [item["kickoff"] for item in page["items"]]
    assert kickoffs == sorted(kickoffs)
    assert {item["match_id"] for item in page["items"]} == set(matches["match_id"])
    assert not any(key.startswith("p_") for item in page["items"] for key in item)


def test_matches_filters_by_league_status_and_dates(client: TestClient, served: Served) -> None:
    matches = served[1]
    params = {
        "league": "E0",
        "status": "scheduled",
        "date_from": "2026-03-05",
        "date_to": "2026-03-20",
    }
    page = client.get("/matches", params=params).json()
    day = pd.to_datetime(matches["date"])
    expected = matches[
        (matches["league"] == "E0")
        & (matches["status"] == "scheduled")
        & (day >= "2026-03-05")
        & (day <= "2026-03-20")
    ]
    assert page["total"] == len(expected) > 0
    assert {i["match_id"] for i in page["items"]} == set(expected["match_id"])
    assert all(i["date"] >= "2026-03-05" and i["date"] <= "2026-03-20" for i in page["items"])


def test_matches_pages_cover_the_list_once(client: TestClient, served: Served) -> None:
    seen: list[str] = []
    offset = 0
    while True:
        page = client.get("/matches", params={"limit": 7, "offset": offset}).json()
        seen += [i["match_id"] for i in page["items"]]
        offset += 7
        if offset >= page["total"]:
            break
    assert sorted(seen) == sorted(served[1]["match_id"])
    assert len(seen) == len(set(seen))


def test_matches_link_to_forecasts_only_where_they_exist(
    client: TestClient, served: Served
) -> None:
    predicted = set(served[2]["match_id"])
    items = client.get("/matches", params={"status": "scheduled", "limit": 500}).json()["items"]
    for item in items:
        assert item["has_prediction"] == (item["match_id"] in predicted)
        if item["has_prediction"]:
            assert client.get(item["prediction_url"]).status_code == 200
    finished = client.get("/matches", params={"status": "finished", "limit": 1}).json()["items"][0]
    assert finished["result"] in {"H", "D", "A"}
    assert isinstance(finished["home_goals"], int)


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 501},
        {"limit": 0},
        {"offset": -1},
        {"status": "postponed"},
        {"date_from": "2026-13-01"},
        {"league": "E0;drop"},
        {"date_to": "0"},
    ],
)
def test_matches_rejects_malformed_filters(client: TestClient, params: dict[str, object]) -> None:
    assert client.get("/matches", params=params).status_code == 422


def test_an_inverted_date_range_matches_nothing(client: TestClient) -> None:
    page = client.get("/matches", params={"date_from": "2026-03-10", "date_to": "2026-03-01"})
    assert page.status_code == 200
    assert page.json()["total"] == 0


def test_model_reports_champion_and_market_evaluation(client: TestClient, served: Served) -> None:
    body = client.get("/model").json()
    assert (body["name"], body["version"], body["alias"]) == ("matchcast-1x2", "1", "champion")
    assert body["run_id"] == "run11111111"
    assert body["data_version"] == "train-data-v1"
    assert body["evaluation"]["gap_log_loss"] == pytest.approx(0.01)
    assert body["evaluation"]["market_rps"] == pytest.approx(0.2)
    assert body["predictions"]["n_predictions"] == len(served[2])
    assert body["predictions"]["data_version"] == "data-v1"


def test_model_carries_the_value_backtests_and_the_market_aware_comparison(
    client: TestClient, served: Served
) -> None:
    files = served[0]
    published = json.loads(files.model.read_text())
    body = client.get("/model").json()
    assert body["value"] == published["value"]
    assert set(body["value"]["markets"]) == {"1x2", "over_under_2_5", "asian_handicap"}
    for backtest in body["value"]["markets"].values():
        assert backtest["verdict"]
        assert backtest["curve"][-1]["kelly_bankroll"] == pytest.approx(
            backtest["kelly"]["final_bankroll"], abs=1e-4
        )
    aware = body["market_aware"]
    assert aware["default"] == "football"
    assert set(aware["forecasters"]) == {"football_only", "market_aware", "pre_match", "closing"}
    assert aware["forecasters"]["closing"]["gap_to_closing"] is None  # itself: no gap
