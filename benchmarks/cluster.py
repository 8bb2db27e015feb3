"""Cluster benchmark: throughput and p99 through HAProxy with one and two API replicas,
and the failover when a replica is killed (issue 15, ADR-0021).

Needs a running cluster (``make cluster-up``) and wrk. Publishes a synthetic batch when the
replicas serve none. With one replica, HAProxy's ``api-2`` is put in maintenance through
its stats socket (the process keeps running). Failover: wrk through the load balancer while
``api-1`` is SIGKILLed; HAProxy's view is polled every 10 ms for the moment it marks the
server down, and wrk counts failed requests; ``api-1`` is started again afterwards.

Usage:
    make cluster-up
    .venv/bin/python benchmarks/cluster.py [--duration 10] [--connections 16]
    make cluster-down
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from benchmarks.serving.run import wrk  # noqa: E402
from tests.cluster.harness import Cluster  # noqa: E402

DEPLOY = REPO / "deploy" / "cluster"
OUT = REPO / "benchmarks" / "results" / "cluster.json"


def haproxy(cluster: Cluster, command: str) -> str:
    """Send one command to HAProxy's stats socket and return its answer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(str(cluster.dir / "haproxy.sock"))
        sock.sendall(command.encode() + b"\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode()


def server_status(cluster: Cluster, server: str) -> str:
    """HAProxy's status of a backend server (UP, DOWN, MAINT, ...)."""
    for line in haproxy(cluster, "show stat").splitlines():
        fields = line.split(",")
        if len(fields) > 17 and fields[0] == "api" and fields[1] == server:
            return fields[17]
    raise LookupError(server)


def through_lb(cluster: Cluster, ids: Path, connections: int, seconds: int) -> dict[str, Any]:
    """wrk through the load balancer: GET /predict/{random id}."""
    return wrk(cluster.lb + "/", connections, seconds, threads=2, ids=ids)


def failover(cluster: Cluster, ids: Path, connections: int) -> dict[str, Any]:
    """Kill api-1 under load: failed requests, time until HAProxy marks it down, recovery."""
    result: dict[str, Any] = {}
    load = threading.Thread(
        target=lambda: result.update(through_lb(cluster, ids, connections, 8)), daemon=True
    )
    load.start()
    time.sleep(2.0)
    killed = time.monotonic()
    cluster.ctl("kill", "api-1")
    while server_status(cluster, "api-1").startswith("UP") and time.monotonic() - killed < 10:
        time.sleep(0.01)
    detected_s = time.monotonic() - killed
    load.join()
    started = time.monotonic()
    cluster.ctl("start", "api-1")
    cluster.wait_until_ready("api-1", timeout_s=120)
    ready_s = time.monotonic() - started
    while not server_status(cluster, "api-1").startswith("UP") and time.monotonic() - started < 60:
        time.sleep(0.01)
    back_s = time.monotonic() - started
    return {
        "load_during_kill": result,
        "marked_down_after_s": round(detected_s, 3),
        "restart_ready_after_s": round(ready_s, 2),
        "back_in_rotation_after_s": round(back_s, 2),
    }


def main() -> None:
    """Run the benchmark and write ``benchmarks/results/cluster.json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    env = dict(os.environ)
    env.setdefault("CLUSTER_DIR", "/tmp/matchcast-cluster")
    env.setdefault("CLUSTER_NET", "10.231.0")
    if not (Path(env["CLUSTER_DIR"]) / "up").exists():
        raise SystemExit("no cluster is up: run `make cluster-up` first")
    cluster = Cluster(DEPLOY, env, Path(env["CLUSTER_DIR"]) / "bench")
    if any(cluster.serving_version(r) is None for r in cluster.replicas):
        cluster.publish("1")
        cluster.wait_until_serving("1", timeout_s=60)
    answer = httpx.get(f"{cluster.lb}/matches", params={"limit": 500}, timeout=5).json()
    ids = cluster.dir / "bench-ids.txt"
    ids.write_text("\n".join(item["match_id"] for item in answer["items"]) + "\n")
    runs = {}
    for replicas in (1, 2):
        haproxy(cluster, f"{'disable' if replicas == 1 else 'enable'} server api/api-2")
        time.sleep(1.0)  # enable: back UP after the rise checks
        runs[str(replicas)] = through_lb(cluster, ids, args.connections, args.duration)
    results = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} CPUs",
        "load_average": os.getloadavg(),
        "command": "benchmarks/cluster.py " + " ".join(sys.argv[1:]),
        "connections": args.connections,
        "duration_s": args.duration,
        "through_lb": runs,
        "ratio_2_vs_1": round(runs["2"]["rps"] / runs["1"]["rps"], 2),
        "failover": failover(cluster, ids, 8),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
