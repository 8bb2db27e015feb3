"""Eleven days of live operation against a simulated site (issue 10, ADR-0012, ADR-0013).

A local football-data.co.uk (``tests/fixtures/simulated_site.py``) serves the Premier
League as it stood each morning from 20 February to 2 March 2026: results before the day,
the next seven days' fixtures with pre-match odds. time-machine moves the clock; the
workflow hands the clock's day to its stages. Day one runs the whole pipeline (the one
training); every later day runs ``workflow daily``. Chelsea v Burnley (21 February) is
postponed by a week on the morning of the 21st; Wolves v Aston Villa (27 February) is
listed, then withdrawn on the 24th. Nobody touches ``params.yaml``.

Kept lean (one league, five seasons, no tuning, no Dixon–Coles baseline): the point is
the day-by-day operation, not the model.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import time_machine
import yaml
from fastapi.testclient import TestClient
from tests.fixtures.scratch_project import store_env
from tests.fixtures.simulated_site import MatchRef, SimulatedSite

from matchcast.app.main import create_app
from matchcast.app.runtime import ServeConfig
from matchcast.app.state import ServingFiles
from matchcast.config import get_settings
from matchcast.data import clock, store
from matchcast.data.as_of import read_as_of
from matchcast.tasks.workflow import run_step

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FIRST_DAY = dt.date(2026, 2, 20)
DAYS = [FIRST_DAY + dt.timedelta(days=k) for k in range(11)]
POSTPONED = MatchRef(
    "E0", dt.date(2026, 2, 21), "Chelsea", "Burnley"
)  # 21 Feb, moved to 28 Feb on the 21st
POSTPONED_ID, MOVED_ID = "E0-2026-02-21-chelsea-burnley", "E0-2026-02-28-chelsea-burnley"
WITHDRAWN = MatchRef(
    "E0", dt.date(2026, 2, 27), "Wolves", "Aston Villa"
)  # 27 Feb, delisted on the 24th
WITHDRAWN_ID = "E0-2026-02-27-wolves-aston-villa"


def lean_params() -> dict[str, object]:
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["data"].update({"leagues": ["E0"], "seasons": {"first": "2021-22", "last": None}})
    params["model"].update({"kind": "logistic", "holdout_seasons": 1})
    params["model"]["tuning"].update({"n_trials": 0, "folds": 1})
    params["evaluate"].update({"test_seasons": 1, "big_five": ["E0"]})
    params["evaluate"]["dixon_coles"]["enabled"] = False
    # Five seasons of one league cannot pass the production gates; this test is about days.
    params["register"]["gates"] = {"min_gain_over_prior": 0.0, "max_ece": 1.0}
    return params


@pytest.fixture(scope="module")
def days(shared_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    work = tmp_path_factory.mktemp("live")
    shutil.copy(REPO / "dvc.yaml", work / "dvc.yaml")
    shutil.copy(REPO / ".dvcignore", work / ".dvcignore")
    (work / "params.yaml").write_text(yaml.safe_dump(lean_params(), sort_keys=False))
    (work / "src").symlink_to(REPO / "src", target_is_directory=True)
    subprocess.run([str(BIN / "dvc"), "init", "--no-scm", "-q"], cwd=work, check=True)
    params_digest = hashlib.sha256((work / "params.yaml").read_bytes()).hexdigest()
    site = SimulatedSite(
        shared_archive, ["E0"], ["2122", "2223", "2324", "2425", "2526"], FIRST_DAY,
        withdrawn={WITHDRAWN: dt.date(2026, 2, 24)},
    )  # fmt: skip
    saved = dict(os.environ)
    record: dict = {"work": work, "as_of": {}, "scored": {}, "steps": {}}
    with site.serve() as url:
        os.environ.update(
            {
                "MATCHCAST_FOOTBALL_DATA": url,
                **store_env(work),
                "MATCHCAST_PROJECT_DIR": str(work),
            }
        )
        for name in ("MATCHCAST_API_URL", clock.TODAY_ENV):
            os.environ.pop(name, None)
        get_settings.cache_clear()
        try:
            for day in DAYS:
                site.day = day
                if day == FIRST_DAY + dt.timedelta(days=1):
                    site.postponed[POSTPONED] = dt.date(2026, 2, 28)
                morning = dt.datetime.combine(day, dt.time(6, 0), tzinfo=dt.UTC)
                with time_machine.travel(morning, tick=True):
                    step = run_step("pipeline" if day == FIRST_DAY else "daily", work)
                record["steps"][day] = step
                record["as_of"][day] = read_as_of(work / "data/interim/as_of.json")
                quality = json.loads((work / "reports/live_quality.json").read_text())
                record["scored"][day] = quality["overall"]["n"]
        finally:
            os.environ.clear()
            os.environ.update(saved)
            get_settings.cache_clear()
    record["params_unchanged"] = (
        hashlib.sha256((work / "params.yaml").read_bytes()).hexdigest() == params_digest
    )
    yield record


def played(work: Path) -> pd.DataFrame:
    matches = pd.read_parquet(work / "data/interim/matches.parquet")
    window = (matches["date"] > pd.Timestamp(FIRST_DAY)) & (matches["status"] == "finished")
    return matches.loc[window]


def test_each_day_runs_live_at_that_day_and_nobody_edits_params(days: dict) -> None:
    assert days["params_unchanged"]
    assert {day: (a.mode, a.as_of) for day, a in days["as_of"].items()} == {
        day: ("live", day) for day in DAYS
    }
    assert [days["steps"][day].as_of for day in DAYS] == [day.isoformat() for day in DAYS]


def test_every_fixture_got_a_forecast_logged_before_its_day(days: dict) -> None:
    work = days["work"]
    finished = played(work)
    # 20 matches from 21 Feb to 1 Mar, less the withdrawn one; the postponed one counts once.
    assert len(finished) == 19
    assert MOVED_ID in set(finished["match_id"]) and POSTPONED_ID not in set(finished["match_id"])
    with store.migrated_engine(f"sqlite:///{work / 'store.db'}") as engine:
        log = store.load_prediction_log(engine)
    cut = pd.to_datetime(log["features_as_of"], utc=True).dt.tz_localize(None).dt.normalize()
    before = log.assign(cut=cut).merge(finished[["match_id", "date"]], on="match_id")
    before = before.loc[before["cut"] < before["date"]]
    assert set(before["match_id"]) == set(finished["match_id"])
    assert WITHDRAWN_ID in set(log["match_id"])  # it was forecast while it was listed


def test_results_are_scored_in_live_quality_the_next_day(days: dict) -> None:
    finished = played(days["work"])
    expected = {
        day: int((finished["date"] < pd.Timestamp(day)).sum()) for day in DAYS
    }  # matches played before the morning of `day`
    assert days["scored"] == expected
    assert days["scored"][DAYS[-1]] == 19


def test_the_postponed_match_first_id_still_answers_and_the_withdrawn_one_is_gone(
    days: dict,
) -> None:
    work = days["work"]
    files = ServingFiles(
        predictions=work / "data/predictions/predictions.parquet",
        model=work / "data/predictions/model.json",
        matches=work / "data/interim/matches.parquet",
        finished=work / "data/predictions/finished.parquet",
        moved=work / "data/predictions/moved.parquet",
    )
    with TestClient(create_app(ServeConfig(files=files))) as client:
        moved = client.get(f"/predict/{POSTPONED_ID}", follow_redirects=False)
        assert moved.status_code == 308
        assert moved.headers["location"].endswith(f"/predict/{MOVED_ID}")
        followed = client.get(f"/predict/{POSTPONED_ID}")
        assert followed.status_code == 200
        assert followed.json()["match_id"] == MOVED_ID
        gone = client.get(f"/predict/{WITHDRAWN_ID}")
        assert gone.status_code == 410
        assert "withdrawn from the fixtures" in gone.json()["detail"]
        model = client.get("/model").json()
        assert model["as_of"]["mode"] == "live" and model["as_of"]["as_of"] == "2026-03-02"
