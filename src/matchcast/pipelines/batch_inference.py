"""DVC stage ``batch_inference``: forecasts for every scheduled match, from the champion.

Loads ``models:/matchcast-1x2@champion``, predicts the point-in-time features of every
scheduled match (after ``data.as_of``, plus any fixtures), attaches fair odds, the
market's pre-match odds, the top reasons and the model's provenance, and writes
``predictions.parquet`` and ``model.json`` atomically. The run is logged to MLflow and the
forecasts are appended to the store's prediction log, to be scored when results arrive.

Two more files are published for clients: ``finished.parquet``, the last forecast logged
before kick-off of every match finished in the last ``batch_inference.finished_window_days``
before ``as_of``, with its result and whether it was right; and ``evaluation.json``, the
champion's test evaluation (metrics against the market and baselines, per league, and the
reliability table) read from the evaluate stage's reports logged with the champion's run.
The API serves these files and computes nothing (ADR-0006).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import tempfile
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
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient
from pydantic import BaseModel, ConfigDict, Field

from matchcast.config import get_settings
from matchcast.data import columns as C
from matchcast.data import store
from matchcast.data.finished import last_forecasts_before_kickoff
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
# Where the register stage logs the evaluate stage's reports in the model's run.
EVALUATION_ARTIFACTS = ("evaluation/metrics.json", "evaluation/calibration.csv")
REPORT_BLOCKS = ("test", "market", "gap", "baselines", "market_methods", "test_seasons")


class BatchParams(BaseModel):
    """The ``batch_inference:`` slice of params.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Finished matches dated in (as_of - finished_window_days, as_of] are published with
    # their last forecast logged before kick-off.
    finished_window_days: int = Field(default=60, ge=0, le=3660)


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
    odds = market_odds(rows, market)
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
            **{c: odds[c].to_numpy() for c in odds.columns},
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


def market_odds(rows: pd.DataFrame, market: pd.DataFrame) -> pd.DataFrame:
    """The pre-match odds of ``rows`` (by match id), null where unknown or not above 1."""
    odds = rows[[C.MATCH_ID]].merge(market, on=C.MATCH_ID, how="left")
    pre = np.array(
        odds.reindex(columns=list(C.ODDS_PRE)).to_numpy(dtype=np.float64, na_value=np.nan)
    )
    known = np.isfinite(pre).all(axis=1) & (pre > 1.0).all(axis=1)
    pre[~known] = np.nan
    source = odds.get(C.ODDS_PRE_SOURCE, pd.Series([None] * len(odds))).astype(object)
    source = source.where(pd.Series(known) & source.notna(), None)
    out = pd.DataFrame(pre, columns=list(MARKET_COLUMNS))
    out["market_odds_source"] = source.to_numpy()
    return out


def build_finished(forecasts: pd.DataFrame, market: pd.DataFrame, alias: str) -> pd.DataFrame:
    """Lay out finished matches' logged forecasts like ``predictions.parquet``, plus outcome.

    Args:
        forecasts: Output of :func:`last_forecasts_before_kickoff`.
        market: match_id with odds_pre_home/draw/away and odds_pre_source.
        alias: The registry alias the batch stage forecasts with (the log does not keep it).

    Returns:
        The columns of ``predictions.parquet`` (each forecast keeps the provenance it was
        logged with; ``reasons`` is empty) and ``status`` = finished, ``result``, ``correct``.
    """
    probs = forecasts[list(PROBA_COLUMNS)].to_numpy(dtype=np.float64).reshape(-1, 3)
    odds = market_odds(forecasts, market)
    as_of = pd.to_datetime(forecasts["features_as_of"], utc=True).dt.strftime("%Y-%m-%d")
    frame = pd.DataFrame(
        {
            C.MATCH_ID: forecasts[C.MATCH_ID].astype(str).to_numpy(),
            C.LEAGUE: forecasts[C.LEAGUE].astype(str).to_numpy(),
            C.SEASON: forecasts[C.SEASON].astype(str).to_numpy(),
            C.KICKOFF: pd.to_datetime(forecasts[C.KICKOFF], utc=True).to_numpy(),
            C.HOME_TEAM: forecasts[C.HOME_TEAM].astype(str).to_numpy(),
            C.AWAY_TEAM: forecasts[C.AWAY_TEAM].astype(str).to_numpy(),
            "p_home": probs[:, 0],
            "p_draw": probs[:, 1],
            "p_away": probs[:, 2],
            "predicted": forecasts["predicted"].astype(str).to_numpy(),
            "fair_odds_home": 1.0 / probs[:, 0],
            "fair_odds_draw": 1.0 / probs[:, 1],
            "fair_odds_away": 1.0 / probs[:, 2],
            **{c: odds[c].to_numpy() for c in odds.columns},
            "reasons": "[]",
            "model_name": forecasts["model_name"].astype(str).to_numpy(),
            "model_version": forecasts["model_version"].astype(str).to_numpy(),
            "model_alias": alias,
            "model_run_id": forecasts["model_run_id"].astype(str).to_numpy(),
            "data_version": forecasts["data_version"].astype(str).to_numpy(),
            "features_as_of": as_of.to_numpy(),
            "computed_at": pd.to_datetime(forecasts["computed_at"], utc=True).to_numpy(),
            C.STATUS: C.FINISHED,
            C.RESULT: forecasts[C.RESULT].astype(str).to_numpy(),
            "correct": forecasts["correct"].astype(bool).to_numpy(),
        }
    )
    for column in (C.KICKOFF, "computed_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def _per_league(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {"league": league, **{k: block.get(k) for k in ("n", "model", "market", "gap")}}
        for league, block in sorted(report.get("per_league", {}).items())
    ]


def evaluation_card(client: MlflowClient, champion: Champion) -> dict[str, Any]:
    """The content of ``evaluation.json``: the champion's test evaluation, for clients.

    The reports come from the champion's own MLflow run (the register stage logs the
    evaluate stage's ``metrics.json`` and ``calibration.csv`` there), so they describe
    the model that is served even when a later evaluation did not move the champion.

    Args:
        client: Registry client.
        champion: The served model.

    Returns:
        ``model`` (identity), ``available``, the report blocks (``test``, ``market``,
        ``gap``, ``baselines``, ``market_methods``, ``test_seasons``), ``per_league`` (a
        list) and ``calibration`` (the reliability table as records).
    """
    report: dict[str, Any] | None = None
    calibration: pd.DataFrame | None = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for name in EVALUATION_ARTIFACTS:
                local = Path(client.download_artifacts(str(champion.version.run_id), name, tmp))
                if local.suffix == ".json":
                    report = json.loads(local.read_text())
                else:
                    calibration = pd.read_csv(local)
    except (MlflowException, OSError) as exc:
        logger.warning("the champion's run has no evaluation reports (%s)", exc)
        report, calibration = None, None
    card: dict[str, Any] = {
        "model": {
            "name": champion.name,
            "version": str(champion.version.version),
            "alias": champion.alias,
            "run_id": str(champion.version.run_id),
        },
        "available": report is not None,
        "per_league": [],
        "calibration": [],
    }
    if report is not None:
        card.update({k: report.get(k) for k in REPORT_BLOCKS})
        card["per_league"] = _per_league(report)
    if calibration is not None:
        card["calibration"] = [
            {
                "outcome": str(r["outcome"]),
                "bin": int(r["bin"]),
                "mean_predicted": float(r["mean_predicted"]),
                "observed_rate": float(r["observed_rate"]),
                "count": int(r["count"]),
            }
            for r in calibration.to_dict("records")
        ]
    return card


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


def read_prediction_log(database_url: str) -> pd.DataFrame:
    """Read the store's prediction log (migrating the store first)."""
    engine = store.create_engine_for(database_url)
    try:
        store.upgrade_engine(engine)
        return store.load_prediction_log(engine)
    finally:
        engine.dispose()


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
    finished: pd.DataFrame | None = None
    evaluation: dict[str, Any] | None = None


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
    finished_out: Path | None = None,
    evaluation_out: Path | None = None,
    params: BatchParams | None = None,
    append_log: bool = True,
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
        database_url: SQL store of the prediction log; None skips reading and appending.
        model_name: Registered model name.
        alias: Alias to serve.
        finished_out: Where ``finished.parquet`` goes; None skips it.
        evaluation_out: Where ``evaluation.json`` goes; None skips it.
        params: The ``batch_inference:`` knobs (defaults when None).
        append_log: Append this batch's forecasts to the prediction log.

    Returns:
        The predictions and what was logged.
    """
    client = registry.connect(tracking_uri, artifact_root)
    features = pd.read_parquet(features_path)
    knobs = params or BatchParams()
    match_columns = [
        C.MATCH_ID, C.LEAGUE, C.SEASON, C.DATE, C.KICKOFF, C.HOME_TEAM, C.AWAY_TEAM,
        C.STATUS, C.RESULT, *C.ODDS_PRE, C.ODDS_PRE_SOURCE,
    ]  # fmt: skip
    matches = pd.read_parquet(matches_path, columns=match_columns)
    hashes = {"features": file_md5(features_path), "matches": file_md5(matches_path)}
    data_version = inputs_version(hashes)
    champion = load_champion(client, features, model_name, alias)
    rows = scheduled_rows(features, matches)
    probs = predict_probabilities(champion.model, rows, champion.feature_columns)
    reasons = compute_reasons(rows, features)
    computed_at = pd.Timestamp.now(tz="UTC")
    market = matches[[C.MATCH_ID, *C.ODDS_PRE, C.ODDS_PRE_SOURCE]]
    predictions = build_predictions(
        rows, probs, market, reasons, champion, data_version, as_of, computed_at
    )
    card = model_card(champion)
    finished = None
    if finished_out is not None:
        # Read before this batch is appended: its forecasts are for later matches anyway.
        log = read_prediction_log(database_url) if database_url is not None else None
        forecasts = last_forecasts_before_kickoff(
            pd.DataFrame(columns=list(store.PREDICTION_COLUMNS)) if log is None else log,
            matches,
            as_of,
            knobs.finished_window_days,
        )
        finished = build_finished(forecasts, market, alias)
    evaluation = evaluation_card(client, champion) if evaluation_out is not None else None
    write_parquet(predictions, out)
    write_json(card, model_out)
    if finished_out is not None and finished is not None:
        write_parquet(finished, finished_out)
    if evaluation_out is not None and evaluation is not None:
        write_json(evaluation, evaluation_out)
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
    written = [p for p in (out, model_out, finished_out, evaluation_out) if p is not None]
    run_id = log_batch_run(client, artifact_root, predictions, written, run_params)
    logged = None
    if database_url is not None and append_log:
        logged = log_predictions(database_url, predictions)
    return BatchResult(predictions, card, data_version, run_id, logged, finished, evaluation)


def main(
    features: Annotated[Path, typer.Option(help="Features parquet (finished and scheduled rows).")],
    matches: Annotated[Path, typer.Option(help="Canonical match table (status, pre-match odds).")],
    out: Annotated[Path, typer.Option(help="Predictions parquet to write.")],
    model_out: Annotated[Path, typer.Option(help="Champion metadata JSON to write.")],
    finished_out: Annotated[
        Path | None,
        typer.Option(help="Parquet of recently finished matches' logged forecasts to write."),
    ] = None,
    evaluation_out: Annotated[
        Path | None, typer.Option(help="JSON of the champion's test evaluation to write.")
    ] = None,
    params: Annotated[Path, typer.Option(help="Params file (data.as_of, batch_inference).")] = Path(
        "params.yaml"
    ),
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
    knobs = BatchParams.model_validate(load_section(params, "batch_inference") or {})
    result = run_batch_inference(
        features,
        matches,
        out,
        model_out,
        as_of=as_of,
        tracking_uri=settings.mlflow_tracking_uri,
        artifact_root=settings.mlflow_artifact_root,
        database_url=settings.database_url,
        model_name=model_name,
        alias=alias,
        finished_out=finished_out,
        evaluation_out=evaluation_out,
        params=knobs,
        append_log=log_to_store,
    )
    logger.info(
        "batch_inference done in %.1fs: %d forecasts, run %s, %s rows logged at %s",
        time.perf_counter() - started,
        len(result.predictions),
        result.run_id,
        result.logged,
        dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
