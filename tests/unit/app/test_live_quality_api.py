"""GET /model/live-quality and the monitoring gauges: loaded from the monitor stage's files."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from tests.fixtures.sample import write_serving_files

from matchcast.app.main import create_app
from matchcast.app.runtime import ServeConfig
from matchcast.data.io import write_json
from matchcast.monitoring.drift import DriftThresholds, drift_report
from matchcast.monitoring.live_quality import live_quality_report


def wait_for(condition: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def scored_frame(leagues: tuple[str, ...], n: int = 60, seed: int = 0) -> pd.DataFrame:
    """Scored matches as ``scored_predictions`` returns them (random forecasts and odds)."""
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet([4.0, 2.5, 3.0], size=n)
    market = rng.dirichlet([4.0, 2.5, 3.0], size=n)
    market[0] = np.nan  # one match without odds
    y = rng.integers(0, 3, n)
    return pd.DataFrame(
        {
            "match_id": [f"m{i}" for i in range(n)],
            "league": [leagues[i % len(leagues)] for i in range(n)],
            "date": pd.date_range("2025-09-01", periods=n, freq="D"),
            "result": np.array(["H", "D", "A"])[y],
            "y": y,
            "model_version": "1",
            "p_home": probs[:, 0],
            "p_draw": probs[:, 1],
            "p_away": probs[:, 2],
            "market_home": market[:, 0],
            "market_draw": market[:, 1],
            "market_away": market[:, 2],
        }
    )


def drift_json(shift: float) -> dict[str, object]:
    rng = np.random.default_rng(1)
    finished = pd.DataFrame(
        {
            "match_id": [f"f{i}" for i in range(200)],
            "league": "E0",
            "status": "finished",
            "date": pd.Timestamp("2025-03-05"),
            "f_a": rng.normal(0, 1, 200),
            "f_b": rng.normal(0, 1, 200),
        }
    )
    scheduled = pd.DataFrame(
        {
            "match_id": [f"s{i}" for i in range(100)],
            "league": "E0",
            "status": "scheduled",
            "date": pd.Timestamp("2026-03-05"),
            "f_a": rng.normal(shift, 1, 100),
            "f_b": rng.normal(0, 1, 100),
        }
    )
    probs = rng.dirichlet([4.0, 2.5, 3.0], size=300)
    predictions = scheduled[["match_id"]].assign(
        p_home=probs[:100, 0], p_draw=probs[:100, 1], p_away=probs[:100, 2]
    )
    reference = finished[["match_id", "league", "date"]].assign(
        p_home=probs[100:, 0], p_draw=probs[100:, 1], p_away=probs[100:, 2]
    )
    report, _, _ = drift_report(
        pd.concat([finished, scheduled]),
        predictions,
        ["f_a", "f_b"],
        reference,
        as_of="2026-03-01",
        thresholds=DriftThresholds(),
        reference_years=1,
        generated_at="2026-03-02T06:00:00+00:00",
    )
    return report


def samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = client.get("/metrics").text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_live_quality_is_404_until_the_report_exists_then_served_and_exported(
    tmp_path: Path,
) -> None:
    files, _, _ = write_serving_files(tmp_path)
    live_path, drift_path = tmp_path / "live.json", tmp_path / "drift.json"
    files = replace(files, live_quality=live_path, drift=drift_path)
    with TestClient(create_app(ServeConfig(files=files, reload_interval_s=0.1))) as client:
        missing = client.get("/model/live-quality")
        assert missing.status_code == 404
        assert missing.json()["detail"] == (
            f"no live-quality report yet (expected {files.live_quality}; the monitor stage "
            "writes it with --live-quality-out)"
        )
        assert not any(name.startswith("matchcast_live_") for name, _ in samples(client))

        report = live_quality_report(scored_frame(("E0", "D1")), as_of="2025-11-01")
        write_json(report, live_path)
        drift = drift_json(shift=1.5)
        write_json(drift, drift_path)
        assert wait_for(lambda: client.get("/model/live-quality").status_code == 200)
        assert wait_for(lambda: ("matchcast_drift_features_over_threshold", ()) in samples(client))

        served = client.get("/model/live-quality").json()
        assert served["n"] == report["n"] == 60
        assert served["overall"]["model"] == report["overall"]["model"]
        assert [g["league"] for g in served["by_league"]] == ["D1", "E0"]
        assert served["by_week"][0]["week"] == report["by_week"][0]["week"]

        got = samples(client)
        overall = report["overall"]
        model_all = (("league", "all"), ("source", "model"))
        market_all = (("league", "all"), ("source", "market"))
        assert got[("matchcast_live_log_loss", model_all)] == overall["model"]["log_loss"]
        assert got[("matchcast_live_rps", market_all)] == overall["market"]["rps"]
        assert got[("matchcast_live_hit_rate", model_all)] == overall["model"]["hit_rate"]
        assert got[("matchcast_live_scored_matches", model_all)] == 60
        assert got[("matchcast_live_scored_matches", market_all)] == 59
        assert (
            got[("matchcast_live_log_loss_gap", (("league", "all"),))] == (overall["gap_log_loss"])
        )
        d1 = next(g for g in report["by_league"] if g["league"] == "D1")
        d1_model = (("league", "D1"), ("source", "model"))
        assert got[("matchcast_live_log_loss", d1_model)] == d1["model"]["log_loss"]
        assert got[("matchcast_drift_features_over_threshold", ())] == (
            drift["summary"]["features_over_threshold"]  # type: ignore[index]
            == 1
        )
        assert got[("matchcast_drift_features_checked", ())] == 2
        home_psi = drift["prediction"]["columns"][0]["psi"]  # type: ignore[index]
        assert got[("matchcast_prediction_drift_psi", (("outcome", "home"),))] == home_psi

        # A new report without D1: its gauges go with it.
        write_json(
            live_quality_report(scored_frame(("E0",), seed=2), as_of="2025-11-08"),
            live_path,
        )
        assert wait_for(lambda: client.get("/model/live-quality").json()["as_of"] == "2025-11-08")
        assert ("matchcast_live_log_loss", d1_model) not in samples(client)


def test_a_broken_report_is_a_404_that_names_the_error(tmp_path: Path) -> None:
    files, _, _ = write_serving_files(tmp_path)
    files = replace(files, live_quality=tmp_path / "live.json")
    (tmp_path / "live.json").write_text(json.dumps({"as_of": "2025-11-01"}))
    with TestClient(create_app(ServeConfig(files=files, reload_interval_s=0))) as client:
        answer = client.get("/model/live-quality")
    assert answer.status_code == 404
    detail = answer.json()["detail"]
    assert detail.startswith(f"no live-quality report loaded from {files.live_quality}: ")
    assert "ValidationError" in detail and "overall" in detail


def test_an_empty_report_is_served_with_zero_scored_matches(tmp_path: Path) -> None:
    files, _, _ = write_serving_files(tmp_path)
    live_path = tmp_path / "live.json"
    files = replace(files, live_quality=live_path)
    write_json(live_quality_report(scored_frame(("E0",)).iloc[0:0], as_of="2025-08-01"), live_path)
    with TestClient(create_app(ServeConfig(files=files, reload_interval_s=0))) as client:
        body = client.get("/model/live-quality").json()
        got = samples(client)
    assert body["n"] == 0 and body["overall"]["model"] is None
    assert got[("matchcast_live_scored_matches", (("league", "all"), ("source", "model")))] == 0
    assert ("matchcast_live_log_loss", (("league", "all"), ("source", "model"))) not in got
