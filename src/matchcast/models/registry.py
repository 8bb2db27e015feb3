"""MLflow registry wrapper for the ``matchcast-1x2`` model.

A training run logs its params, metrics, the data version and the model (a pyfunc with a
signature and an input example). Two versions come out of one run:

- the *tested* version (tag ``role=tested``): trained on the seasons before the test
  period and scored on it; it never gets an alias;
- the *serving* version (tag ``role=serving``): the same settings refitted on every
  finished match up to ``as_of``, tagged with the tested version's evaluation
  (``evaluated_version``, ``test_log_loss`` …). Aliases ``candidate`` and ``champion``
  only ever point at serving versions.

``candidate`` is set when the tested model passes the gates. ``champion`` moves to a
candidate only when it beats the current champion on the same test matches (the
intersection of both runs' logged test predictions), when there is no champion, or by
hand (``promote``). Serving loads ``models:/matchcast-1x2@champion`` — never a run.
"""

from __future__ import annotations

import json
import logging
import math
import pickle
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from mlflow.pyfunc.model import PythonModel
from mlflow.tracking import MlflowClient
from pydantic import BaseModel, ConfigDict, Field

import matchcast
from matchcast.data.prediction_contract import PROBABILITY_COLUMNS
from matchcast.models.estimator import OutcomeModel

logger = logging.getLogger(__name__)

MODEL_NAME = "matchcast-1x2"
CANDIDATE = "candidate"
CHAMPION = "champion"
EXPERIMENT = "matchcast"
BATCH_EXPERIMENT = "matchcast-batch-inference"
PREDICTIONS_ARTIFACT = "evaluation/test_predictions.parquet"
_REQUIREMENTS = ("numpy", "pandas", "scikit-learn", "lightgbm", "scipy", "pydantic", "pyarrow")


class Gates(BaseModel):
    """Release gates on the tested model's test metrics."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_gain_over_prior: float = Field(default=0.03, ge=0)  # log-loss below the class prior
    # ... or this share of the closing market's own gain, where that is smaller (a league
    # that even the market reads poorly).
    min_share_of_market_gain: float = Field(default=0.5, ge=0, le=1)
    max_ece: float = Field(default=0.02, gt=0)  # or the test's chance level, if larger


class OutcomePyfunc(PythonModel):
    """Pyfunc face of :class:`OutcomeModel`: feature frame in, p_home/p_draw/p_away out."""

    def __init__(self) -> None:
        self.model: OutcomeModel | None = None

    def load_context(self, context: Any) -> None:
        """Unpickle the fitted estimator from the logged artifact."""
        with open(context.artifacts["model"], "rb") as handle:
            self.model = pickle.load(handle)

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, str] | None = None
    ) -> pd.DataFrame:
        """Probabilities for each row (missing feature columns count as NaN)."""
        if self.model is None:
            raise RuntimeError("model not loaded")
        frame = pd.DataFrame(model_input)
        return self.model.predict_frame(frame).reset_index(drop=True)


@dataclass(frozen=True)
class GateResult:
    """Whether a run passes the gates, and why not."""

    passed: bool
    reasons: list[str]


def check_gates(
    test: dict[str, Any],
    prior_log_loss: float,
    gates: Gates,
    market_log_loss: float | None = None,
) -> GateResult:
    """Apply the release gates.

    The bars are fixed where the test period is large and the league readable, and scale
    where it is not: the gain bar drops to ``min_share_of_market_gain`` of the closing
    market's gain over the prior when the market itself gains less, and the ECE bar rises
    to ``test["ece_chance"]`` (the ECE calibrated forecasts reach by chance on that many
    matches, :func:`matchcast.models.metrics.ece_by_chance`) when that is larger.

    Args:
        test: the model's test metrics (log_loss, ece, ece_chance, rps, ...).
        prior_log_loss: the class-prior baseline's log-loss on the same matches.
        gates: thresholds.
        market_log_loss: the closing market's log-loss on the same matches, if any.

    Returns:
        Pass/fail with the failed conditions.
    """
    reasons: list[str] = []
    values = [v for v in test.values() if isinstance(v, float)]
    if any(math.isnan(v) or math.isinf(v) for v in values) or math.isnan(prior_log_loss):
        reasons.append("NaN or infinite metric")
    gain = prior_log_loss - float(test["log_loss"])
    required, why = gates.min_gain_over_prior, ""
    if market_log_loss is not None:
        market_gain = prior_log_loss - market_log_loss
        share = max(gates.min_share_of_market_gain * market_gain, 0.0)
        if share < required:
            required = share
            share_of = gates.min_share_of_market_gain
            why = f" ({share_of} of the closing market's gain {market_gain:.4f})"
    if not gain >= required:
        # more digits where four would print a tie ("0.0262 < 0.0262")
        digits = 4 if f"{gain:.4f}" != f"{required:.4f}" else 6
        shown = f"{required:.{digits}f}" if why else f"{required}"
        reasons.append(f"log-loss gain over prior {gain:.{digits}f} < {shown}{why}")
    chance = float(test.get("ece_chance") or 0.0)
    if not float(test["ece"]) <= max(gates.max_ece, chance):
        if chance > gates.max_ece:
            reasons.append(
                f"ECE {float(test['ece']):.4f} > {chance:.4f} "
                f"(calibrated forecasts reach {chance:.4f} by chance)"
            )
        else:
            reasons.append(f"ECE {float(test['ece']):.4f} > {gates.max_ece}")
    return GateResult(passed=not reasons, reasons=reasons)


def connect(tracking_uri: str, artifact_root: str | None = None) -> MlflowClient:
    """Point MLflow at the tracking store and make sure the experiment exists.

    Args:
        tracking_uri: e.g. ``sqlite:///mlflow.db``.
        artifact_root: folder or URI for artifacts of a new experiment.

    Returns:
        A client bound to that store.
    """
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    ensure_experiment(client, EXPERIMENT, artifact_root)
    mlflow.set_experiment(EXPERIMENT)
    return client


def ensure_experiment(client: MlflowClient, name: str, artifact_root: str | None = None) -> str:
    """The id of experiment ``name``, created (artifacts under ``artifact_root``) if absent.

    Args:
        client: Tracking client.
        name: Experiment name.
        artifact_root: Folder or URI for the artifacts of a new experiment.

    Returns:
        The experiment id.
    """
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return str(experiment.experiment_id)
    location = None
    if artifact_root is not None:
        location = (
            artifact_root if "://" in artifact_root else Path(artifact_root).resolve().as_uri()
        )
    return str(client.create_experiment(name, artifact_location=location))


def log_batch_run(
    client: MlflowClient,
    artifact_root: str | None,
    version: ModelVersion,
    alias: str,
    inputs: Mapping[str, str],
    n_predictions: int,
    files: Sequence[Path],
) -> str:
    """Log a batch of forecasts as a run of :data:`BATCH_EXPERIMENT`.

    Args:
        client: Tracking client.
        artifact_root: Artifact location of the experiment, if it has to be created.
        version: The model version that forecast.
        alias: The alias it was loaded by.
        inputs: ``as_of``, ``data_version`` and the inputs' ``<name>_md5`` hashes.
        n_predictions: How many forecasts the batch made.
        files: The published files, logged as artifacts under ``predictions/``.

    Returns:
        The run id.
    """
    params = {
        "model_name": str(version.name),
        "model_version": str(version.version),
        "model_alias": alias,
        "model_run_id": str(version.run_id),
        **inputs,
    }
    experiment_id = ensure_experiment(client, BATCH_EXPERIMENT, artifact_root)
    with mlflow.start_run(
        experiment_id=experiment_id, run_name=f"batch-{params['data_version'][:8]}"
    ) as run:
        mlflow.log_params(params)
        mlflow.log_metric("n_predictions", n_predictions)
        mlflow.set_tag("data_version", params["data_version"])
        for path in files:
            mlflow.log_artifact(str(path), artifact_path="predictions")
        return str(run.info.run_id)


def _requirements() -> list[str]:
    out = []
    for name in _REQUIREMENTS:
        try:
            out.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(name)
    return out


def _input_example(model: OutcomeModel, frame: pd.DataFrame) -> pd.DataFrame:
    cols = model.feature_columns
    example = frame.reindex(columns=cols).astype("float64")
    complete = example.dropna()
    example = (complete if len(complete) >= 3 else example.fillna(0.0)).head(5)
    return example.reset_index(drop=True)


def log_model_version(
    client: MlflowClient,
    model: OutcomeModel,
    example_frame: pd.DataFrame,
    *,
    artifact_name: str,
    tags: dict[str, str],
    model_name: str = MODEL_NAME,
) -> ModelVersion:
    """Log ``model`` as a pyfunc in the active run and register it as a new version.

    Args:
        client: registry client.
        model: fitted estimator.
        example_frame: rows with the feature columns, for the signature and input example.
        artifact_name: name of the logged model inside the run (e.g. ``tested``).
        tags: tags set on the new model version.
        model_name: registered model name.

    Returns:
        The new model version.
    """
    example = _input_example(model, example_frame)
    signature = infer_signature(example, model.predict_frame(example).reset_index(drop=True))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.pkl"
        path.write_bytes(pickle.dumps(model))
        info = mlflow.pyfunc.log_model(
            name=artifact_name,
            python_model=OutcomePyfunc(),
            artifacts={"model": str(path)},
            code_paths=[str(Path(matchcast.__file__).parent)],
            signature=signature,
            input_example=example,
            pip_requirements=_requirements(),
            registered_model_name=model_name,
        )
    version = str(info.registered_model_version)  # an int in MLflow 3
    for key, value in tags.items():
        client.set_model_version_tag(model_name, version, key, value)
    logger.info("registered %s version %s (%s)", model_name, version, artifact_name)
    return client.get_model_version(model_name, version)


def alias_version(
    client: MlflowClient, alias: str, model_name: str = MODEL_NAME
) -> ModelVersion | None:
    """The version an alias points at, or None."""
    try:
        return client.get_model_version_by_alias(model_name, alias)
    except MlflowException:
        return None


def set_alias(client: MlflowClient, alias: str, version: str, model_name: str = MODEL_NAME) -> None:
    """Point ``alias`` at ``version``."""
    client.set_registered_model_alias(model_name, alias, str(version))
    logger.info("alias %s -> %s version %s", alias, model_name, version)


def log_test_predictions(predictions: pd.DataFrame) -> None:
    """Attach the test-period predictions (match_id, result, p_*) to the active run."""
    name = Path(PREDICTIONS_ARTIFACT)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name.name
        predictions.to_parquet(path, index=False)
        mlflow.log_artifact(str(path), artifact_path=str(name.parent))


def test_predictions(client: MlflowClient, version: ModelVersion) -> pd.DataFrame:
    """The test-period predictions logged by the run that produced ``version``."""
    with tempfile.TemporaryDirectory() as tmp:
        local = client.download_artifacts(str(version.run_id), PREDICTIONS_ARTIFACT, tmp)
        return pd.read_parquet(local)


@dataclass(frozen=True)
class Comparison:
    """Candidate vs champion on their common test matches (mean log-loss)."""

    n_common: int
    candidate_log_loss: float
    champion_log_loss: float

    @property
    def candidate_wins(self) -> bool:
        """Strictly better on at least one common match."""
        return self.n_common > 0 and self.candidate_log_loss < self.champion_log_loss


def _log_loss_of(frame: pd.DataFrame) -> float:
    probs = frame[list(PROBABILITY_COLUMNS)].to_numpy(dtype=np.float64)
    codes = frame["result"].map({"H": 0, "D": 1, "A": 2}).to_numpy(dtype=np.int64)
    return float(-np.mean(np.log(np.clip(probs[np.arange(len(codes)), codes], 1e-15, 1.0))))


def compare(candidate: pd.DataFrame, champion: pd.DataFrame) -> Comparison:
    """Score two sets of test predictions on the matches they share.

    Args:
        candidate: match_id, result, p_home, p_draw, p_away.
        champion: the same columns from the champion's run.

    Returns:
        The comparison on the intersection of match ids.
    """
    cols = ["match_id", "result", *PROBABILITY_COLUMNS]
    joined = candidate[cols].merge(champion[cols], on=["match_id", "result"], suffixes=("", "_c"))
    if joined.empty:
        return Comparison(0, float("nan"), float("nan"))
    champ = joined[["match_id", "result", *(f"{c}_c" for c in PROBABILITY_COLUMNS)]]
    champ.columns = pd.Index(cols)
    return Comparison(len(joined), _log_loss_of(joined[cols]), _log_loss_of(champ))


def challenge(client: MlflowClient, version: ModelVersion, model_name: str = MODEL_NAME) -> bool:
    """Move ``champion`` to ``version`` if it beats the champion on the same test matches.

    Args:
        client: registry client.
        version: a serving version whose run logged test predictions.
        model_name: registered model name.

    Returns:
        True when the champion alias moved.
    """
    champion = alias_version(client, CHAMPION, model_name)
    if champion is None:
        logger.info("no champion yet: version %s becomes champion", version.version)
        set_alias(client, CHAMPION, version.version, model_name)
        return True
    if champion.version == version.version:
        return False
    result = compare(test_predictions(client, version), test_predictions(client, champion))
    client.set_model_version_tag(
        model_name,
        version.version,
        "challenge",
        json.dumps(
            {
                "champion_version": champion.version,
                "n_common": result.n_common,
                "candidate_log_loss": result.candidate_log_loss,
                "champion_log_loss": result.champion_log_loss,
            }
        ),
    )
    logger.info(
        "candidate v%s %.5f vs champion v%s %.5f on %d common test matches",
        version.version,
        result.candidate_log_loss,
        champion.version,
        result.champion_log_loss,
        result.n_common,
    )
    if result.n_common == 0:
        logger.warning("no common test matches with the champion: not comparable, champion kept")
    if result.candidate_wins:
        set_alias(client, CHAMPION, version.version, model_name)
        return True
    return False


def promote(client: MlflowClient, version: str | None = None, model_name: str = MODEL_NAME) -> str:
    """Make ``version`` (default: the current candidate) the champion, unconditionally.

    Args:
        client: registry client.
        version: model version number; None means the ``candidate`` alias.
        model_name: registered model name.

    Returns:
        The version that is now champion.

    Raises:
        ValueError: no candidate when ``version`` is None, or a ``role=tested`` version.
    """
    if version is None:
        candidate = alias_version(client, CANDIDATE, model_name)
        if candidate is None:
            raise ValueError(f"{model_name} has no {CANDIDATE!r} alias; pass a version")
        version = str(candidate.version)
    found = client.get_model_version(model_name, str(version))  # raises if it does not exist
    if found.tags.get("role") == "tested":
        raise ValueError(
            f"version {version} is a tested version (trained before the test period); "
            "promote its serving version instead"
        )
    set_alias(client, CHAMPION, str(version), model_name)
    return str(version)


def load_by_alias(alias: str = CHAMPION, model_name: str = MODEL_NAME) -> Any:
    """Load a registered version as a pyfunc through its alias (``models:/name@alias``)."""
    return mlflow.pyfunc.load_model(f"models:/{model_name}@{alias}")
