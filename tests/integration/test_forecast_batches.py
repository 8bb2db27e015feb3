"""Published forecast batches: atomic in the store, followed by replicas within 2 s (ADR-0021).

A replica follows the store's newest batch into its own files and swaps it in memory; on
PostgreSQL a notification tells it at once (the poll interval here is a minute, so only
the notification can deliver the batch in time).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.fixtures.sample import (
    model_metadata,
    serving_files,
    synthetic_matches,
    synthetic_predictions,
)

from matchcast.app.batch_follower import BatchFollower
from matchcast.app.state import StateHolder
from matchcast.data import store
from matchcast.data.io import write_json, write_parquet

pytestmark = pytest.mark.integration


def batch_files(tmp_path: Path, model_version: str) -> dict[str, bytes]:
    """The bytes of a batch's predictions and model card made by ``model_version``."""
    folder = tmp_path / f"made-{model_version}"
    matches = synthetic_matches()
    write_parquet(synthetic_predictions(matches, model_version=model_version), folder / "p.parquet")
    write_json(model_metadata(model_version), folder / "m.json")
    return {
        "predictions": (folder / "p.parquet").read_bytes(),
        "model": (folder / "m.json").read_bytes(),
    }


def test_a_batch_is_stored_whole_and_only_the_newest_are_kept(tmp_path: Path) -> None:
    with store.migrated_engine(f"sqlite:///{tmp_path / 'store.db'}") as engine:
        assert store.latest_batch_version(engine) is None
        made = [batch_files(tmp_path, str(v)) for v in (1, 2, 3)]
        versions = [
            store.publish_batch(engine, files, str(v), keep=2)
            for v, files in enumerate(made, start=1)
        ]
        assert versions == sorted(versions)
        assert store.latest_batch_version(engine) == versions[-1]
        newest = store.load_batch(engine, versions[-1])
        assert newest.model_version == "3"
        assert newest.files == made[-1]
        with pytest.raises(LookupError, match="not in the store"):
            store.load_batch(engine, versions[0])  # pruned, with its files
        with engine.connect() as connection:
            kept = connection.execute(
                sa.select(sa.distinct(store.tables.FORECAST_BATCH_FILES.c.version))
            ).scalars()
            assert sorted(kept) == versions[1:]
        with pytest.raises(ValueError, match="needs model"):
            store.publish_batch(engine, {"predictions": b"x"}, "4")
        assert store.latest_batch_version(engine) == versions[-1]  # nothing half-published


def test_a_replica_follows_a_new_batch_within_two_seconds_by_notification(
    tmp_path: Path, pg_url: str
) -> None:
    store.upgrade(pg_url)
    files = serving_files(tmp_path / "replica")
    holder = StateHolder(files, max_age_s=60)
    loaded: list[int] = []

    def reload(version: int) -> None:
        holder.refresh()
        loaded.append(version)

    engine = store.create_engine_for(pg_url)
    follower = BatchFollower(pg_url, files, reload, poll_s=60.0)
    try:
        first = store.publish_batch(engine, batch_files(tmp_path, "1"), "1")
        follower.start()
        deadline = time.monotonic() + 10
        while loaded != [first] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert loaded == [first]  # the start-up sync found the published batch
        assert holder.state.predictions is not None
        assert holder.state.predictions.model_version == "1"
        time.sleep(0.5)  # the follower is waiting on LISTEN now
        second = store.publish_batch(engine, batch_files(tmp_path, "2"), "2")
        deadline = time.monotonic() + 2.0
        while loaded[-1] != second and time.monotonic() < deadline:
            time.sleep(0.02)
        assert loaded == [first, second]
        assert holder.state.predictions.model_version == "2"
        assert holder.state.model is not None and holder.state.model.version == "2"
    finally:
        follower.stop()
        engine.dispose()
