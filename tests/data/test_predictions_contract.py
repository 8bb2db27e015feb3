"""Contract of ``predictions.parquet``: the batch_inference stage run against a real MLflow
store (sqlite in tmp_path) holding a real registered pyfunc with the ``champion`` alias."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import mlflow
import numpy as np
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest
from mlflow.tracking import MlflowClient
from typer.testing import CliRunner

from matchcast.app.predictions import build_prediction_index
from matchcast.app.sample import synthetic_matches
from matchcast.cli import app as cli_app
from matchcast.config import get_settings
from matchcast.data import store
from matchcast.data.io import write_parquet
from matchcast.models import registry
from matchcast.pipelines.batch_inference import BatchResult, file_md5, run_batch_inference

FEATURES = ["f_elo_diff", "f_home_form5_points", "f_away_form5_points"]


class EloSoftmax(mlflow.pyfunc.PythonModel):  # type: ignore[misc]
    """A tiny real pyfunc: probabilities from the Elo difference."""

    def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
        d = model_input["f_elo_diff"].fillna(0.0).to_numpy(dtype=np.float64) / 400.0
        logits = np.column_stack([0.25 + d, np.zeros_like(d), -d])
        e = np.exp(logits)
        return pd.DataFrame(
            e / e.sum(axis=1, keepdims=True), columns=["p_home", "p_draw", "p_away"]
        )


def synthetic_features(matches: pd.DataFrame, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(matches)
    elo_home = rng.normal(1500, 80, n)
    elo_away = rng.normal(1500, 80, n)
    out = matches[
        [
            "match_id",
            "league",
            "season",
            "date",
            "kickoff",
            "home_team",
            "away_team",
            "status",
            "result",
        ]
    ].copy()
    out["f_elo_home"], out["f_elo_away"], out["f_elo_diff"] = (
        elo_home,
        elo_away,
        elo_home - elo_away + 60,
    )
    out["f_home_form5_points"] = rng.uniform(0, 3, n)
    out["f_away_form5_points"] = rng.uniform(0, 3, n)
    out["f_home_rest_days"] = rng.integers(3, 10, n).astype(float)
    out["f_away_rest_days"] = np.where(np.arange(n) % 5 == 0, np.nan, rng.integers(3, 10, n))
    return out


@dataclass
class Batch:
    root: Path
    tracking_uri: str
    database_url: str
    matches: pd.DataFrame
    result: BatchResult
    out: Path
    model_out: Path


def register_champion(tracking_uri: str, artifact_root: Path) -> str:
    client = registry.connect(tracking_uri, str(artifact_root))
    with mlflow.start_run() as run:
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=EloSoftmax(),
            registered_model_name=registry.MODEL_NAME,
            pip_requirements=["numpy", "pandas"],
        )
    version = str(info.registered_model_version)
    tags = {
        "data_version": "train-abc",
        "feature_columns": json.dumps(FEATURES),
        "trained_through": "2026-03-01",
        "test_log_loss": "0.99",
        "test_rps": "0.2",
        "market_log_loss": "0.97",
        "market_rps": "0.195",
        "gap_log_loss": "0.02",
        "gap_rps": "0.005",
        "test_n": "321",
    }
    for key, value in tags.items():
        client.set_model_version_tag(registry.MODEL_NAME, version, key, value)
    registry.set_alias(client, registry.CHAMPION, version)
    return str(run.info.run_id)


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Batch]:
    previous = mlflow.get_tracking_uri()
    root = tmp_path_factory.mktemp("batch")
    tracking_uri = f"sqlite:///{root / 'mlflow.db'}"
    database_url = f"sqlite:///{root / 'store.db'}"
    register_champion(tracking_uri, root / "artifacts")
    matches = synthetic_matches(n_finished=60, n_scheduled=40)
    write_parquet(matches, root / "matches.parquet")
    write_parquet(synthetic_features(matches), root / "features.parquet")
    out, model_out = (
        root / "predictions" / "predictions.parquet",
        root / "predictions" / "model.json",
    )
    result = run_batch_inference(
        root / "features.parquet",
        root / "matches.parquet",
        out,
        model_out,
        as_of="2026-03-01",
        tracking_uri=tracking_uri,
        artifact_root=str(root / "artifacts"),
        database_url=database_url,
    )
    yield Batch(root, tracking_uri, database_url, matches, result, out, model_out)
    mlflow.set_tracking_uri(previous)


def test_every_scheduled_match_has_exactly_one_prediction(batch: Batch) -> None:
    frame = pd.read_parquet(batch.out)
    scheduled = batch.matches.loc[batch.matches["status"] == "scheduled", "match_id"]
    assert sorted(frame["match_id"]) == sorted(scheduled)
    assert frame["match_id"].is_unique


def test_probabilities_are_open_unit_interval_and_sum_to_one(batch: Batch) -> None:
    frame = pd.read_parquet(batch.out)
    probs = frame[["p_home", "p_draw", "p_away"]].to_numpy()
    assert ((probs > 0) & (probs < 1)).all()
    assert np.abs(probs.sum(axis=1) - 1.0).max() <= 1e-9
    assert (frame["predicted"] == np.array(["H", "D", "A"])[probs.argmax(axis=1)]).all()
    assert np.allclose(frame["fair_odds_draw"], 1 / frame["p_draw"])


def test_predictions_follow_the_model(batch: Batch) -> None:
    frame = pd.read_parquet(batch.out).merge(
        pd.read_parquet(batch.root / "features.parquet"), on="match_id"
    )
    expected = EloSoftmax().predict(None, frame[FEATURES])
    assert np.allclose(frame["p_home"], expected["p_home"], atol=1e-12)


def test_columns_and_provenance(batch: Batch) -> None:
    frame = pd.read_parquet(batch.out)
    required = {
        "match_id", "league", "season", "kickoff", "home_team", "away_team", "p_home", "p_draw",
        "p_away", "predicted", "fair_odds_home", "fair_odds_draw", "fair_odds_away",
        "market_odds_home", "market_odds_draw", "market_odds_away", "market_odds_source",
        "reasons", "model_name", "model_version", "model_alias", "model_run_id", "data_version",
        "features_as_of", "computed_at",
    }  # fmt: skip
    assert required <= set(frame.columns)
    assert set(frame["model_name"]) == {"matchcast-1x2"}
    assert set(frame["model_alias"]) == {"champion"}
    assert set(frame["model_version"]) == {"1"}
    assert set(frame["features_as_of"]) == {"2026-03-01"}
    assert str(frame["kickoff"].dt.tz) == "UTC"
    assert frame["data_version"].nunique() == 1
    assert frame["data_version"].iloc[0] == batch.result.data_version
    assert len(batch.result.data_version) == 32


def test_market_odds_copied_when_known_and_null_otherwise(batch: Batch) -> None:
    frame = pd.read_parquet(batch.out).merge(batch.matches, on="match_id", suffixes=("", "_m"))
    known = frame["odds_pre_home"].notna()
    assert known.any() and (~known).any()
    assert np.allclose(frame.loc[known, "market_odds_home"], frame.loc[known, "odds_pre_home"])
    assert frame.loc[~known, "market_odds_home"].isna().all()
    assert frame.loc[~known, "market_odds_source"].isna().all()


def test_reasons_are_ranked_and_readable(batch: Batch) -> None:
    frame = pd.read_parquet(batch.out)
    for text in frame["reasons"]:
        reasons = json.loads(text)
        assert 1 <= len(reasons) <= 3
        assert {r["factor"] for r in reasons} <= {"rating", "form", "rest"}
        for r in reasons:
            assert math.isfinite(r["value"]) and r["detail"]
    row = frame.iloc[0]
    rating = next((r for r in json.loads(row["reasons"]) if r["factor"] == "rating"), None)
    if rating is not None:
        assert row["home_team"] in rating["detail"] and "Elo points" in rating["detail"]


@pytest.mark.parametrize("reader", ["pandas", "pyarrow", "polars", "duckdb"])
def test_file_reads_in_every_engine(batch: Batch, reader: str) -> None:
    path = str(batch.out)
    if reader == "pandas":
        n, total = len(pd.read_parquet(path)), pd.read_parquet(path)["p_home"].sum()
    elif reader == "pyarrow":
        table = pq.read_table(path)
        n, total = table.num_rows, sum(table.column("p_home").to_pylist())
    elif reader == "polars":
        pframe = pl.read_parquet(path)
        n, total = pframe.height, pframe["p_home"].sum()
        assert pframe.schema["kickoff"] == pl.Datetime(
            time_unit=pframe.schema["kickoff"].time_unit, time_zone="UTC"
        )
    else:
        con = duckdb.connect()
        n, total = con.execute(
            f"select count(*), sum(p_home) from read_parquet('{path}')"
        ).fetchall()[0]
        con.close()
    assert n == 40
    assert total == pytest.approx(pd.read_parquet(path)["p_home"].sum())


def test_model_card_carries_evaluation(batch: Batch) -> None:
    card = json.loads(batch.model_out.read_text())
    assert (card["name"], card["version"], card["alias"]) == ("matchcast-1x2", "1", "champion")
    assert card["data_version"] == "train-abc"
    assert card["feature_columns"] == FEATURES
    assert card["evaluation"]["gap_log_loss"] == pytest.approx(0.02)
    assert card["evaluation"]["test_n"] == 321


def test_the_api_accepts_the_file(batch: Batch) -> None:
    index = build_prediction_index(pd.read_parquet(batch.out), max_age_s=60)
    assert len(index) == 40


def test_mlflow_run_logs_inputs_count_and_artifacts(batch: Batch) -> None:
    client = MlflowClient(tracking_uri=batch.tracking_uri)
    run = client.get_run(str(batch.result.run_id))
    assert run.data.metrics["n_predictions"] == 40
    assert run.data.params["features_md5"] == file_md5(batch.root / "features.parquet")
    assert run.data.params["data_version"] == batch.result.data_version
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "predictions")}
    assert artifacts == {"predictions/predictions.parquet", "predictions/model.json"}


def test_predictions_are_appended_to_the_store_log(batch: Batch) -> None:
    assert batch.result.logged == 40
    engine = store.create_engine_for(batch.database_url)
    try:
        log = store.load_prediction_log(engine)
    finally:
        engine.dispose()
    assert sorted(log["match_id"]) == sorted(pd.read_parquet(batch.out)["match_id"])


def test_cli_rewrites_atomically_and_appends_again(
    batch: Batch, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = batch.root / "params.yaml"
    params.write_text('data:\n  as_of: "2026-03-01"\n')
    monkeypatch.setenv("MATCHCAST_MLFLOW_TRACKING_URI", batch.tracking_uri)
    monkeypatch.setenv("MATCHCAST_MLFLOW_ARTIFACT_ROOT", str(batch.root / "artifacts"))
    monkeypatch.setenv("MATCHCAST_DATABASE_URL", batch.database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            cli_app,
            [
                "batch-inference", "--params", str(params),
                "--features", str(batch.root / "features.parquet"),
                "--matches", str(batch.root / "matches.parquet"),
                "--out", str(batch.out), "--model-out", str(batch.model_out),
            ],
        )  # fmt: skip
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert [p.name for p in batch.out.parent.iterdir() if p.name.startswith(".")] == []
    engine = store.create_engine_for(batch.database_url)
    try:
        assert len(store.load_prediction_log(engine)) == 80
    finally:
        engine.dispose()
