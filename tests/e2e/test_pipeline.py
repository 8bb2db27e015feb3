"""The whole pipeline, ``dvc repro`` from ingest to batch_inference, on a small real slice.

The project's own ``dvc.yaml`` runs in a scratch DVC project with a ``params.yaml`` that
selects two divisions and a small tuning budget; MLflow, the SQL store and every output
live in that scratch folder. Then the served API answers for a scheduled match.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from tests.fixtures.horizon import scheduled_and_due
from tests.fixtures.scratch_project import make_project, project_params, repro, stage_env

from matchcast.app.main import create_app
from matchcast.app.runtime import ServeConfig
from matchcast.app.state import ServingFiles

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def project(shared_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("pipeline")
    params = project_params()
    params["data"].update({"leagues": ["E0", "E1"], "seasons": {"first": "2014-15", "last": None}})
    params["model"]["tuning"].update({"n_trials": 2, "timeout_s": 20})
    make_project(work, params)
    env = stage_env(work, shared_archive)
    done = repro(work, env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    # A second repro with nothing changed re-runs only the always-changed ingest.
    again = repro(work, env)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "Stage 'train' didn't change, skipping" in again.stdout
    return work


def test_every_scheduled_match_within_the_horizon_gets_one_forecast(project: Path) -> None:
    predictions = pd.read_parquet(project / "data/predictions/predictions.parquet")
    scheduled, within = scheduled_and_due(project)
    # the rest of the season is scheduled (a replay); only the horizon's matches are forecast
    assert len(scheduled) > 100 and 20 < len(within) < len(scheduled)
    assert sorted(predictions["match_id"]) == sorted(within)
    total = predictions[["p_home", "p_draw", "p_away"]].sum(axis=1)
    assert ((total - 1.0).abs() < 1e-9).all()
    assert predictions["model_alias"].eq("champion").all()


def test_metrics_compare_model_and_market_on_the_same_matches(project: Path) -> None:
    metrics = json.loads((project / "reports/metrics.json").read_text())
    full = json.loads((project / "reports/test_report.json").read_text())
    # `dvc metrics show` gets the headline; the detail stays in the full report.
    assert {"test", "market", "gap", "per_season"} <= set(metrics)
    assert not {"per_league", "baselines", "market_methods", "big_five"} & set(metrics)
    assert {key: full[key] for key in metrics} == metrics
    assert metrics["test"]["n"] == metrics["market"]["n"] > 500
    assert metrics["test"]["log_loss"] < full["baselines"]["class_prior"]["log_loss"] - 0.02
    assert (
        abs(
            metrics["gap"]["log_loss"]
            - (metrics["test"]["log_loss"] - metrics["market"]["log_loss"])
        )
        < 1e-6
    )
    registry = json.loads((project / "reports/registry.json").read_text())
    assert registry["gates_passed"] is True
    assert registry["champion_version"] == registry["serving_version"]


def test_markets_are_benchmarked_and_published(project: Path) -> None:
    report = json.loads((project / "reports/markets.json").read_text())
    ou = report["over_under_2_5"]
    assert ou["n"] > 500
    assert set(ou["forecasters"]) == {"model", "scoreline_raw", "pre_match", "closing"}
    assert set(ou["per_league"]) == {"E0", "E1"}
    # A sane goal model is within a few hundredths of the closing over/under price.
    assert 0.0 < ou["gap_to_closing"]["model"]["log_loss"] < 0.03
    assert report["asian_handicap"]["n"] > 500
    assert report["grid_vs_served_1x2_max_abs"] < 1e-9
    assert {"1x2", "over_under_2_5"} <= set(report["value"])
    predictions = pd.read_parquet(project / "data/predictions/predictions.parquet")
    assert predictions["markets"].notna().all()
    first = json.loads(predictions["markets"].iloc[0])
    assert first["1x2"]["home"] == pytest.approx(predictions["p_home"].iloc[0], abs=1e-5)
    assert report["value"]["asian_handicap"]["matches"] > 500


def test_market_aware_forecasts_are_compared_and_served_beside(project: Path) -> None:
    report = json.loads((project / "reports/market_aware.json").read_text())
    scored = report["all"]
    assert scored["n"] > 300
    assert set(scored["forecasters"]) == {"football_only", "market_aware", "pre_match", "closing"}
    # Anchored on the pre-match price, it cannot stray far from it.
    gap = scored["forecasters"]["market_aware"]["gap_to_pre_match"]["log_loss"]
    assert abs(gap) < 0.01
    predictions = pd.read_parquet(project / "data/predictions/predictions.parquet")
    assert set(predictions["forecast_kind"]) == {"football"}
    priced = predictions["market_odds_home"].notna()
    assert predictions.loc[priced, "p_market_aware_home"].notna().all()
    assert predictions.loc[~priced, "p_market_aware_home"].isna().all()
    model = json.loads((project / "data/predictions/model.json").read_text())
    assert model["market_aware"]["default"] == "football"
    assert set(model["value"]["markets"]) == {"1x2", "over_under_2_5", "asian_handicap"}


def test_the_api_serves_the_pipeline_outputs(project: Path) -> None:
    files = ServingFiles(
        predictions=project / "data/predictions/predictions.parquet",
        model=project / "data/predictions/model.json",
        matches=project / "data/interim/matches.parquet",
        finished=project / "data/predictions/finished.parquet",
        evaluation=project / "data/predictions/evaluation.json",
    )
    predictions = pd.read_parquet(files.predictions)
    match_id = str(predictions["match_id"].iloc[0])
    with TestClient(create_app(ServeConfig(files=files, reload_interval_s=0))) as client:
        assert client.get("/readyz").status_code == 200
        answer = client.get(f"/predict/{match_id}")
        assert answer.status_code == 200
        body = answer.json()
        assert body["match_id"] == match_id
        assert body["model"]["alias"] == "champion"
        assert body["markets"]["1x2"]["home"] == pytest.approx(body["p_home"], abs=1e-5)
        only = client.get(f"/predict/{match_id}", params={"markets": "ou,ah"}).json()
        assert list(only["markets"]) == ["over_under", "asian_handicap"]
        assert client.get("/model").json()["evaluation"]["test_n"] > 500
        # The champion run's evaluate reports, published by the batch stage.
        metrics = json.loads((project / "reports/metrics.json").read_text())
        evaluation = client.get("/model/evaluation").json()
        assert evaluation["available"] is True
        assert evaluation["test"]["log_loss"] == pytest.approx(metrics["test"]["log_loss"])
        assert {row["league"] for row in evaluation["per_league"]} == {"E0", "E1"}
        calibration = pd.read_csv(project / "reports/calibration.csv")
        assert len(evaluation["calibration"]) == len(calibration)
    # One batch only: nothing was logged before these matches were played.
    assert pd.read_parquet(project / "data/predictions/finished.parquet").empty
