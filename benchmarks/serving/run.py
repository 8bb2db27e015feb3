"""Serving benchmark: GET /predict/{match_id} against the app's constant endpoint, with wrk.

Starts ``matchcast serve`` (one uvicorn worker, keep-alive), then measures with wrk
(C, event-driven) at each concurrency: the framework floor (``GET /healthz``, a constant
answer from the same app and middleware) and ``GET /predict/{id}`` with ids drawn at
random over every scheduled match (``requests.lua``). Then a load run (default 60 s at
64 connections) with resident memory before and after. Writes
``benchmarks/results/serving.json`` and prints a markdown table.

Usage:
    .venv/bin/python benchmarks/serving/run.py [--duration 15] [--load-duration 60]

By default it serves ``data/predictions/*`` when the pipeline has produced them, else a
synthetic predictions file of ``--synthetic`` scheduled matches.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from matchcast.data.io import write_json, write_parquet

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # the synthetic serving files are the tests' fixtures
from tests.fixtures.sample import (  # noqa: E402
    model_metadata,
    serving_files,
    synthetic_matches,
    synthetic_predictions,
)

LUA = Path(__file__).with_name("requests.lua")


def synthetic_files(root: Path, n: int) -> tuple[Path, Path, Path]:
    """Write predictions.parquet, model.json and matches.parquet for ``n`` scheduled matches."""
    matches = synthetic_matches(n_finished=n // 4, n_scheduled=n)
    files = serving_files(root)
    write_parquet(matches, files.matches)
    write_parquet(synthetic_predictions(matches), files.predictions)
    write_json(model_metadata(), files.model)
    return files.predictions, files.model, files.matches


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mib(pid: int) -> float:
    """Resident memory of a process, MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def start_server(
    files: tuple[Path, Path, Path], port: int, extra_env: dict[str, str]
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MATCHCAST_PREDICTIONS_PATH": str(files[0]),
        "MATCHCAST_MODEL_METADATA_PATH": str(files[1]),
        "MATCHCAST_MATCHES_PATH": str(files[2]),
        # One load generator is one client: the per-client rate limit (200/s by default)
        # would measure the limiter, not the server.
        "MATCHCAST_RATE_LIMIT_PER_S": "0",
        **extra_env,
    }
    cmd = [
        str(REPO / ".venv/bin/matchcast"),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not become ready in 60 s")


def wrk(
    url: str, connections: int, seconds: int, threads: int, ids: Path | None = None
) -> dict[str, Any]:
    """Run wrk with requests.lua and return its JSON summary."""
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "5s",
        "-s",
        str(LUA),
        url,
    ]
    if ids is not None:
        cmd += ["--", str(ids)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    line = next(x for x in reversed(out.splitlines()) if x.startswith("{"))
    return dict(json.loads(line))


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median of each wrk number over rounds; counts of errors are summed."""
    out: dict[str, Any] = {}
    for key in runs[0]:
        values = [run[key] for run in runs]
        summed = key in ("requests", "non_2xx_3xx", "socket_errors")
        out[key] = sum(values) if summed else statistics.median(values)
    return out


def predict_statuses(base: str) -> dict[str, float]:
    """Requests to /predict/{match_id} by status, from the app's own /metrics."""
    text = httpx.get(f"{base}/metrics", timeout=5).text
    pattern = re.compile(
        r'^matchcast_http_requests_total\{method="GET",route="/predict/\{match_id\}",'
        r'status="(\d+)"\} (\S+)$'
    )
    return {
        m.group(1): float(m.group(2)) for line in text.splitlines() if (m := pattern.match(line))
    }


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[
        0
    ]
    return {
        "cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
        "platform": platform.platform(), "wrk": wrk_version, "git_commit": commit,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "load_average_1m": os.getloadavg()[0],
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10, help="Seconds per measurement.")
    parser.add_argument(
        "--load-duration", type=int, default=60, help="Seconds of the load run (0 skips it)."
    )
    parser.add_argument("--load-connections", type=int, default=64)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 64])
    parser.add_argument("--rounds", type=int, default=3, help="Alternating floor/predict rounds.")
    parser.add_argument(
        "--threads", type=int, default=1, help="wrk threads (1 leaves a core to the server)."
    )
    parser.add_argument(
        "--synthetic", type=int, default=3000, help="Scheduled matches when no real files."
    )
    parser.add_argument(
        "--predictions", type=Path, default=REPO / "data/predictions/predictions.parquet"
    )
    parser.add_argument("--model", type=Path, default=REPO / "data/predictions/model.json")
    parser.add_argument("--matches", type=Path, default=REPO / "data/interim/matches.parquet")
    parser.add_argument("--redis-url", default=None, help="Also serve through this Redis cache.")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks/results/serving.json")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="matchcast-bench-"))
    if args.predictions.exists() and args.model.exists():
        files = (args.predictions, args.model, args.matches)
        table_name = args.matches.name if args.matches.exists() else "no match table"
        source = f"{args.predictions} (+ {table_name})"
    else:
        files = synthetic_files(tmp, args.synthetic)
        source = f"synthetic ({args.synthetic} scheduled matches)"
    ids = pd.read_parquet(files[0], columns=["match_id"])["match_id"].tolist()
    ids_file = tmp / "ids.txt"
    ids_file.write_text("\n".join(ids) + "\n")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    extra = {"MATCHCAST_REDIS_URL": args.redis_url} if args.redis_url else {}
    proc = start_server(files, port, extra)
    results: dict[str, Any] = {
        "machine": machine(),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "data": {"source": source, "n_ids": len(ids)},
        "setup": {
            "workers": 1,
            "wrk_threads": args.threads,
            "keep_alive": True,
            "duration_s": args.duration,
            "rounds": args.rounds,
        },
        "runs": [],
    }
    try:
        rss_start = rss_mib(proc.pid)
        wrk(f"{base}/healthz", 8, 3, args.threads)
        wrk(f"{base}/predict/x", 8, 3, args.threads, ids_file)
        for c in args.concurrency:
            rounds = []
            for r in range(args.rounds):
                # alternate the order so that a drift in machine load favours neither side
                pair = {}
                for name in ("floor", "predict") if r % 2 == 0 else ("predict", "floor"):
                    if name == "floor":
                        pair[name] = wrk(f"{base}/healthz", c, args.duration, args.threads)
                    else:
                        url = f"{base}/predict/x"
                        pair[name] = wrk(url, c, args.duration, args.threads, ids_file)
                rounds.append(pair)
            floor = median_run([r["floor"] for r in rounds])
            predict = median_run([r["predict"] for r in rounds])
            ratios = [r["predict"]["rps"] / r["floor"]["rps"] for r in rounds]
            results["runs"].append(
                {
                    "connections": c,
                    "floor": floor,
                    "predict": predict,
                    "ratio": statistics.median(ratios),
                    "round_ratios": ratios,
                    "rounds": rounds,
                }
            )
        if args.load_duration > 0:
            before_status = predict_statuses(base)
            rss_before = rss_mib(proc.pid)
            load = wrk(
                f"{base}/predict/x",
                args.load_connections,
                args.load_duration,
                args.threads,
                ids_file,
            )
            rss_after = rss_mib(proc.pid)
            after_status = predict_statuses(base)
            by_status = {k: after_status.get(k, 0) - before_status.get(k, 0) for k in after_status}
            results["load"] = {
                "connections": args.load_connections, "duration_s": args.load_duration, "wrk": load,
                "server_statuses": by_status,
                "non_2xx": load["non_2xx_3xx"]
                + sum(v for k, v in by_status.items() if not k.startswith("2")),
                "rss_mib_start": round(rss_start, 1), "rss_mib_before": round(rss_before, 1),
                "rss_mib_after": round(rss_after, 1),
            }  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        shutil.rmtree(tmp, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    return 0


def table(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        f"Machine: {m['cpu']} ({m['cores']} cores, load average {m['load_average_1m']:.1f}), "
        f"Python {m['python']}, {m['wrk']}, commit {m['git_commit']}, {m['date']}",
        f"Data: {results['data']['source']}; one uvicorn worker, keep-alive, "
        f"wrk threads {results['setup']['wrk_threads']}; medians of {results['setup']['rounds']} "
        f"alternating rounds of {results['setup']['duration_s']} s",
        "",
        "| connections | endpoint | req/s | p50 ms | p95 ms | p99 ms | non-2xx "
        "| predict / floor (rounds) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in results["runs"]:
        for name, label in (("floor", "GET /healthz (floor)"), ("predict", "GET /predict/{id}")):
            r = run[name]
            spread = "/".join(f"{x:.2f}" for x in run["round_ratios"])
            ratio = f"{run['ratio']:.2f} ({spread})" if name == "predict" else ""
            lines.append(
                f"| {run['connections']} | {label} | {r['rps']:.0f} | {r['p50_ms']:.2f} "
                f"| {r['p95_ms']:.2f} "
                f"| {r['p99_ms']:.2f} | {r['non_2xx_3xx']} | {ratio} |"
            )
    if "load" in results:
        ld = results["load"]
        w = ld["wrk"]
        lines += [
            "",
            f"Load run: {ld['duration_s']} s at {ld['connections']} connections: "
            f"{w['requests']} requests, {w['rps']:.0f} req/s, p95 {w['p95_ms']:.2f} ms, "
            f"p99 {w['p99_ms']:.2f} ms, non-2xx {ld['non_2xx']:.0f}, "
            f"socket errors {w['socket_errors']}, RSS {ld['rss_mib_before']} MiB before, "
            f"{ld['rss_mib_after']} MiB after "
            f"(at start {ld['rss_mib_start']} MiB)",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
