"""One release against a real, temporary SQLite MLflow store: versions, tags, gates, aliases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from matchcast.models import registry
from matchcast.models.estimator import ModelParams, OutcomeModel
from matchcast.models.release import refit_for_serving, release

AS_OF = "2021-06-30"
REPORT = {
    "test": {"n": 300, "log_loss": 0.95, "rps": 0.2, "ece": 0.01},
    "market": {"n": 300, "log_loss": 0.94, "rps": 0.19},
    "gap": {"n": 300, "log_loss": 0.01, "rps": 0.01},
    "baselines": {"class_prior": {"n": 300, "log_loss": 1.07, "rps": 0.23}},
    "test_seasons": ["2021-22"],
}


def _features(n: int = 900, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    diff = rng.normal(size=n)
    latent = 1.2 * diff + 0.3 + rng.logistic(size=n)
    date = pd.Timestamp("2020-08-01") + pd.to_timedelta(np.arange(n) // 2, "D")
    scheduled = np.arange(n) >= n - 20
    return pd.DataFrame(
        {
            "match_id": [f"m{i}" for i in range(n)],
            "season": [f"{d.year if d.month > 6 else d.year - 1}-xx" for d in date],
            "date": date,
            "status": np.where(scheduled, "scheduled", "finished"),
            "result": np.where(
                scheduled, None, np.where(latent > 0.6, "H", np.where(latent < -0.6, "A", "D"))
            ),
            "f_elo_diff": diff,
        }
    )


@pytest.fixture(scope="module")
def tested() -> OutcomeModel:
    frame = _features()
    return OutcomeModel(ModelParams(kind="logistic")).fit(frame[frame["date"] < "2021-01-01"])


@pytest.fixture()
def client(tmp_path: Path) -> Iterator[MlflowClient]:
    previous = mlflow.get_tracking_uri()
    yield registry.connect(f"sqlite:///{tmp_path / 'mlflow.db'}", str(tmp_path / "artifacts"))
    mlflow.set_tracking_uri(previous)


def test_serving_refit_uses_every_finished_match_up_to_as_of_only(tested: OutcomeModel) -> None:
    frame = _features()
    serving = refit_for_serving(tested, frame, AS_OF)
    assert serving.params == tested.params
    assert serving.trained_through == AS_OF  # later finished matches are not used
    assert tested.trained_through is not None and tested.trained_through < AS_OF


def test_release_registers_both_versions_and_makes_the_first_serving_one_champion(
    client: MlflowClient, tested: OutcomeModel, tmp_path: Path
) -> None:
    report_file = tmp_path / "metrics.json"
    report_file.write_text("{}")
    predictions = pd.DataFrame(
        {"match_id": ["t1"], "result": ["H"], "p_home": [0.5], "p_draw": [0.3], "p_away": [0.2]}
    )
    done = release(
        client,
        tested,
        _features(),
        REPORT,
        as_of=AS_OF,
        common_tags={"data_version": "abc123", "as_of": AS_OF},
        artifacts=[report_file],
        test_predictions=predictions,
        gates=registry.Gates(),
    )
    assert done.gate.passed and done.promoted
    assert done.champion_version == done.serving_version != done.tested_version
    serving = client.get_model_version(registry.MODEL_NAME, done.serving_version)
    assert serving.tags["role"] == "serving"
    assert serving.tags["evaluated_version"] == done.tested_version
    assert serving.tags["trained_through"] == AS_OF
    assert serving.tags["test_log_loss"] == "0.95"
    assert serving.tags["data_version"] == "abc123"
    tested_version = client.get_model_version(registry.MODEL_NAME, done.tested_version)
    assert tested_version.tags["role"] == "tested"
    assert tested_version.tags["trained_through"] == tested.trained_through
    candidate = registry.alias_version(client, registry.CANDIDATE)
    assert candidate is not None and str(candidate.version) == done.serving_version
    run = client.get_run(done.run_id)
    assert run.data.metrics["gap_log_loss"] == pytest.approx(0.01)


def test_release_measures_the_gain_gate_against_what_the_closing_market_gains(
    client: MlflowClient, tested: OutcomeModel, tmp_path: Path
) -> None:
    # A league the closing market itself reads poorly (Argentina alone: the market gains
    # 0.026 over the prior, under the fixed 0.03 bar); the model gains 0.015 of it.
    report = {
        **REPORT,
        "test": {"n": 1091, "log_loss": 1.067, "rps": 0.214, "ece": 0.018, "ece_chance": 0.029},
        "market": {"n": 1091, "log_loss": 1.056, "rps": 0.211},
        "baselines": {"class_prior": {"n": 1091, "log_loss": 1.082, "rps": 0.223}},
    }
    report_file = tmp_path / "metrics.json"
    report_file.write_text("{}")
    predictions = pd.DataFrame(
        {"match_id": ["t1"], "result": ["H"], "p_home": [0.5], "p_draw": [0.3], "p_away": [0.2]}
    )
    done = release(
        client, tested, _features(), report, as_of=AS_OF, common_tags={"data_version": "abc"},
        artifacts=[report_file], test_predictions=predictions, gates=registry.Gates(),
    )  # fmt: skip
    assert done.gate.passed, done.gate.reasons
    assert done.champion_version == done.serving_version
