"""Plain functions of the batch_inference stage: rows, probabilities, reasons, provenance."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from matchcast.data.io import file_md5, inputs_version
from matchcast.models.forecasts import predict_probabilities, scheduled_rows
from matchcast.models.reasons import FACTORS, compute_reasons


def frame(n: int = 6) -> pd.DataFrame:
    full = pd.DataFrame(
        {
            "match_id": [f"E0-2026-03-0{i + 1}-a{i}-b{i}" for i in range(6)],
            "kickoff": pd.date_range("2026-03-01", periods=6, freq="D", tz="UTC")[::-1],
            "status": ["finished", "finished"] + ["scheduled"] * 4,
            "home_team": [f"Home {i}" for i in range(6)],
            "away_team": [f"Away {i}" for i in range(6)],
            "f_elo_home": [1500.0, 1600, 1700, 1500, 1450, np.nan],
            "f_elo_away": [1500.0, 1500, 1500, 1520, 1700, 1500],
            "f_home_rest_days": [7.0, 7, 7, 3, 7, 7],
            "f_away_rest_days": [7.0, 7, 7, 10, 7, 7],
        }
    )
    return full.head(n)


class Raw:
    """A stand-in model object with the pyfunc predict signature (returns given rows)."""

    def __init__(self, out: pd.DataFrame) -> None:
        self.out = out

    def predict(self, model_input: pd.DataFrame) -> pd.DataFrame:
        assert list(model_input.columns) == ["f_elo_home"]
        return self.out


def test_scheduled_rows_are_every_scheduled_match_in_kickoff_order() -> None:
    features = frame()
    rows = scheduled_rows(features, features)
    assert set(rows["match_id"]) == set(features.loc[features["status"] == "scheduled", "match_id"])
    assert rows["kickoff"].is_monotonic_increasing


def test_only_matches_within_the_horizon_are_forecast() -> None:
    features = frame().assign(date=pd.date_range("2026-03-01", periods=6, freq="7D"))
    # scheduled matches dated 15, 22, 29 Mar and 5 Apr; as_of 1 Mar
    within = scheduled_rows(features, features, "2026-03-01", horizon_days=21)
    assert sorted(within["date"].dt.day) == [15, 22]  # the 22nd is as_of + 21: inclusive
    assert len(scheduled_rows(features, features, "2026-03-01", horizon_days=None)) == 4
    assert scheduled_rows(features, features, "2026-03-01", horizon_days=0).empty


def test_a_horizon_without_as_of_is_an_error() -> None:
    features = frame().assign(date=pd.Timestamp("2026-03-01"))
    with pytest.raises(ValueError, match="horizon needs the as_of"):
        scheduled_rows(features, features, horizon_days=14)


def test_scheduled_match_without_features_is_an_error() -> None:
    features = frame()
    with pytest.raises(ValueError, match="1 scheduled matches have no features"):
        scheduled_rows(features.iloc[:-1], features)


def test_probabilities_are_floored_and_renormalised() -> None:
    out = pd.DataFrame({"p_home": [0.5, 0.0], "p_draw": [0.3, 0.2], "p_away": [0.2, 0.9]})
    probs = predict_probabilities(Raw(out), frame(2), ["f_elo_home"])
    assert (probs > 0).all() and (probs < 1).all()
    assert np.abs(probs.sum(axis=1) - 1).max() <= 1e-12


def test_bad_model_output_is_refused() -> None:
    out = pd.DataFrame({"p_home": [np.nan, 0.5], "p_draw": [0.3, 0.2], "p_away": [0.2, 0.3]})
    with pytest.raises(ValueError, match="non-finite"):
        predict_probabilities(Raw(out), frame(2), ["f_elo_home"])


def test_reasons_rank_by_scaled_difference_and_skip_missing_values() -> None:
    features = frame()
    reasons = [json.loads(r) for r in compute_reasons(features, features)]
    assert reasons[2][0]["factor"] == "rating"  # 200 Elo points, rest equal
    assert reasons[2][0]["value"] == pytest.approx(200.0)
    assert reasons[2][0]["detail"] == "Home 2 rated 200 Elo points above Away 2 (1700 vs 1500)"
    assert reasons[3][0]["factor"] == "rest"  # 7 days less rest beats 20 Elo points
    assert reasons[3][0]["detail"] == "days of rest: Home 3 3, Away 3 10"
    assert [r["factor"] for r in reasons[5]] == ["rest"]  # Elo unknown: not a reason
    assert all(len(r) <= 3 for r in reasons)


def test_reasons_without_any_known_factor_are_empty() -> None:
    plain = frame()[["match_id", "home_team", "away_team"]]
    assert compute_reasons(plain, plain) == ["[]"] * len(plain)
    assert {f.name for f in FACTORS} >= {"rating", "form", "rest"}


def test_data_version_follows_file_bytes(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"one")
    b.write_bytes(b"two")
    first = inputs_version({"a": file_md5(a), "b": file_md5(b)})
    assert file_md5(a) == "f97c5d29941bfb1b2fdab0874906ab82"  # md5("one"), as DVC records it
    assert inputs_version({"b": file_md5(b), "a": file_md5(a)}) == first
    b.write_bytes(b"three")
    assert inputs_version({"a": file_md5(a), "b": file_md5(b)}) != first


def test_scheduled_matches_are_priced_from_a_grid_reconciled_to_their_1x2() -> None:
    from matchcast.models.forecasts import price_scheduled
    from matchcast.models.scoreline import ScorelineModel, ScorelineParams

    rng = np.random.default_rng(5)
    n = 400
    x = rng.normal(size=n)
    train = pd.DataFrame(
        {
            "date": pd.Timestamp("2025-01-01") + pd.to_timedelta(np.arange(n), unit="D"),
            "f_elo_diff": x,
            "home_goals": rng.poisson(np.exp(0.3 + 0.3 * x)).astype(float),
            "away_goals": rng.poisson(np.exp(0.1 - 0.3 * x)).astype(float),
        }
    )
    model = ScorelineModel(ScorelineParams()).fit(train)
    rows = pd.DataFrame({"f_elo_diff": [-1.0, 0.0, 2.0]})
    probs = np.array([[0.2, 0.3, 0.5], [0.45, 0.28, 0.27], [0.7, 0.18, 0.12]])
    markets = [json.loads(m) for m in price_scheduled(model, rows, probs)]
    for m, p in zip(markets, probs, strict=True):
        assert [m["1x2"][k] for k in ("home", "draw", "away")] == pytest.approx(p, abs=1e-6)
    # The stronger home side is expected to score more.
    assert markets[2]["expected_goals"]["home"] > markets[0]["expected_goals"]["home"]
    assert price_scheduled(model, rows.iloc[:0], probs[:0]) == []
