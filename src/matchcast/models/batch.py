"""One batch run: forecast every scheduled match with the champion and publish the files.

The ``batch_inference`` stage calls :func:`run_batch_inference`. It loads the champion
through the registry, predicts the point-in-time features of every scheduled match,
computes every file before replacing the first, logs the run to MLflow and appends the
forecasts to the store's prediction log. The files' layout is
:mod:`matchcast.data.prediction_contract`; the API serves them and computes nothing (ADR-0006).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from matchcast.data import columns as C
from matchcast.data import store
from matchcast.data.finished import finished_forecasts
from matchcast.data.identity import KEY_COLUMNS, MOVED_COLUMNS, moved_ids
from matchcast.data.io import file_md5, inputs_version
from matchcast.data.prediction_contract import DEFAULT_FORECAST_KIND
from matchcast.data.publish import json_writer, parquet_writer, publish_together
from matchcast.models import registry
from matchcast.models.cards import evaluation_card, market_aware_card, model_card, value_card
from matchcast.models.champion import load_champion
from matchcast.models.forecasts import forecast_scheduled
from matchcast.models.market_aware import load_market_aware
from matchcast.models.scoreline import load_scoreline

logger = logging.getLogger(__name__)

MATCH_COLUMNS = (
    C.MATCH_ID, C.LEAGUE, C.SEASON, C.DATE, C.KICKOFF, C.HOME_TEAM, C.AWAY_TEAM,
    C.STATUS, C.RESULT, *C.ODDS_PRE, C.ODDS_PRE_SOURCE,
)  # fmt: skip


class BatchParams(BaseModel):
    """The ``batch_inference:`` slice of params.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Finished matches dated in (as_of - finished_window_days, as_of] are published with
    # their last forecast logged before kick-off.
    finished_window_days: int = Field(default=60, ge=0, le=3660)


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
    batch_version: int | None = None  # the batch's version in the store, when published


def _report_blocks(reports: Mapping[str, Path]) -> dict[str, Any]:
    """The value and market-aware blocks of ``model.json`` from the reports that exist."""
    blocks: dict[str, Any] = {}
    markets = reports.get("markets")
    if markets is not None and markets.exists():
        blocks["value"] = value_card(json.loads(markets.read_text()))
    aware = reports.get("market_aware")
    if aware is not None and aware.exists():
        blocks["market_aware"] = market_aware_card(
            json.loads(aware.read_text()), DEFAULT_FORECAST_KIND
        )
    return blocks


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
    mode: dict[str, str] | None = None,
    moved_out: Path | None = None,
    scoreline_path: Path | None = None,
    market_aware_path: Path | None = None,
    reports: Mapping[str, Path] | None = None,
) -> BatchResult:
    """Forecast every scheduled match with the champion and publish the files.

    Args:
        features_path: ``features.parquet`` (finished and scheduled rows).
        matches_path: ``matches.parquet`` (status and pre-match odds).
        out, model_out: Where ``predictions.parquet`` and ``model.json`` go (atomically).
        as_of: ``data.as_of``: the information cut-off of the features.
        tracking_uri: MLflow tracking and registry URI.
        artifact_root: Artifact location of a new MLflow experiment.
        database_url: SQL store of the prediction log and the published batches (the
            files' bytes, for replicas on other hosts); None skips reading and writing it.
        model_name, alias: The registered model and the alias to serve.
        finished_out, evaluation_out: Where ``finished.parquet`` and ``evaluation.json``
            go; None skips them.
        params: The ``batch_inference:`` knobs (defaults when None).
        append_log: Append this batch's forecasts to the prediction log.
        mode: The run's resolved as_of (``AsOf.to_dict()``), recorded in ``model.json``.
        moved_out: Where ``moved.parquet`` goes (ids that moved or were withdrawn, from
            the store's earlier scheduled rows; ADR-0012); None skips it.
        scoreline_path: The scoreline model (``models/scoreline.pkl``) that prices the
            markets; None publishes no markets.
        market_aware_path: The market-aware model (``models/market_aware.pkl``) served
            beside the champion's forecast; None publishes none (ADR-0019).
        reports: ``markets`` and/or ``market_aware`` report paths whose value and
            comparison blocks go into ``model.json`` (``GET /model``); absent: left out.

    Returns:
        The predictions and what was logged.
    """
    client = registry.connect(tracking_uri, artifact_root)
    features = pd.read_parquet(features_path)
    matches = pd.read_parquet(matches_path, columns=list(MATCH_COLUMNS))
    hashes = {"features": file_md5(features_path), "matches": file_md5(matches_path)}
    data_version = inputs_version(hashes)
    champion = load_champion(client, features, model_name, alias)
    now = pd.Timestamp.now(tz="UTC")
    scoreline = None if scoreline_path is None else load_scoreline(scoreline_path)
    aware = None if market_aware_path is None else load_market_aware(market_aware_path)
    predictions = forecast_scheduled(
        champion, features, matches, data_version, as_of, now, scoreline, aware
    )
    finished = None
    if finished_out is not None:
        # Read before this batch is appended: its forecasts are for later matches anyway.
        log = pd.DataFrame(columns=list(store.PREDICTION_COLUMNS))
        if database_url is not None:
            with store.migrated_engine(database_url) as engine:
                log = store.load_prediction_log(engine)
        window = (params or BatchParams()).finished_window_days
        finished = finished_forecasts(log, matches, as_of, window, alias)
    moved = None
    if moved_out is not None:
        seen = pd.DataFrame(columns=[C.MATCH_ID, C.DATE, *KEY_COLUMNS])
        if database_url is not None:
            with store.migrated_engine(database_url) as engine:
                seen = store.load_matches(engine, status=C.SCHEDULED)
        keys = pd.read_parquet(matches_path, columns=[C.MATCH_ID, C.DATE, *KEY_COLUMNS])
        moved = moved_ids(seen, keys)
    card = model_card(champion)
    card["as_of"] = mode or {"mode": "replay", "as_of": as_of, "reason": "given by the caller"}
    card.update(_report_blocks(reports or {}))
    evaluation = evaluation_card(client, champion) if evaluation_out is not None else None
    # Everything is computed before the first file is replaced; the files go out together.
    files = {out: parquet_writer(predictions), model_out: json_writer(card)}
    if finished_out is not None and finished is not None:
        files[finished_out] = parquet_writer(finished)
    if evaluation_out is not None and evaluation is not None:
        files[evaluation_out] = json_writer(evaluation)
    if moved_out is not None and moved is not None:
        files[moved_out] = parquet_writer(moved.loc[:, list(MOVED_COLUMNS)])
    publish_together(files)
    logger.info("%d forecasts from %s v%s", len(predictions), model_name, card["version"])
    inputs = {"as_of": as_of, "data_version": data_version}
    inputs.update({f"{name}_md5": md5 for name, md5 in hashes.items()})
    written = [
        p for p in (out, model_out, finished_out, evaluation_out, moved_out) if p is not None
    ]
    run_id = registry.log_batch_run(
        client, artifact_root, champion.version, alias, inputs, len(predictions), written
    )
    logged, version = None, None
    if database_url is not None:
        # The same bytes as the files, as one numbered batch that replicas on other hosts
        # follow (no shared disk; ADR-0021). The files stay the bulk artifact (ADR-0006).
        roles = {"predictions": out, "model": model_out, "finished": finished_out}
        roles |= {"evaluation": evaluation_out, "moved": moved_out}
        shared = {role: path.read_bytes() for role, path in roles.items() if path in files}
        with store.migrated_engine(database_url) as engine:
            version = store.publish_batch(engine, shared, str(card["version"]))
            if append_log:
                logged = store.append_predictions(engine, predictions)
        logger.info("published forecast batch %d to the store", version)
    return BatchResult(
        predictions, card, data_version, run_id, logged, finished, evaluation, version
    )
