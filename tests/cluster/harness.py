"""Driving the reference cluster from a test: publish batches, load it, break it.

Every request goes to the cluster's own addresses (``10.232.0.0/24``) or 127.0.0.1, and
every loop is bounded in time.
"""

from __future__ import annotations

import csv
import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import sqlalchemy as sa
from tests.fixtures.sample import model_metadata, synthetic_matches, synthetic_predictions

from matchcast.data import store
from matchcast.data.io import write_json, write_parquet


@dataclass
class LoadResult:
    """What a load run saw: status codes counted, transport errors kept."""

    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    latencies_s: list[float] = field(default_factory=list)

    @property
    def failed(self) -> int:
        """Requests that did not get a 200 (any other status or no answer)."""
        return len(self.errors) + sum(n for code, n in self.statuses.items() if code != 200)

    @property
    def total(self) -> int:
        """Requests sent."""
        return len(self.errors) + sum(self.statuses.values())


class Cluster:
    """The running cluster: its addresses, its settings and its control script."""

    def __init__(self, deploy: Path, env: dict[str, str], workdir: Path) -> None:
        """Read the cluster's settings (``cluster.env``) written by ``up.sh``."""
        self.deploy = deploy
        self.env = env
        self.workdir = workdir
        self.dir = Path(env["CLUSTER_DIR"])
        net = env["CLUSTER_NET"]
        self.lb = f"http://{net}.10:8080"
        self.replicas = {"api-1": f"http://{net}.11:8000", "api-2": f"http://{net}.12:8000"}
        self.settings = settings = dict(
            line.split("=", 1)
            for line in (self.dir / "cluster.env").read_text().splitlines()
            if "=" in line
        )
        # The test publishes from the root namespace straight to the server (127.0.0.1),
        # not through the forwarder the replicas use: a stopped forwarder cuts the
        # replicas off from the store, not the publisher.
        self.database_url = settings["MATCHCAST_DATABASE_URL"].replace(f"@{net}.1:", "@127.0.0.1:")
        matches = synthetic_matches()
        self.match_ids = list(matches.loc[matches["status"] == "scheduled", "match_id"])

    def ctl(self, action: str, name: str) -> None:
        """``deploy/cluster/ctl.sh action name`` (start, stop, kill)."""
        subprocess.run([self.deploy / "ctl.sh", action, name], env=self.env, check=True, timeout=30)

    def publish(self, model_version: str) -> int:
        """Publish a batch made by ``model_version`` the way batch_inference does."""
        folder = self.workdir / model_version
        matches = synthetic_matches()
        write_parquet(
            synthetic_predictions(matches, model_version=model_version),
            folder / "predictions.parquet",
        )
        write_json(model_metadata(model_version), folder / "model.json")
        files = {
            "predictions": (folder / "predictions.parquet").read_bytes(),
            "model": (folder / "model.json").read_bytes(),
        }
        with store.migrated_engine(self.database_url) as engine:
            return store.publish_batch(engine, files, model_version)

    def worker_of(self, job_id: str) -> str:
        """Which cluster process (worker-1, worker-2) runs a job (its record's ``host:pid``)."""
        with (
            store.migrated_engine(self.database_url, revision=None) as engine,
            engine.connect() as connection,
        ):
            worker = connection.execute(
                sa.select(store.JOBS.c.worker).where(store.JOBS.c.job_id == job_id)
            ).scalar_one()
        pgid = os.getpgid(int(str(worker).rsplit(":", 1)[1]))
        for name in ("worker-1", "worker-2"):
            if int((self.dir / "pids" / f"{name}.pid").read_text()) == pgid:
                return name
        raise LookupError(f"{worker} is no cluster worker")

    @staticmethod
    def poll_job(
        client: httpx.Client, url: str, until: Callable[[dict[str, Any]], bool], timeout_s: float
    ) -> dict[str, Any]:
        """Poll a job's status until ``until`` holds (bounded); fail on a failed job."""
        deadline = time.monotonic() + timeout_s
        while True:
            body: dict[str, Any] = client.get(url).json()
            if until(body):
                return body
            assert body["state"] != "failed", body
            assert time.monotonic() < deadline, f"job not done after {timeout_s} s: {body}"
            time.sleep(0.2)

    def serving_version(self, replica: str) -> str | None:
        """The model version whose forecasts a replica serves (from /readyz), None if down."""
        try:
            answer = httpx.get(f"{self.replicas[replica]}/readyz", timeout=1.0)
        except httpx.HTTPError:
            return None
        version = orjson.loads(answer.content).get("model_version")
        return None if version is None else str(version)

    def wait_until_serving(self, model_version: str, timeout_s: float) -> float:
        """Wait until both replicas serve ``model_version``; the seconds it took."""
        start = time.monotonic()
        while time.monotonic() - start < timeout_s:
            if all(self.serving_version(r) == model_version for r in self.replicas):
                return time.monotonic() - start
            time.sleep(0.05)
        seen = {r: self.serving_version(r) for r in self.replicas}
        raise AssertionError(f"replicas not on model {model_version} after {timeout_s} s: {seen}")

    def balanced(self) -> dict[str, str]:
        """Each replica's state as the load balancer sees it (``show stat`` on its socket)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(2.0)
            client.connect(str(self.dir / "haproxy.sock"))
            client.sendall(b"show stat\n")
            raw = b""
            while chunk := client.recv(65536):
                raw += chunk
        rows = csv.DictReader(raw.decode().lstrip("# ").splitlines())
        return {row["svname"]: row["status"] for row in rows if row["svname"] in self.replicas}

    def wait_until_balanced(self, timeout_s: float = 30) -> None:
        """Wait until the load balancer counts every replica UP (a replica that has just
        become ready needs two passed health checks before it takes requests)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            states = self.balanced()
            if len(states) == len(self.replicas) and set(states.values()) == {"UP"}:
                return
            time.sleep(0.1)
        raise AssertionError(f"replicas not all UP behind the load balancer: {self.balanced()}")

    def wait_until_ready(self, replica: str, timeout_s: float = 60) -> None:
        """Wait until a replica answers /readyz with 200."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.replicas[replica]}/readyz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{replica} not ready after {timeout_s} s")


class Load:
    """``connections`` clients sending GET /predict/{id} through the load balancer."""

    def __init__(self, cluster: Cluster, connections: int = 4, max_s: float = 30.0) -> None:
        """Prepare; use as a context manager (the load stops on exit or after ``max_s``)."""
        self.cluster = cluster
        self.connections = connections
        self.max_s = max_s
        self.result = LoadResult()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> Load:
        """Start the clients."""
        for k in range(self.connections):
            thread = threading.Thread(target=self._client, args=(k,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *_: object) -> None:
        """Stop the clients and wait for them."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=15)

    def _client(self, k: int) -> None:
        ids = self.cluster.match_ids
        deadline = time.monotonic() + self.max_s
        with httpx.Client(base_url=self.cluster.lb, timeout=10.0) as client:
            i = k
            while not self._stop.is_set() and time.monotonic() < deadline:
                start = time.perf_counter()
                try:
                    code = client.get(f"/predict/{ids[i % len(ids)]}").status_code
                except httpx.HTTPError as exc:
                    with self._lock:
                        self.result.errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                finally:
                    i += 1
                with self._lock:
                    self.result.statuses[code] = self.result.statuses.get(code, 0) + 1
                    self.result.latencies_s.append(time.perf_counter() - start)
