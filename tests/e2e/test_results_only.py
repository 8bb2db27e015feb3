"""A results-only source end to end: ``dvc repro`` of a generic file without any odds.

Three synthetic leagues made here (two split-year, one calendar-year; labels written
``20-21``, ``2021`` and ``2021``/``2122`` compactly), six seasons each, no bookmaker prices.
The project's own ``dvc.yaml`` runs in a scratch project; evaluation must compare the model
with the baselines and say there is no market, the gates must decide without a market and
every scheduled match within the forecast horizon must get a forecast.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from tests.fixtures.horizon import scheduled_and_due
from tests.fixtures.results_only import synthetic_results
from tests.fixtures.scratch_project import make_project, project_params, repro, stage_env

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("results_only")
    source = synthetic_results(seasons=6, teams=16)
    source.to_csv(work / "results.csv", index=False)
    params = project_params()
    params["data"].update(
        {
            "leagues": [],
            "seasons": "all",
            "generic": [str(work / "results.csv")],
            "fixtures": False,
            "as_of": "2026-03-01",
        }
    )
    params["model"]["tuning"].update({"n_trials": 2, "timeout_s": 20})
    params["model"]["lightgbm"]["max_rounds"] = 200
    # ~1,400 test matches: the ECE of 10 bins carries ~0.03 of sampling noise at this size.
    params["register"]["gates"]["max_ece"] = 0.05
    make_project(work, params)
    done = repro(work, stage_env(work))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return work


def test_every_row_is_published_with_its_season(project: Path) -> None:
    matches = pd.read_parquet(project / "data/interim/matches.parquet")
    source = pd.read_csv(project / "results.csv")
    assert len(matches) == len(source)
    labels = set(matches["season"].astype(str))
    assert {"2020-21", "2021-22", "2021", "2026", "2025-26"} <= labels
    assert pd.read_csv(project / "data/quarantine/validation.csv").empty


def test_evaluation_says_there_is_no_market_and_uses_the_best_baseline(project: Path) -> None:
    report = json.loads((project / "reports/test_report.json").read_text())
    assert report["market"]["available"] is False
    assert "no market benchmark" in report["market"]["note"]
    assert report["gap"]["n"] == 0
    assert report["market_methods"] == {}
    bench = report["benchmark"]
    assert bench["kind"] == "baseline"
    losses = {name: block["log_loss"] for name, block in report["baselines"].items()}
    assert bench["name"] == min(losses, key=lambda name: losses[name])
    assert bench["gap"]["n"] == report["test"]["n"] > 1000
    assert bench["gap"]["log_loss"] == pytest.approx(
        report["test"]["log_loss"] - losses[bench["name"]], abs=1e-5
    )
    assert report["test"]["log_loss"] < losses["class_prior"] - 0.03
    assert set(report["per_league"]) == {"SYN1", "SYN2", "SYN3"}


def test_gates_decide_without_a_market_and_every_fixture_is_forecast(project: Path) -> None:
    registry = json.loads((project / "reports/registry.json").read_text())
    assert registry["gates_passed"] is True, registry["gate_failures"]
    assert registry["champion_version"] == registry["serving_version"]
    predictions = pd.read_parquet(project / "data/predictions/predictions.parquet")
    scheduled, within = scheduled_and_due(project)
    # every fixture within the forecast horizon (issue 10), in every league
    assert len(scheduled) > 100 and 20 < len(within) < len(scheduled)
    assert sorted(predictions["match_id"]) == sorted(within)
    total = predictions[["p_home", "p_draw", "p_away"]].sum(axis=1)
    assert ((total - 1.0).abs() < 1e-9).all()
    card = json.loads((project / "data/predictions/model.json").read_text())
    assert card["evaluation"]["market_log_loss"] is None
    assert card["evaluation"]["test_log_loss"] == pytest.approx(
        json.loads((project / "reports/metrics.json").read_text())["test"]["log_loss"]
    )
