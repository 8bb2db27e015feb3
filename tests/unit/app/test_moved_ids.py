"""A client holding the id of a postponed match is redirected; a withdrawn fixture is 410."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
from fastapi.testclient import TestClient
from tests.fixtures.sample import write_serving_files

from matchcast.app.main import create_app
from matchcast.app.runtime import ServeConfig
from matchcast.data.identity import moved_ids, write_moved


def test_old_id_answers_308_to_the_new_one_and_a_withdrawn_fixture_410(tmp_path: Path) -> None:
    files, matches, predictions = write_serving_files(tmp_path)
    matches = matches.assign(home_team_id=matches["match_id"], away_team_id="x")
    target = predictions.iloc[0]
    current = matches[matches["match_id"] == target["match_id"]]
    # Earlier batches listed the same match a week earlier, and a fixture since withdrawn.
    postponed_from = "E0-2026-02-01-home-0-away-0"
    seen = pd.concat(
        [
            current.assign(match_id=postponed_from, date=pd.Timestamp("2026-02-01")),
            current.assign(
                match_id="E0-2026-02-02-gone-fc-away-0",
                home_team_id="gone",
                date=pd.Timestamp("2026-02-02"),
            ),
        ]
    )
    write_moved(moved_ids(seen, matches), tmp_path / "moved.parquet")
    files = dataclasses.replace(files, moved=tmp_path / "moved.parquet")
    with TestClient(create_app(ServeConfig(files=files))) as client:
        moved = client.get(f"/predict/{postponed_from}", follow_redirects=False)
        assert moved.status_code == 308
        assert moved.headers["location"].endswith(f"/predict/{target['match_id']}")
        assert moved.json()["moved_to"] == target["match_id"]
        followed = client.get(f"/predict/{postponed_from}")
        assert followed.status_code == 200 and followed.json()["match_id"] == target["match_id"]
        gone = client.get("/predict/E0-2026-02-02-gone-fc-away-0")
        assert gone.status_code == 410
        assert "was withdrawn from the fixtures" in gone.json()["detail"]
        assert client.get("/predict/E0-2026-02-03-never-listed").status_code == 404
