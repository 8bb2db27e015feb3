"""What the API serves, held in one immutable object and swapped as a whole.

A reload builds every changed component fully, then replaces one reference: a request
reads ``holder.state`` once and sees either the old or the new state, never a mix, so no
request fails during a swap.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import orjson
import pandas as pd

from matchcast.app.catalog import MatchCatalog, catalog_from_predictions, load_catalog
from matchcast.app.monitoring import (
    DriftSummary,
    LiveQualityReport,
    load_drift_summary,
    load_live_quality,
)
from matchcast.app.predictions import PredictionIndex, build_prediction_index
from matchcast.app.schemas import ModelEvaluation, ModelInfo, PredictionsInfo
from matchcast.data.identity import read_moved

logger = logging.getLogger(__name__)

PREDICTIONS, MODEL, MATCHES = "predictions", "model", "matches"
# Published together by batch_inference and swapped together: a request never sees
# forecasts of one model with the card of another.
BATCH = (PREDICTIONS, MODEL)
FINISHED, EVALUATION = "finished", "evaluation"
LIVE_QUALITY, DRIFT = "live_quality", "drift"
MOVED = "moved"


@dataclass(frozen=True)
class ServingFiles:
    """The files the API serves from."""

    predictions: Path
    model: Path
    matches: Path
    finished: Path | None = None  # recently finished matches' logged forecasts
    evaluation: Path | None = None  # the champion's test evaluation
    live_quality: Path | None = None  # the monitor stage's live_quality.json
    drift: Path | None = None  # the monitor stage's drift.json
    moved: Path | None = None  # ids that moved or were withdrawn (data.identity)


@dataclass(frozen=True)
class FileSignature:
    """Identity of one version of a file (an atomic replace changes the inode)."""

    inode: int
    mtime_ns: int
    size: int


def signature(path: Path) -> FileSignature | None:
    """Return the signature of a file, or None when it does not exist."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return FileSignature(st.st_ino, st.st_mtime_ns, st.st_size)


@dataclass(frozen=True)
class ServingState:
    """Everything one request may read, consistent with itself."""

    predictions: PredictionIndex | None = None
    model: ModelInfo | None = None
    model_body: bytes | None = None
    catalog: MatchCatalog | None = None
    catalog_is_fallback: bool = False
    finished: PredictionIndex | None = None
    evaluation_body: bytes | None = None
    live_quality: LiveQualityReport | None = None
    live_quality_body: bytes | None = None
    drift: DriftSummary | None = None
    moved: dict[str, tuple[str | None, str]] = field(default_factory=dict)
    signatures: dict[str, FileSignature | None] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def not_ready_reason(self) -> str | None:
        """Why the API cannot serve forecasts yet, or None when it can."""
        reasons = []
        if self.predictions is None:
            reasons.append(f"predictions not loaded: {self.errors.get(PREDICTIONS, 'no file')}")
        if self.model is None:
            reasons.append(f"model metadata not loaded: {self.errors.get(MODEL, 'no file')}")
        return "; ".join(reasons) or None


def load_model_info(path: Path) -> ModelInfo:
    """Read ``model.json`` (written by the batch stage) into the /model answer."""
    return ModelInfo.model_validate(orjson.loads(path.read_bytes()))


def load_evaluation(path: Path) -> bytes:
    """Read ``evaluation.json`` (written by the batch stage), validated, as response bytes."""
    evaluation = ModelEvaluation.model_validate(orjson.loads(path.read_bytes()))
    return evaluation.model_dump_json().encode()


def _model_body(model: ModelInfo | None, predictions: PredictionIndex | None) -> bytes | None:
    if model is None:
        return None
    info = None
    if predictions is not None:
        info = PredictionsInfo(
            n_predictions=len(predictions),
            data_version=predictions.data_version,
            features_as_of=predictions.features_as_of,
            computed_at=predictions.computed_at,
            loaded_at=predictions.loaded_at,
        )
    return model.model_copy(update={"predictions": info}).model_dump_json().encode()


class StateHolder:
    """Owns the current :class:`ServingState` and replaces it when files change."""

    def __init__(self, files: ServingFiles, max_age_s: int) -> None:
        """Start empty; call :meth:`refresh` to load.

        Args:
            files: Where the predictions, model metadata and match table live.
            max_age_s: Cache-Control max-age of prediction responses.
        """
        self.files = files
        self.max_age_s = max_age_s
        self.state = ServingState()
        self.last_failed: list[str] = []  # components whose load failed in the last refresh
        self._lock = threading.Lock()

    def refresh(self, force: bool = False) -> list[str]:
        """Reload every component whose file changed (all of them with ``force``).

        A component that fails to load keeps its previous version; the error is kept in
        ``state.errors`` and logged.

        Returns:
            The names of the components that were replaced.
        """
        with self._lock:
            old = self.state
            paths = {
                PREDICTIONS: self.files.predictions,
                MODEL: self.files.model,
                MATCHES: self.files.matches,
            }
            optional = {
                FINISHED: self.files.finished,
                EVALUATION: self.files.evaluation,
                LIVE_QUALITY: self.files.live_quality,
                DRIFT: self.files.drift,
                MOVED: self.files.moved,
            }
            for name, path in optional.items():
                if path is not None:
                    paths[name] = path
            sigs = {name: signature(p) for name, p in paths.items()}
            todo = [
                n
                for n, s in sigs.items()
                if s is not None and (force or s != old.signatures.get(n))
            ]
            if any(name in todo for name in BATCH):
                todo += [n for n in BATCH if n not in todo and sigs.get(n) is not None]
            self.last_failed = []
            if not todo:
                return []
            predictions, model, catalog = old.predictions, old.model, old.catalog
            finished, evaluation = old.finished, old.evaluation_body
            live, live_body, drift = old.live_quality, old.live_quality_body, old.drift
            fallback = old.catalog_is_fallback
            moved = old.moved
            errors = {k: v for k, v in old.errors.items() if k not in todo}
            done: list[str] = []
            frame: pd.DataFrame | None = None
            for name in todo:
                try:
                    if name == PREDICTIONS:
                        frame = pd.read_parquet(paths[name])
                        predictions = build_prediction_index(frame, self.max_age_s)
                    elif name == MODEL:
                        model = load_model_info(paths[name])
                    elif name == FINISHED:
                        finished_frame = pd.read_parquet(paths[name])
                        finished = build_prediction_index(
                            finished_frame, self.max_age_s, finished=True
                        )
                    elif name == EVALUATION:
                        evaluation = load_evaluation(paths[name])
                    elif name == LIVE_QUALITY:
                        live, live_body = load_live_quality(paths[name])
                    elif name == DRIFT:
                        drift = load_drift_summary(paths[name])
                    elif name == MOVED:
                        moved = read_moved(paths[name])
                    else:
                        catalog, fallback = load_catalog(paths[name]), False
                    done.append(name)
                except Exception as exc:  # any broken file: keep serving the old version
                    logger.exception("could not load %s from %s", name, paths[name])
                    errors[name] = f"{type(exc).__name__}: {exc}"
                    self.last_failed.append(name)
            failed = [n for n in BATCH if n in errors and n in todo]
            mismatch = None
            if not failed and set(BATCH) & set(done):
                mismatch = _batch_mismatch(predictions, model)
            if failed or mismatch is not None:
                # Not both loaded and agreeing: keep the previous pair as it was.
                predictions, model = old.predictions, old.model
                frame = None
                for name in BATCH:
                    if name in done:
                        done.remove(name)
                        errors[name] = mismatch or f"held back: {', '.join(failed)} failed"
                    if mismatch is not None:
                        errors[name] = mismatch
                        self.last_failed.append(name)
            if frame is not None and PREDICTIONS in done and (catalog is None or fallback):
                catalog, fallback = catalog_from_predictions(frame), True
            self.state = replace(
                old,
                predictions=predictions,
                model=model,
                model_body=_model_body(model, predictions),
                catalog=catalog,
                catalog_is_fallback=fallback,
                finished=finished,
                evaluation_body=evaluation,
                live_quality=live,
                live_quality_body=live_body,
                drift=drift,
                moved=moved,
                signatures=sigs,
                errors=errors,
            )
            if done:
                logger.info("loaded %s at %s", ", ".join(done), dt.datetime.now(dt.UTC).isoformat())
            return done


def _batch_mismatch(predictions: PredictionIndex | None, model: ModelInfo | None) -> str | None:
    """Why the forecasts and the model card are not of one model, or None."""
    if predictions is None or model is None or predictions.model_version == model.version:
        return None
    return (
        f"predictions are of model version {predictions.model_version} but model.json is "
        f"version {model.version}; the previous pair is kept"
    )


async def watch(
    holder: StateHolder, interval_s: float, on_change: Callable[[list[str]], None]
) -> None:
    """Poll the files every ``interval_s`` seconds and reload what changed, forever."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            changed = await asyncio.to_thread(holder.refresh)
        except Exception:  # the watcher must survive anything
            logger.exception("file watcher failed")
            continue
        if changed or holder.last_failed:
            on_change(changed)
