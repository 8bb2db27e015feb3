"""The admin key: no empty or short key, two keys during rotation, checked before the body."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from tests.fixtures.sample import write_serving_files

from matchcast.app.main import create_app
from matchcast.app.runtime import ServeConfig
from matchcast.config import Settings
from matchcast.tasks.client import JobsConfig

pytestmark = pytest.mark.security

KEY = "current-key-0123456789"
NEXT_KEY = "next-key-abcdefghijklmnop"


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    files, _, _ = write_serving_files(tmp_path)
    jobs = JobsConfig(f"sqlite:///{tmp_path / 'store.db'}")
    config = ServeConfig(
        files=files, reload_interval_s=0, api_key=KEY, api_key_next=NEXT_KEY, jobs=jobs
    )
    return TestClient(create_app(config))


@pytest.mark.parametrize("value", ["", "short", "x" * 15])
def test_an_empty_or_short_key_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("MATCHCAST_API_KEY", value)
    with pytest.raises(ValidationError, match="at least 16 characters"):
        Settings()


@pytest.mark.parametrize("value", ["", "x" * 15])
def test_the_app_refuses_a_short_key_too(tmp_path: Path, value: str) -> None:
    files, _, _ = write_serving_files(tmp_path)
    with pytest.raises(ValueError, match="at least 16 characters"):
        create_app(ServeConfig(files=files, api_key=value))


def test_the_key_is_a_secret_in_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHCAST_API_KEY", KEY)
    settings = Settings()
    assert KEY not in repr(settings)
    assert settings.api_key is not None
    assert settings.api_key.get_secret_value() == KEY


@pytest.mark.parametrize("key", [KEY, NEXT_KEY])
def test_both_keys_are_accepted_during_a_rotation(client: TestClient, key: str) -> None:
    assert client.post("/admin/reload", headers={"X-API-Key": key}).status_code == 200


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({}, "missing X-API-Key header"),
        ({"X-API-Key": ""}, "invalid X-API-Key"),
        ({"X-API-Key": KEY[:-1]}, "invalid X-API-Key"),
    ],
)
def test_a_refused_key_gets_401_with_a_challenge_and_is_logged(
    client: TestClient,
    caplog: pytest.LogCaptureFixture,
    headers: dict[str, str],
    detail: str,
) -> None:
    with caplog.at_level(logging.WARNING, logger="matchcast.app.auth"):
        answer = client.post("/admin/jobs/refresh_data", headers=headers)
    assert answer.status_code == 401
    assert answer.json() == {"detail": detail}
    assert answer.headers["www-authenticate"] == 'ApiKey header="X-API-Key"'
    assert any("authentication failed" in r.getMessage() for r in caplog.records)
    assert "matchcast_auth_failures_total 1.0" in client.get("/metrics").text


def test_the_key_is_checked_before_the_body_is_read(client: TestClient) -> None:
    # Invalid JSON and an unknown field: before the fix FastAPI parsed and validated the
    # body first (400/422, echoing it); now the missing key is all that is looked at.
    answer = client.post(
        "/admin/jobs/refresh_data",
        content=b'{"as_of": "' + b"x" * 50_000 + b'"',
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 401
    assert b"xxxx" not in answer.content


def test_a_422_does_not_echo_the_input(client: TestClient) -> None:
    answer = client.post(
        "/admin/jobs/refresh_data", json={"as_of": "y" * 5000}, headers={"X-API-Key": KEY}
    )
    assert answer.status_code == 422
    assert "yyyy" not in answer.text
    assert answer.json()["detail"][0]["loc"] == ["body", "as_of"]
