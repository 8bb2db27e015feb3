"""DVC stage ``batch_inference``: forecasts for every scheduled match, from the champion.

Loads ``models:/matchcast-1x2@champion``, predicts the point-in-time features of every
scheduled match (after ``data.as_of``, plus any fixtures), attaches fair odds, the
market's pre-match odds, the top reasons and the model's provenance, and writes
``predictions.parquet`` and ``model.json`` atomically. The run is logged to MLflow and the
forecasts are appended to the store's prediction log, to be scored when results arrive.
The API serves these files and computes nothing (ADR-0006).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import mlflow
import numpy as np
import numpy.typing as npt
import pandas as pd
import typer
from mlflow.entities.model_registry import ModelVersion
from mlflow.tracking import MlflowClient

from matchcast.config import get_settings
from matchcast.data import columns as C
from matchcast.data import store
from matchcast.data.io import file_md5, write_json, write_parquet
from matchcast.data.params import load_section
from matchcast.models import registry

logger = logging.getLogger(__name__)

EXPERIMENT = "matchcast-batch-inference"
PROBA_COLUMNS = ("p_home", "p_draw", "p_away")
MARKET_COLUMNS = ("market_odds_home", "market_odds_draw", "market_odds_away")
EVALUATION_TAGS = (
    "test_n",
    "test_log_loss",
    "test_rps",
    "market_log_loss",
    "market_rps",
    "gap_log_loss",
    "gap_rps",
)
N_REASONS = 3
PROBABILITY_FLOOR = 1e-9


# --- provenance ----------------------------------------------------------------------------------


def inputs_version(hashes: Mapping[str, str]) -> str:
    """One version string for several inputs: MD5 of their sorted ``name:md5`` lines."""
    lines = "\n".join(f"{name}:{md5}" for name, md5 in sorted(hashes.items()))
    return hashlib.md5(lines.encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class Champion:
    """The registered model version behind an alias, loaded as a pyfunc."""

    name: str
    alias: str
    version: ModelVersion
    model: Any  # mlflow.pyfunc.PyFuncModel
    feature_columns: list[str]

    @property
    def tags(self) -> dict[str, str]:
        """The model version's tags."""
        return dict(self.version.tags or {})


def _feature_columns(version: ModelVersion, model: Any, features: pd.DataFrame) -> list[str]:
    tag = (version.tags or {}).get("feature_columns")
    if tag:
        return [str(c) for c in json.loads(tag)]
    schema = getattr(getattr(model, "metadata", None), "get_input_schema", lambda: None)()
    if schema is not None and schema.has_input_names():
        return [str(n) for n in schema.input_names()]
    return [c for c in features.columns if str(c).startswith("f_")]


def load_champion(client: MlflowClient, features: pd.DataFrame, name: str, alias: str) -> Champion:
    """Load ``models:/<name>@<alias>`` and its version metadata.

    Args:
        client: Registry client (tracking and registry URIs already set).
        features: The features frame (fallback for the feature column list).
        name: Registered model name.
        alias: Alias to serve, normally ``champion``.

    Returns:
        The loaded champion.

    Raises:
        LookupError: No version carries the alias.
    """
    version = registry.alias_version(client, alias, name)
    if version is None:
        raise LookupError(
            f"registered model {name!r} has no {alias!r} alias: run the register stage"
        )
    model = mlflow.pyfunc.load_model(f"models:/{name}@{alias}")
    columns = _feature_columns(version, model, features)
    return Champion(name=name, alias=alias, version=version, model=model, feature_columns=columns)


# --- forecasts -----------------------------------------------------------------------------------


def scheduled_rows(features: pd.DataFrame, matches: pd.DataFrame) -> pd.DataFrame:
    """The feature rows of every scheduled match of the match table, in kick-off order.

    Raises:
        ValueError: A scheduled match has no feature row, or a match id repeats.
    """
    wanted = matches.loc[matches[C.STATUS] == C.SCHEDULED, C.MATCH_ID]
    rows = features[features[C.MATCH_ID].isin(wanted)]
    if rows[C.MATCH_ID].duplicated().any():
        raise ValueError("features have duplicate rows for scheduled matches")
    missing = sorted(set(wanted) - set(rows[C.MATCH_ID]))
    if missing:
        raise ValueError(f"{len(missing)} scheduled matches have no features, e.g. {missing[:3]}")
    return rows.sort_values([C.KICKOFF, C.MATCH_ID], kind="stable").reset_index(drop=True)


def predict_probabilities(
    model: Any, rows: pd.DataFrame, feature_columns: Sequence[str]
) -> npt.NDArray[np.float64]:
    """Call the pyfunc and return (n, 3) probabilities in (0, 1) whose rows sum to 1.

    Raises:
        ValueError: The model returned the wrong shape or non-finite values.
    """
    if rows.empty:
        return np.empty((0, 3))
    absent = [c for c in feature_columns if c not in rows.columns]
    if absent:
        logger.warning("%d feature columns absent, passed as NaN: %s", len(absent), absent[:5])
    model_input = rows.reindex(columns=list(feature_columns)).astype("float64")
    output = pd.DataFrame(model.predict(model_input))
    probs = output.reindex(columns=list(PROBA_COLUMNS)).to_numpy(dtype=np.float64)
    if probs.shape != (len(rows), 3) or not np.isfinite(probs).all():
        raise ValueError(f"model output has shape {probs.shape} or non-finite values")
    probs = np.clip(probs, PROBABILITY_FLOOR, None)
    return np.asarray(probs / probs.sum(axis=1, keepdims=True), dtype=np.float64)


# --- reasons -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Factor:
    """A feature family a forecast can be explained by: one home and one away column."""

    name: str
    home: str
    away: str
    describe: Callable[[str, str, float, float], str]


def _rating(home: str, away: str, h: float, a: float) -> str:
    side = "above" if h >= a else "below"
    return f"{home} rated {abs(h - a):.0f} Elo points {side} {away} ({h:.0f} vs {a:.0f})"


def _form(home: str, away: str, h: float, a: float) -> str:
    return f"points per match over the last 5: {home} {h:.2f}, {away} {a:.2f}"


def _venue_form(home: str, away: str, h: float, a: float) -> str:
    return (
        f"last 5 at this venue: {home} {h:.2f} points per home match, {away} {a:.2f} per away match"
    )


def _rest(home: str, away: str, h: float, a: float) -> str:
    return f"days of rest: {home} {h:.0f}, {away} {a:.0f}"


def _goals(home: str, away: str, h: float, a: float) -> str:
    return f"expected goals from attack and defence strengths: {home} {h:.2f}, {away} {a:.2f}"


def _shots(home: str, away: str, h: float, a: float) -> str:
    return f"shots on target per match over the last 10: {home} {h:.1f}, {away} {a:.1f}"


FACTORS: tuple[Factor, ...] = (
    Factor("rating", "f_elo_home", "f_elo_away", _rating),
    Factor("form", "f_home_form5_points", "f_away_form5_points", _form),
    Factor("venue_form", "f_home_home_form5_points", "f_away_away_form5_points", _venue_form),
    Factor("rest", "f_home_rest_days", "f_away_rest_days", _rest),
    Factor("goal_expectation", "f_dc_exp_home", "f_dc_exp_away", _goals),
    Factor("shots_on_target", "f_home_form10_sot_for", "f_away_form10_sot_for", _shots),
)


def compute_reasons(
    rows: pd.DataFrame,
    reference: pd.DataFrame,
    factors: Sequence[Factor] = FACTORS,
    top: int = N_REASONS,
) -> list[str]:
    """The top reasons of each forecast as JSON strings (list of factor, value, detail).

    A factor's strength is its home-minus-away difference divided by the spread of that
    difference over ``reference`` (every match), so rating points, points per match and
    days of rest compare on one scale. This describes the match; it is not an attribution
    of the model's output.

    Args:
        rows: Feature rows of the forecast matches (with home_team / away_team).
        reference: Feature rows whose spread sets the scale (the whole features table).
        factors: Candidate factors; those whose columns are absent are skipped.
        top: How many reasons to keep per match.

    Returns:
        One JSON string per row.
    """
    usable = [f for f in factors if f.home in rows.columns and f.away in rows.columns]
    n = len(rows)
    if not usable or n == 0:
        return ["[]"] * n
    home = np.column_stack([rows[f.home].to_numpy(np.float64, na_value=np.nan) for f in usable])
    away = np.column_stack([rows[f.away].to_numpy(np.float64, na_value=np.nan) for f in usable])
    diff = home - away
    scale = np.array(
        [
            np.nanstd(
                reference[f.home].to_numpy(np.float64, na_value=np.nan)
                - reference[f.away].to_numpy(np.float64, na_value=np.nan)
            )
            if f.home in reference.columns and f.away in reference.columns
            else np.nan
            for f in usable
        ]
    )
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    strength = np.where(np.isnan(diff), -np.inf, np.abs(diff) / scale)
    order = np.argsort(-strength, axis=1, kind="stable")[:, :top]
    home_names = rows[C.HOME_TEAM].astype(str).tolist()
    away_names = rows[C.AWAY_TEAM].astype(str).tolist()
    out: list[str] = []
    for i in range(n):
        reasons = [
            {
                "factor": usable[j].name,
                "value": round(float(diff[i, j]), 4),
                "detail": usable[j].describe(home_names[i], away_names[i], home[i, j], away[i, j]),
            }
            for j in order[i]
            if math.isfinite(strength[i, j])
        ]
        out.append(json.dumps(reasons))
    return out


# --- the predictions frame -----------------------------------------------------------------------


def build_predictions(
    rows: pd.DataFrame,
    probs: npt.NDArray[np.float64],
    market: pd.DataFrame,
    reasons: Sequence[str],
    champion: Champion,
    data_version: str,
    as_of: str,
    computed_at: pd.Timestamp,
) -> pd.DataFrame:
    """Assemble ``predictions.parquet``: one row per scheduled match (see the contract).

    Args:
        rows: Feature rows of the scheduled matches (key columns used).
        probs: (n, 3) probabilities aligned with ``rows``.
        market: match_id with odds_pre_home/draw/away and odds_pre_source.
        reasons: JSON reasons aligned with ``rows``.
        champion: The model that produced ``probs``.
        data_version: Hash of the batch inputs.
        as_of: Information cut-off of the features.
        computed_at: Time of this run (UTC).

    Returns:
        The predictions frame.
    """
    odds = rows[[C.MATCH_ID]].merge(market, on=C.MATCH_ID, how="left")
    pre = np.array(
        odds.reindex(columns=list(C.ODDS_PRE)).to_numpy(dtype=np.float64, na_value=np.nan)
    )
    known = np.isfinite(pre).all(axis=1) & (pre > 1.0).all(axis=1)
    pre[~known] = np.nan
    source = odds.get(C.ODDS_PRE_SOURCE, pd.Series([None] * len(odds))).astype(object)
    source = source.where(pd.Series(known) & source.notna(), None)
    frame = pd.DataFrame(
        {
            C.MATCH_ID: rows[C.MATCH_ID].astype(str).to_numpy(),
            C.LEAGUE: rows[C.LEAGUE].astype(str).to_numpy(),
            C.SEASON: rows[C.SEASON].astype(str).to_numpy(),
            C.KICKOFF: pd.to_datetime(rows[C.KICKOFF], utc=True).to_numpy(),
            C.HOME_TEAM: rows[C.HOME_TEAM].astype(str).to_numpy(),
            C.AWAY_TEAM: rows[C.AWAY_TEAM].astype(str).to_numpy(),
            "p_home": probs[:, 0],
            "p_draw": probs[:, 1],
            "p_away": probs[:, 2],
            "predicted": np.array(C.RESULTS)[probs.argmax(axis=1)] if len(probs) else [],
            "fair_odds_home": 1.0 / probs[:, 0],
            "fair_odds_draw": 1.0 / probs[:, 1],
            "fair_odds_away": 1.0 / probs[:, 2],
            "market_odds_home": pre[:, 0],
            "market_odds_draw": pre[:, 1],
            "market_odds_away": pre[:, 2],
            "market_odds_source": source.to_numpy(),
            "reasons": list(reasons),
            "model_name": champion.name,
            "model_version": str(champion.version.version),
            "model_alias": champion.alias,
            "model_run_id": str(champion.version.run_id),
            "data_version": data_version,
            "features_as_of": as_of,
            "computed_at": computed_at,
        }
    )
    frame[C.KICKOFF] = pd.to_datetime(frame[C.KICKOFF], utc=True)
    return frame


def _number(value: str | None) -> float | None:
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


def model_card(champion: Champion) -> dict[str, Any]:
    """The content of ``model.json``: the champion's identity and evaluation (from its tags)."""
    tags = champion.tags
    evaluation: dict[str, Any] = {key: _number(tags.get(key)) for key in EVALUATION_TAGS}
    if evaluation["test_n"] is not None:
        evaluation["test_n"] = int(evaluation["test_n"])
    return {
        "name": champion.name,
        "version": str(champion.version.version),
        "alias": champion.alias,
        "run_id": str(champion.version.run_id),
        "data_version": tags.get("data_version"),
        "trained_through": tags.get("trained_through"),
        "feature_columns": champion.feature_columns,
        "evaluation": evaluation,
    }


# --- side effects: MLflow run and prediction log -------------------------------------------------


def log_batch_run(
    client: MlflowClient,
    artifact_root: str | None,
    predictions: pd.DataFrame,
    files: Sequence[Path],
    params: Mapping[str, str],
) -> str:
    """Log the batch as an MLflow run: inputs, count, and the written files as artifacts.

    Returns:
        The run id.
    """
    experiment = client.get_experiment_by_name(EXPERIMENT)
    if experiment is None:
        location = None
        if artifact_root is not None:
            location = (
                artifact_root if "://" in artifact_root else Path(artifact_root).resolve().as_uri()
            )
        experiment_id = client.create_experiment(EXPERIMENT, artifact_location=location)
    else:
        experiment_id = experiment.experiment_id
    with mlflow.start_run(
        experiment_id=experiment_id, run_name=f"batch-{params['data_version'][:8]}"
    ) as run:
        mlflow.log_params(dict(params))
        mlflow.log_metric("n_predictions", len(predictions))
        mlflow.set_tag("data_version", params["data_version"])
        for path in files:
            mlflow.log_artifact(str(path), artifact_path="predictions")
        return str(run.info.run_id)


def log_predictions(database_url: str, predictions: pd.DataFrame) -> int:
    """Append the forecasts to the store's prediction log (migrating the store first)."""
    engine = store.create_engine_for(database_url)
    try:
        store.upgrade_engine(engine)
        return store.append_predictions(engine, predictions)
    finally:
        engine.dispose()


# --- the stage -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchResult:
    """What a batch run produced."""

    predictions: pd.DataFrame
    card: dict[str, Any]
    data_version: str
    run_id: str | None
    logged: int | None


def run_batch_inference(
    features_path: Path,
    matches_path: Path,
    out: Path,
    model_out: Path,
    as_of: str,
    tracking_uri: str,
    artifact_root: str | None = None,
    database_url: str | None = None,
    model_name: str = registry.MODEL_NAME,
    alias: str = registry.CHAMPION,
) -> BatchResult:
    """Forecast every scheduled match with the champion and publish the files.

    Args:
        features_path: ``features.parquet`` (finished and scheduled rows).
        matches_path: ``matches.parquet`` (status and pre-match odds).
        out: Where ``predictions.parquet`` goes (written atomically).
        model_out: Where ``model.json`` goes (written atomically).
        as_of: ``data.as_of``: the information cut-off of the features.
        tracking_uri: MLflow tracking and registry URI.
        artifact_root: Artifact location of a new MLflow experiment.
        database_url: SQL store for the prediction log; None skips the log.
        model_name: Registered model name.
        alias: Alias to serve.

    Returns:
        The predictions and what was logged.
    """
    client = registry.connect(tracking_uri, artifact_root)
    features = pd.read_parquet(features_path)
    match_columns = [C.MATCH_ID, C.STATUS, *C.ODDS_PRE, C.ODDS_PRE_SOURCE]
    matches = pd.read_parquet(matches_path, columns=match_columns)
    hashes = {"features": file_md5(features_path), "matches": file_md5(matches_path)}
    data_version = inputs_version(hashes)
    champion = load_champion(client, features, model_name, alias)
    rows = scheduled_rows(features, matches)
    probs = predict_probabilities(champion.model, rows, champion.feature_columns)
    reasons = compute_reasons(rows, features)
    computed_at = pd.Timestamp.now(tz="UTC")
    market = matches.drop(columns=[C.STATUS])
    predictions = build_predictions(
        rows, probs, market, reasons, champion, data_version, as_of, computed_at
    )
    card = model_card(champion)
    write_parquet(predictions, out)
    write_json(card, model_out)
    logger.info(
        "%d forecasts from %s v%s (data %s)",
        len(predictions),
        model_name,
        champion.version.version,
        data_version,
    )
    run_params = {
        "model_name": model_name,
        "model_version": str(champion.version.version),
        "model_alias": alias,
        "model_run_id": str(champion.version.run_id),
        "as_of": as_of,
        "data_version": data_version,
        **{f"{name}_md5": md5 for name, md5 in hashes.items()},
    }
    run_id = log_batch_run(client, artifact_root, predictions, [out, model_out], run_params)
    logged = None if database_url is None else log_predictions(database_url, predictions)
    return BatchResult(predictions, card, data_version, run_id, logged)


def main(
    features: Annotated[Path, typer.Option(help="Features parquet (finished and scheduled rows).")],
    matches: Annotated[Path, typer.Option(help="Canonical match table (status, pre-match odds).")],
    out: Annotated[Path, typer.Option(help="Predictions parquet to write.")],
    model_out: Annotated[Path, typer.Option(help="Champion metadata JSON to write.")],
    params: Annotated[Path, typer.Option(help="Params file (data.as_of).")] = Path("params.yaml"),
    model_name: Annotated[str, typer.Option(help="Registered model name.")] = registry.MODEL_NAME,
    alias: Annotated[str, typer.Option(help="Registry alias to serve.")] = registry.CHAMPION,
    log_to_store: Annotated[
        bool, typer.Option(help="Append the forecasts to the SQL prediction log.")
    ] = True,
) -> None:
    """Forecast every scheduled match with the registry's champion."""
    started = time.perf_counter()
    settings = get_settings()
    as_of = str(load_section(params, "data").get("as_of"))
    result = run_batch_inference(
        features,
        matches,
        out,
        model_out,
        as_of=as_of,
        tracking_uri=settings.mlflow_tracking_uri,
        artifact_root=settings.mlflow_artifact_root,
        database_url=settings.database_url if log_to_store else None,
        model_name=model_name,
        alias=alias,
    )
    logger.info(
        "batch_inference done in %.1fs: %d forecasts, run %s, %s rows logged at %s",
        time.perf_counter() - started,
        len(result.predictions),
        result.run_id,
        result.logged,
        dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
