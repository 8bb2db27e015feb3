"""The dashboard: served at /, self-contained, and built on the public API only."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

ASSETS = ("/static/dashboard.css", "/static/dashboard.js")


def page_and_assets(client: TestClient) -> str:
    return "\n".join(client.get(path).text for path in ("/", *ASSETS))


def test_dashboard_is_served_as_html_with_its_own_assets(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<title>matchcast" in response.text
    for path, kind in zip(ASSETS, ("text/css", "text/javascript"), strict=True):
        assert path in response.text
        asset = client.get(path)
        assert asset.status_code == 200
        assert asset.headers["content-type"].startswith(kind)


@pytest.mark.parametrize("name", ["index.html", "../state.py", "dashboard.map", "x.js"])
def test_only_the_dashboards_own_assets_are_served(client: TestClient, name: str) -> None:
    assert client.get(f"/static/{name}").status_code == 404


def test_dashboard_loads_nothing_from_other_hosts(client: TestClient) -> None:
    text = page_and_assets(client)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)
    assert not re.search(r"""url\(\s*["']?(https?:)?//""", text)
    assert "fetch(" in text
    assert not re.search(r"""fetch\(["'`]https?:""", text)
    assert "import " not in client.get("/static/dashboard.js").text  # no modules from anywhere


def test_dashboard_uses_only_routes_the_api_documents(client: TestClient) -> None:
    script = client.get("/static/dashboard.js").text
    documented = set(client.get("/openapi.json").json()["paths"])
    used = set(re.findall(r"""getJSON\(\s*[`"'](/[a-z/-]*)""", script))
    assert used == {"/matches", "/model", "/leagues", "/model/evaluation", "/model/live-quality"}
    assert used <= documented
    # Forecasts come one by one from each match's prediction_url (GET /predict/{match_id}).
    assert "getJSON(match.prediction_url" in script
    assert "/predict/batch" not in script
