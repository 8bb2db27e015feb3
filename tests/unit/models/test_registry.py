"""Registry wrapper against a real, temporary SQLite MLflow store."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from matchcast.models import registry
from matchcast.models.estimator import ModelParams, OutcomeModel

N_TEST = 400


def _features(seed: int = 0, n_seasons: int = 3, per_season: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_seasons * per_season
    diff = rng.normal(size=n)
    latent = 1.2 * diff + 0.3 + rng.logistic(size=n)
    return pd.DataFrame(
        {
            "match_id": [f"m{i}" for i in range(n)],
            "season": np.repeat([f"{2020 + s}-{21 + s}" for s in range(n_seasons)], per_season),
            "date": pd.Timestamp("2020-08-01") + pd.to_timedelta(np.arange(n) // 3, "D"),
            "result": np.where(latent > 0.6, "H", np.where(latent < -0.6, "A", "D")),
            "f_elo_diff": diff,
            "f_noise": rng.normal(size=n),
        }
    )


def _predictions(quality: float, seed: int = 1) -> pd.DataFrame:
    """Test predictions whose sharpness towards the truth grows with ``quality``."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, N_TEST)
    p = np.full((N_TEST, 3), (1 - quality) / 3)
    p[np.arange(N_TEST), y] += quality
    return pd.DataFrame(
        {
            "match_id": [f"t{i}" for i in range(N_TEST)],
            "result": np.array(["H", "D", "A"])[y],
            "p_home": p[:, 0],
            "p_draw": p[:, 1],
            "p_away": p[:, 2],
        }
    )


@pytest.fixture(scope="module")
def model() -> OutcomeModel:
    return OutcomeModel(ModelParams(kind="logistic")).fit(_features())


@pytest.fixture()
def client(tmp_path: Path) -> Iterator[MlflowClient]:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    previous = mlflow.get_tracking_uri()
    yield registry.connect(uri, str(tmp_path / "artifacts"))
    mlflow.set_tracking_uri(previous)


def _register(client: MlflowClient, model: OutcomeModel, quality: float) -> str:
    with mlflow.start_run():
        registry.log_test_predictions(_predictions(quality))
        version = registry.log_model_version(
            client, model, _features(), artifact_name="serving", tags={"role": "serving"}
        )
    return str(version.version)


def test_gates() -> None:
    gates = registry.Gates(min_gain_over_prior=0.03, max_ece=0.02)
    good = {"log_loss": 1.02, "ece": 0.01, "rps": 0.2}
    assert registry.check_gates(good, 1.076, gates).passed
    small_gain = registry.check_gates({**good, "log_loss": 1.05}, 1.076, gates)
    assert not small_gain.passed and "gain over prior" in small_gain.reasons[0]
    assert not registry.check_gates({**good, "ece": 0.03}, 1.076, gates).passed
    assert not registry.check_gates({**good, "rps": float("nan")}, 1.076, gates).passed


def test_gates_allow_for_chance_calibration_error_on_few_test_matches() -> None:
    # Mexico alone (680 test matches): model ECE 0.0234, the closing market's 0.0363 and
    # the class prior's 0.0204 -- on that few matches calibrated forecasts reach ~0.03.
    gates = registry.Gates(min_gain_over_prior=0.03, max_ece=0.02)
    small = {"log_loss": 1.009, "ece": 0.0234, "ece_chance": 0.031, "rps": 0.208}
    assert registry.check_gates(small, 1.060, gates).passed
    beyond = registry.check_gates({**small, "ece": 0.035}, 1.060, gates)
    assert beyond.reasons == ["ECE 0.0350 > 0.0310 (calibrated forecasts reach 0.0310 by chance)"]
    # Many matches: chance is below max_ece, which binds as before.
    many = {**small, "ece": 0.0234, "ece_chance": 0.008}
    assert registry.check_gates(many, 1.060, gates).reasons == ["ECE 0.0234 > 0.02"]


def test_gain_gate_scales_down_to_a_league_the_closing_market_cannot_read() -> None:
    # Argentina alone (1,091 test matches): class prior 1.0813, closing market 1.0553 (a
    # gain of 0.026, itself under 0.03), model 1.0667 (gap to the close +0.0109).
    gates = registry.Gates(min_gain_over_prior=0.03, max_ece=0.02, min_share_of_market_gain=0.5)
    model = {"log_loss": 1.0667, "ece": 0.0178, "rps": 0.2137}
    assert registry.check_gates(model, 1.0813, gates, market_log_loss=1.0553).passed
    worse = registry.check_gates({**model, "log_loss": 1.0720}, 1.0813, gates, 1.0553)
    assert worse.reasons == [
        "log-loss gain over prior 0.0093 < 0.0130 (0.5 of the closing market's gain 0.0260)"
    ]
    tie = registry.check_gates({**model, "log_loss": 1.06831}, 1.0813, gates, 1.0553)
    assert tie.reasons[0].startswith("log-loss gain over prior 0.012990 < 0.013000 ")
    # No market, or a market that reads the league well: the fixed bar applies.
    assert not registry.check_gates(model, 1.0813, gates).passed
    assert not registry.check_gates(model, 1.0813, gates, market_log_loss=1.00).passed


def test_compare_uses_only_common_matches() -> None:
    better, worse = _predictions(0.5), _predictions(0.2)
    result = registry.compare(better, worse)
    assert result.n_common == N_TEST and result.candidate_wins
    # Extra matches only the candidate was scored on do not count.
    extra = _predictions(0.0, seed=9).assign(match_id=lambda f: "x" + f.match_id)
    result = registry.compare(pd.concat([worse, extra]), better.head(100))
    assert result.n_common == 100 and not result.candidate_wins
    assert registry.compare(better, extra).n_common == 0
    assert not registry.compare(better, extra).candidate_wins


def test_champion_moves_only_when_beaten_and_promote_by_hand(
    client: MlflowClient, model: OutcomeModel
) -> None:
    first = _register(client, model, quality=0.3)
    assert registry.alias_version(client, registry.CHAMPION) is None
    assert registry.challenge(client, client.get_model_version(registry.MODEL_NAME, first))
    worse = _register(client, model, quality=0.1)
    assert not registry.challenge(client, client.get_model_version(registry.MODEL_NAME, worse))
    assert str(registry.alias_version(client, registry.CHAMPION).version) == first  # type: ignore[union-attr]
    challenge_tag = json.loads(
        client.get_model_version(registry.MODEL_NAME, worse).tags["challenge"]
    )
    assert challenge_tag["n_common"] == N_TEST
    assert challenge_tag["candidate_log_loss"] > challenge_tag["champion_log_loss"]
    better = _register(client, model, quality=0.5)
    assert registry.challenge(client, client.get_model_version(registry.MODEL_NAME, better))
    assert str(registry.alias_version(client, registry.CHAMPION).version) == better  # type: ignore[union-attr]
    # By hand: an explicit version, then the candidate alias.
    assert registry.promote(client, worse) == worse
    assert str(registry.alias_version(client, registry.CHAMPION).version) == worse  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="candidate"):
        registry.promote(client)
    registry.set_alias(client, registry.CANDIDATE, first)
    assert registry.promote(client) == first
    assert str(registry.alias_version(client, registry.CHAMPION).version) == first  # type: ignore[union-attr]


@pytest.mark.slow
def test_champion_loads_by_alias_in_a_fresh_process(
    client: MlflowClient, model: OutcomeModel, tmp_path: Path
) -> None:
    version = _register(client, model, quality=0.3)
    registry.promote(client, version)
    mv = client.get_model_version(registry.MODEL_NAME, version)
    assert mv.tags["role"] == "serving"
    rows = _features().head(5)
    rows.to_parquet(tmp_path / "rows.parquet")
    script = (
        "import sys, mlflow, pandas as pd\n"
        "from matchcast.models import registry\n"
        "mlflow.set_tracking_uri(sys.argv[1]); mlflow.set_registry_uri(sys.argv[1])\n"
        "m = registry.load_by_alias()\n"
        "out = m.predict(pd.read_parquet(sys.argv[2]))\n"
        "print(out.to_json(orient='split', double_precision=15))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, mlflow.get_tracking_uri(), str(tmp_path / "rows.parquet")],
        capture_output=True,
        text=True,
        timeout=240,
        check=True,
    )
    out = pd.read_json(io.StringIO(done.stdout.strip().splitlines()[-1]), orient="split")
    assert list(out.columns) == ["p_home", "p_draw", "p_away"]
    np.testing.assert_allclose(out.sum(axis=1), 1.0, atol=1e-9)
    np.testing.assert_allclose(out.to_numpy(), model.predict_proba(rows), atol=1e-9)
