"""Contract of ``predictions.parquet``: the batch_inference stage run against a real MLflow
store (sqlite in tmp_path) holding a real registered pyfunc with the ``champion`` alias."""

from __future__ import annotations

import datetime as dt
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
from tests.fixtures.sample import synthetic_matches
from typer.testing import CliRunner

from matchcast.app.predictions import build_prediction_index
from matchcast.app.schemas import ModelEvaluation
from matchcast.cli import app as cli_app
from matchcast.config import get_settings
from matchcast.data import store
from matchcast.data.as_of import AsOf, write_as_of
from matchcast.data.io import file_md5, write_parquet
from matchcast.models import registry
from matchcast.models.batch import BatchParams, BatchResult, run_batch_inference

FEATURES = ["f_elo_diff", "f_home_form5_points", "f_away_form5_points"]
WINDOW_DAYS = 50
METRICS_REPORT = {
    "test": {"n": 321, "log_loss": 0.99, "rps": 0.2, "brier": 0.59, "ece": 0.01, "accuracy": 0.5},
    "market": {"n": 321, "log_loss": 0.97, "rps": 0.195, "method": "market_proportional"},
    "gap": {"n": 321, "log_loss": 0.02, "log_loss_se": 0.004, "rps": 0.005, "rps_se": 0.001},
    "baselines": {"class_prior": {"n": 321, "log_loss": 1.07, "rps": 0.23}},
    "market_methods": {"market_proportional": {"n": 321, "log_loss": 0.97, "rps": 0.195}},
    "per_league": {
        "E0": {
            "n": 200,
            "model": {"n": 200, "log_loss": 0.98, "rps": 0.2},
            "market": {"n": 200, "log_loss": 0.97, "rps": 0.19},
            "gap": {"n": 200, "log_loss": 0.01, "rps": 0.01},
            "baselines": {"class_prior": {"n": 200, "log_loss": 1.05}},
        }
    },
    "test_seasons": ["2023-24", "2024-25"],
}
CALIBRATION = pd.DataFrame(
    {
        "outcome": ["H", "H", "D", "A"],
        "bin": [3, 5, 2, 2],
        "mean_predicted": [0.35, 0.55, 0.27, 0.25],
        "observed_rate": [0.33, 0.58, 0.26, 0.22],
        "count": [40, 60, 90, 70],
    }
)


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
    finished_out: Path
    evaluation_out: Path
    expected_finished: dict[str, str]  # match id -> model version of the forecast that counts


def register_champion(tracking_uri: str, artifact_root: Path) -> str:
    client = registry.connect(tracking_uri, str(artifact_root))
    with mlflow.start_run() as run:
        reports = artifact_root.parent / "reports"
        reports.mkdir()
        (reports / "test_report.json").write_text(json.dumps(METRICS_REPORT))
        CALIBRATION.to_csv(reports / "calibration.csv", index=False)
        for name in ("test_report.json", "calibration.csv"):
            mlflow.log_artifact(str(reports / name), artifact_path="evaluation")
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


def write_prediction_log(database_url: str, matches: pd.DataFrame) -> dict[str, str]:
    """A real prediction log for the finished matches, as earlier batches would leave it.

    Every finished match got a forecast (model version 1) three days before its date;
    every third one a later one (version 2) the day before; every fifth one another
    (version 9) on its match day and one after it, both too late to count. Match 10 has
    only a late forecast. Returns the version expected to be published per match.
    """
    rng = np.random.default_rng(7)
    rows, expected = [], {}
    finished = matches[matches["status"] == "finished"]
    end = pd.Timestamp("2026-03-01")
    for i, match in enumerate(finished.to_dict("records")):
        day = pd.Timestamp(match["date"])
        entries = [] if i == 10 else [(3, "1")]
        if i % 3 == 0 and i != 10:
            entries.append((1, "2"))
        if i % 5 == 0:
            entries += [(0, "9"), (-1, "9")]
        for days_before, version in entries:
            cut = day - pd.Timedelta(days=days_before)
            p = rng.dirichlet([4.0, 2.5, 3.0])
            rows.append(
                {
                    "match_id": match["match_id"],
                    "model_name": "matchcast-1x2",
                    "model_version": version,
                    "model_run_id": f"run-{version}",
                    "p_home": p[0],
                    "p_draw": p[1],
                    "p_away": p[2],
                    "predicted": "HDA"[int(p.argmax())],
                    "data_version": f"data-{cut.date()}",
                    "features_as_of": cut.tz_localize("UTC"),
                    "computed_at": (cut + pd.Timedelta(hours=6)).tz_localize("UTC"),
                }
            )
        valid = [v for d, v in entries if d > 0]
        if valid and end - pd.Timedelta(days=WINDOW_DAYS) < day <= end:
            expected[str(match["match_id"])] = valid[-1]
    with store.migrated_engine(database_url) as engine:
        store.append_predictions(engine, pd.DataFrame(rows).sample(frac=1.0, random_state=3))
    return expected


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
    expected = write_prediction_log(database_url, matches)
    out, model_out = (
        root / "predictions" / "predictions.parquet",
        root / "predictions" / "model.json",
    )
    finished_out = root / "predictions" / "finished.parquet"
    evaluation_out = root / "predictions" / "evaluation.json"
    result = run_batch_inference(
        root / "features.parquet",
        root / "matches.parquet",
        out,
        model_out,
        as_of="2026-03-01",
        tracking_uri=tracking_uri,
        artifact_root=str(root / "artifacts"),
        database_url=database_url,
        finished_out=finished_out,
        evaluation_out=evaluation_out,
        params=BatchParams(finished_window_days=WINDOW_DAYS),
    )
    yield Batch(
        root,
        tracking_uri,
        database_url,
        matches,
        result,
        out,
        model_out,
        finished_out,
        evaluation_out,
        expected,
    )
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
    assert artifacts == {
        "predictions/predictions.parquet",
        "predictions/model.json",
        "predictions/finished.parquet",
        "predictions/evaluation.json",
    }


def test_predictions_are_appended_to_the_store_log(batch: Batch) -> None:
    assert batch.result.logged == 40
    with store.migrated_engine(batch.database_url) as engine:
        log = store.load_prediction_log(engine)
    this_batch = log[log["data_version"] == batch.result.data_version]
    assert sorted(this_batch["match_id"]) == sorted(pd.read_parquet(batch.out)["match_id"])


def test_finished_matches_publish_their_last_forecast_before_kickoff(batch: Batch) -> None:
    finished = pd.read_parquet(batch.finished_out)
    assert len(batch.expected_finished) > 20
    assert dict(zip(finished["match_id"], finished["model_version"], strict=True)) == (
        batch.expected_finished
    )
    merged = finished.merge(batch.matches, on="match_id", suffixes=("", "_m"))
    assert (pd.to_datetime(merged["features_as_of"]) < pd.to_datetime(merged["date"])).all()
    assert (merged["result"] == merged["result_m"]).all()
    assert (merged["correct"] == (merged["predicted"] == merged["result"])).all()
    assert merged["correct"].any() and (~merged["correct"]).any()
    assert set(finished["status"]) == {"finished"}
    assert finished["kickoff"].is_monotonic_increasing


def test_finished_forecasts_keep_the_logged_numbers_and_provenance(batch: Batch) -> None:
    finished = pd.read_parquet(batch.finished_out)
    with store.migrated_engine(batch.database_url) as engine:
        log = store.load_prediction_log(engine)
    for row in finished.head(10).to_dict("records"):
        entry = log[
            (log["match_id"] == row["match_id"])
            & (log["model_version"] == row["model_version"])
            & (log["features_as_of"] < pd.Timestamp(row["kickoff"]))
        ]
        assert len(entry) == 1
        assert row["p_home"] == pytest.approx(float(entry["p_home"].iloc[-1]))
        assert row["data_version"] == entry["data_version"].iloc[-1]
        assert row["fair_odds_draw"] == pytest.approx(1 / row["p_draw"])
    assert set(finished["model_alias"]) == {"champion"}


def test_the_api_serves_finished_forecasts_from_the_file(batch: Batch) -> None:
    index = build_prediction_index(pd.read_parquet(batch.finished_out), 60, finished=True)
    match_id = next(iter(batch.expected_finished))
    record = json.loads(index.entries[match_id].body)
    assert record["status"] == "finished"
    assert record["result"] in {"H", "D", "A"}
    assert record["model"]["version"] == batch.expected_finished[match_id]


def test_evaluation_comes_from_the_champions_run(batch: Batch) -> None:
    card = json.loads(batch.evaluation_out.read_text())
    assert card["available"] is True
    assert card["model"]["version"] == "1" and card["model"]["alias"] == "champion"
    assert card["test"] == METRICS_REPORT["test"]
    assert card["gap"]["log_loss"] == pytest.approx(0.02)
    assert card["baselines"] == METRICS_REPORT["baselines"]
    assert [b["league"] for b in card["per_league"]] == ["E0"]
    assert card["per_league"][0]["market"]["log_loss"] == pytest.approx(0.97)
    assert pd.DataFrame(card["calibration"])[list(CALIBRATION.columns)].equals(CALIBRATION)
    assert ModelEvaluation.model_validate(card).calibration[1].observed_rate == 0.58


def test_cli_rewrites_atomically_and_appends_again(
    batch: Batch, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = batch.root / "params.yaml"
    params.write_text("batch_inference: {}\n")
    write_as_of(
        AsOf("replay", dt.date(2026, 3, 1), "pinned by the test"), batch.root / "as_of.json"
    )
    monkeypatch.setenv("MATCHCAST_MLFLOW_TRACKING_URI", batch.tracking_uri)
    monkeypatch.setenv("MATCHCAST_MLFLOW_ARTIFACT_ROOT", str(batch.root / "artifacts"))
    monkeypatch.setenv("MATCHCAST_DATABASE_URL", batch.database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            cli_app,
            [
                "batch-inference", "--params", str(params),
                "--as-of", str(batch.root / "as_of.json"),
                "--features", str(batch.root / "features.parquet"),
                "--matches", str(batch.root / "matches.parquet"),
                "--out", str(batch.out), "--model-out", str(batch.model_out),
            ],
        )  # fmt: skip
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert [p.name for p in batch.out.parent.iterdir() if p.name.startswith(".")] == []
    with store.migrated_engine(batch.database_url) as engine:
        log = store.load_prediction_log(engine)
        assert (log["features_as_of"] == pd.Timestamp("2026-03-01", tz="UTC")).sum() == 80


def test_the_batch_is_published_to_the_store_with_the_files_bytes(batch: Batch) -> None:
    # Replicas on other hosts load this copy (ADR-0021): the newest published batch holds
    # the same bytes as the files (other tests here may have run the batch again).
    assert batch.result.batch_version is not None
    with store.migrated_engine(batch.database_url) as engine:
        latest = store.latest_batch_version(engine)
        assert latest is not None and latest >= batch.result.batch_version
        published = store.load_batch(engine, latest)
    assert published.model_version == str(batch.result.card["version"])
    assert published.files == {
        "predictions": batch.out.read_bytes(),
        "model": batch.model_out.read_bytes(),
        "finished": batch.finished_out.read_bytes(),
        "evaluation": batch.evaluation_out.read_bytes(),
    }
