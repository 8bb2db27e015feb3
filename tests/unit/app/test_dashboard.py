"""The dashboard page: served at /, self-contained, and built on the public API only."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def test_dashboard_is_served_as_html(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<title>matchcast" in response.text


def test_dashboard_loads_nothing_from_other_hosts(client: TestClient) -> None:
    page = client.get("/").text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "fetch(" in page
    assert not re.search(r"""fetch\(["'`]https?:""", page)


def test_dashboard_uses_only_routes_the_api_documents(client: TestClient) -> None:
    page = client.get("/").text
    documented = set(client.get("/openapi.json").json()["paths"])
    used = set(re.findall(r"""["'`](/(?:matches|model|predict))[?/"'`$]""", page))
    assert used == {"/matches", "/model"}  # forecasts come from each match's prediction_url
    assert {"/matches", "/model", "/predict/{match_id}"} <= documented
    assert "/predict/batch" not in page
