"""/readyz names the batch's age; in live mode a batch older than 36 h is not ready."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import time_machine
from fastapi.testclient import TestClient
from tests.fixtures.sample import model_metadata, write_serving_files

from matchcast.app.main import create_app
from matchcast.app.runtime import ServeConfig
from matchcast.data.io import write_json


def readyz_later(tmp_path: Path, mode: str, hours: float) -> dict:
    files, _, _ = write_serving_files(tmp_path)  # the batch is computed now
    card = model_metadata()
    card["as_of"] = {"mode": mode, "as_of": "2026-12-03", "reason": "test"}
    write_json(card, files.model)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)
    app = create_app(ServeConfig(files=files))
    with TestClient(app) as client, time_machine.travel(later, tick=False):
        response = client.get("/readyz")
    return {"status": response.status_code, **response.json()}


def test_a_live_batch_of_a_day_is_ready_and_says_how_old_it_is(tmp_path: Path) -> None:
    answer = readyz_later(tmp_path, "live", 24)
    assert answer["status"] == 200
    assert answer["checks"]["batch_age"]["ok"] is True
    assert answer["checks"]["batch_age"]["reason"].startswith("batch computed 24.0 h ago (live")


def test_a_live_batch_older_than_36_hours_is_not_ready(tmp_path: Path) -> None:
    answer = readyz_later(tmp_path, "live", 40)
    assert answer["status"] == 503
    assert (
        "batch_age: batch computed 40.0 h ago (live as of 2026-12-03): older than 36 h"
        in (answer["reason"])
    )


def test_a_replay_is_never_stale_by_the_clock(tmp_path: Path) -> None:
    answer = readyz_later(tmp_path, "replay", 400)
    assert answer["status"] == 200
    assert "(replay as of 2026-12-03)" in answer["checks"]["batch_age"]["reason"]
