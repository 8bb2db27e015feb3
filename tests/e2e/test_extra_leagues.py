"""Each extra league alone end to end: ingest → batch_inference on its real file (issue 11).

One scratch project per country (``tests/fixtures/scratch_project.py``) with the project's
``dvc.yaml`` and ``params.yaml``, ``data`` narrowed to that one extra-leagues file and no
tuning trials; the stages run in one ``matchcast stages`` process (as the daily step runs
them, ADR-0018) so that four projects cost little. Each is evaluated against its own closing
odds and the release gates decide; where they refuse (USA), the batch stops in one line that
says how to serve anyway, the user promotes by hand, and the batch forecasts. Every
scheduled match of the horizon gets a forecast. The figures with the shipped tuning budget
are ``benchmarks/extra_leagues.py``'s (docs/benchmarks.md).
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from tests.fixtures.horizon import scheduled_and_due
from tests.fixtures.scratch_project import BIN, make_project, project_params, stage_env

from matchcast.tasks.workflow import WorkflowError, run_in_one_process

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

STAGES = (
    "ingest", "validate", "store", "features", "train", "evaluate", "markets", "market_aware",
    "register", "batch_inference",
)  # fmt: skip
#: Whether the release gates pass for the league alone. USA fails them on merit: MLS home
#: wins fell to 44-45 % in 2024 and 2025 (47-55 % before) and the model under-forecasts
#: away wins (ECE 0.034 against 0.026 by chance on 1,062 matches; the closing market 0.032);
#: item 6 of issue 11 (per-league home advantage) is what should change this.
GATES_PASS = {"ARG": True, "BRA": True, "MEX": True, "USA": False}


@dataclass(frozen=True)
class League:
    """A league's scratch project after its run; ``refused``: the batch's failure, if any."""

    country: str
    work: Path
    refused: str


@pytest.fixture(scope="module", params=sorted(GATES_PASS))
def league(
    request: pytest.FixtureRequest, shared_archive: Path, tmp_path_factory: pytest.TempPathFactory
) -> League:
    country = str(request.param)
    if not (shared_archive / "new" / f"{country}.csv").is_file():
        pytest.skip(f"the archive has no extra-leagues file {country}")
    work = tmp_path_factory.mktemp(f"extra_{country}")
    params = project_params()
    params["data"].update({"leagues": [], "extra_leagues": [country], "seasons": "all"})
    params["model"]["tuning"]["n_trials"] = 0  # the shipped defaults, not tuned here
    make_project(work, params)
    env = stage_env(work, shared_archive)
    if GATES_PASS[country]:
        run_in_one_process(work, list(STAGES), env)
        return League(country, work, "")
    with pytest.raises(WorkflowError, match="batch_inference") as refused:
        run_in_one_process(work, list(STAGES), env)
    version = json.loads((work / "reports/registry.json").read_text())["serving_version"]
    promote = [str(BIN / "matchcast"), "promote", "--version", str(version)]
    subprocess.run(promote, cwd=work, env=env, check=True, capture_output=True)
    run_in_one_process(work, ["batch_inference"], env)
    return League(country, work, str(refused.value))


def test_the_gates_decide_and_a_refusal_says_how_to_serve_anyway(league: League) -> None:
    registry = json.loads((league.work / "reports/registry.json").read_text())
    assert registry["gates_passed"] is GATES_PASS[league.country], registry["gate_failures"]
    if registry["gates_passed"]:
        assert registry["champion_version"] == registry["serving_version"]
        return
    assert "Traceback" not in league.refused
    errors = [line for line in league.refused.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1
    assert "no version has passed the release gates" in errors[0]
    assert "matchcast promote --version <serving_version>" in errors[0]


def test_it_is_evaluated_against_its_own_closing_odds(league: League) -> None:
    report = json.loads((league.work / "reports/test_report.json").read_text())
    assert set(report["per_league"]) == {league.country}
    assert len(report["test_seasons"]) == 2  # the last two complete seasons
    market = report["market"]
    assert market["n"] == report["test"]["n"] == report["gap"]["n"] > 600
    assert market["sources"] and all(source.startswith("close:") for source in market["sources"])
    assert report["gap"]["log_loss"] == pytest.approx(
        report["test"]["log_loss"] - market["log_loss"], abs=1e-5
    )


def test_every_due_scheduled_match_is_forecast_by_the_champion(league: League) -> None:
    predictions = pd.read_parquet(league.work / "data/predictions/predictions.parquet")
    scheduled, due = scheduled_and_due(league.work)
    assert len(scheduled) > len(due) > 0
    assert sorted(predictions["match_id"]) == sorted(due)
    total = predictions[["p_home", "p_draw", "p_away"]].sum(axis=1)
    assert ((total - 1.0).abs() < 1e-9).all()
    assert predictions["model_alias"].eq("champion").all()
    registry = json.loads((league.work / "reports/registry.json").read_text())
    assert set(predictions["model_version"].astype(str)) == {str(registry["serving_version"])}
