"""The monitor stage end to end on a real archive slice: drift files and live quality."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from matchcast.cli import app
from matchcast.config import get_settings
from matchcast.data import columns as C
from matchcast.data import store
from matchcast.data.as_of import AsOf, write_as_of
from matchcast.data.ingest import ingest
from matchcast.data.params import DataParams, SeasonRange
from matchcast.data.sources.fetch import Fetcher
from matchcast.data.validation import validate_matches
from matchcast.features.build import build_features
from matchcast.pipelines.features import load_feature_params

REPO = Path(__file__).resolve().parents[3]
AS_OF = dt.date(2025, 3, 1)
ELO = ["f_elo_p_home", "f_elo_p_draw", "f_elo_p_away"]
PROBS = ["p_home", "p_draw", "p_away"]


@pytest.fixture(scope="module")
def inputs(shared_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """E0 and D1 2022-23 .. 2024-25 cut at 2025-03-01, with Elo forecasts as the model."""
    work = tmp_path_factory.mktemp("monitor")
    params = DataParams(
        football_data=str(shared_archive),
        leagues=["E0", "D1"],
        seasons=SeasonRange(first="2022-23", last="2024-25"),
        as_of=AS_OF,
    )
    with tempfile.TemporaryDirectory() as cache:
        result = ingest(params, Fetcher(Path(cache)))
    matches = validate_matches(result.matches, result.issues, AS_OF, 0.005).matches
    features = build_features(matches, load_feature_params(REPO / "params.yaml"))
    matches.to_parquet(work / "matches.parquet")
    features.to_parquet(work / "features.parquet")
    scheduled = features[features[C.STATUS] == C.SCHEDULED]
    probs = scheduled[ELO].to_numpy()
    predictions = scheduled[[C.MATCH_ID, C.LEAGUE, C.KICKOFF]].assign(
        **{name: probs[:, k] for k, name in enumerate(PROBS)}
    )
    predictions.to_parquet(work / "predictions.parquet")
    columns = [c for c in features.columns if c.startswith("f_")]
    (work / "model.json").write_text(
        json.dumps({"name": "elo", "version": "1", "feature_columns": columns})
    )
    finished = features[(features[C.STATUS] == C.FINISHED) & (features[C.SEASON] != "2024-25")]
    finished[[C.MATCH_ID, C.LEAGUE, C.DATE, *ELO]].rename(
        columns=dict(zip(ELO, PROBS, strict=True))
    ).to_parquet(work / "test_predictions.parquet")
    all_params = yaml.safe_load((REPO / "params.yaml").read_text())
    (work / "params.yaml").write_text(yaml.safe_dump({"monitor": all_params["monitor"]}))
    write_as_of(AsOf("replay", AS_OF, "pinned by the test"), work / "as_of.json")
    return work


def log_frame(rows: pd.DataFrame, probs: np.ndarray, as_of: str, version: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "match_id": rows[C.MATCH_ID].to_numpy(),
            "model_name": "elo",
            "model_version": version,
            "model_run_id": "run",
            "p_home": probs[:, 0],
            "p_draw": probs[:, 1],
            "p_away": probs[:, 2],
            "predicted": np.array(["H", "D", "A"])[probs.argmax(axis=1)],
            "data_version": f"data-{as_of}",
            "features_as_of": pd.Timestamp(as_of, tz="UTC"),
            "computed_at": pd.Timestamp("2026-01-01", tz="UTC"),
        }
    )


def run_stage(work: Path, out: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHCAST_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            app,
            [
                "monitor",
                "--params", str(work / "params.yaml"),
                "--as-of", str(work / "as_of.json"),
                "--features", str(work / "features.parquet"),
                "--matches", str(work / "matches.parquet"),
                "--predictions", str(work / "predictions.parquet"),
                "--model", str(work / "model.json"),
                "--reference-predictions", str(work / "test_predictions.parquet"),
                "--drift-out", str(out / "drift.json"),
                "--drift-html", str(out / "drift.html"),
                "--live-quality-out", str(out / "live_quality.json"),
            ],
        )  # fmt: skip
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output + repr(result.exception)


def test_stage_scores_only_forecasts_made_before_kickoff(
    inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    features = pd.read_parquet(inputs / "features.parquet")
    february = features[
        (features[C.STATUS] == C.FINISHED) & (features[C.DATE] > pd.Timestamp("2025-01-31"))
    ]
    honest = february[ELO].to_numpy()
    cheat = np.full_like(honest, 0.01)
    cheat[np.arange(len(february)), ["HDA".index(r) for r in february[C.RESULT]]] = 0.98
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with store.migrated_engine(url) as engine:
        store.append_predictions(engine, log_frame(february, honest, "2025-01-31", "1"))
        store.append_predictions(engine, log_frame(february, cheat, "2025-03-01", "2"))

    run_stage(inputs, tmp_path, url, monkeypatch)
    report = json.loads((tmp_path / "live_quality.json").read_text())
    y = np.array(["HDA".index(r) for r in february[C.RESULT]])
    expected = float(-np.log(honest[np.arange(len(y)), y]).mean())
    assert report["n"] == len(february) > 50
    assert report["model_versions"] == ["1"]
    assert report["overall"]["model"]["log_loss"] == pytest.approx(expected, abs=1e-6)
    assert report["overall"]["n_market"] == report["n"]  # the archive has odds for all
    assert {g["league"] for g in report["by_league"]} == {"D1", "E0"}
    assert sum(m["n"] for m in report["by_month"]) == report["n"]

    drift = json.loads((tmp_path / "drift.json").read_text())
    n_features = len(json.loads((inputs / "model.json").read_text())["feature_columns"])
    assert drift["summary"]["features_total"] == len(drift["features"]) == n_features
    flagged = [f["feature"] for f in drift["features"] if f["drifted"]]
    assert drift["summary"]["features_over_threshold"] == len(flagged)
    assert drift["reference"]["date_to"] <= AS_OF.isoformat() < drift["current"]["date_from"]
    assert drift["current"]["n"] == len(pd.read_parquet(inputs / "predictions.parquet"))
    assert [c["feature"] for c in drift["prediction"]["columns"]] == PROBS
    html = (tmp_path / "drift.html").read_text()
    assert "<script" not in html and "http://" not in html and "https://" not in html
    assert all(f"<td>{name}</td>" in html for name in flagged)
    assert html.count("<svg") == n_features + 3


def test_a_store_without_a_prediction_log_gives_an_empty_report(
    inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_stage(inputs, tmp_path, f"sqlite:///{tmp_path / 'new.db'}", monkeypatch)
    report = json.loads((tmp_path / "live_quality.json").read_text())
    assert report["n"] == 0 and report["overall"]["model"] is None
    assert report["by_week"] == [] and report["as_of"] == AS_OF.isoformat()
