"""Multiprocess metrics: a worker that is gone keeps its counts but not its live gauges."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from matchcast.app.metrics_processes import WorkersCollector, shared_metrics_folder

WORKER = """
from prometheus_client import CollectorRegistry, Counter, Gauge
r = CollectorRegistry()
Counter("answered", "", registry=r).inc(3)
Gauge("circuit_open", "", registry=r, multiprocess_mode="livemax").set(1)
"""


def _values(folder: Path) -> dict[str, float]:
    return {s.name: s.value for m in WorkersCollector(folder).collect() for s in m.samples}


def test_a_dead_workers_counts_stay_and_its_live_gauges_go(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-c", WORKER], env=env, check=True)
    assert {p.name.split("_")[0] for p in tmp_path.glob("*.db")} == {"counter", "gauge"}

    values = _values(tmp_path)

    assert values["answered_total"] == 3
    assert "circuit_open" not in values
    assert not list(tmp_path.glob("gauge_*.db"))


def test_a_named_folder_is_emptied_and_one_is_made_for_several_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    with shared_metrics_folder(1) as folder:
        assert folder is None
    with shared_metrics_folder(2) as folder:
        assert folder is not None and folder.is_dir()
        assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(folder)
    assert not folder.exists()
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ

    named = tmp_path / "metrics"
    named.mkdir()
    (named / "counter_123.db").write_bytes(b"old server")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(named))
    with shared_metrics_folder(1) as folder:
        assert folder == named
        assert not list(named.glob("*.db"))
