"""Replay a season through the real job system and watch live quality fill.

A scratch DVC project with the default ``params.yaml`` (every configured division) is driven
only through the API's job endpoints, with a real ``matchcast worker`` (Celery on the given
broker) and a real ``matchcast serve`` process:

1. ``retrain`` with ``as_of`` = the replay start: the champion sees nothing after it;
2. for each month start after it: ``refresh_data`` (results up to the new ``as_of``
   become visible) then ``batch_inference`` (forecasts of every match still scheduled,
   logged with their information cut-off; the monitor stage scores the log).

Each step's ``reports/live_quality.json`` is read back; the script checks independently,
from the store's prediction log and the match table, that every scored forecast was made
before its match was played, and prints the month-by-month model-against-market table.

Usage::

    .venv/bin/python benchmarks/replay_season.py --work /tmp/replay \\
        --start 2025-09-01 --end 2026-06-01 --broker redis://127.0.0.1:6379/7
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import sqlalchemy as sa
import yaml

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ARCHIVE = REPO.parent / "shared" / "data" / "football-data"


def month_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    """First days of the months after ``start`` up to ``end`` inclusive."""
    out: list[dt.date] = []
    year, month = start.year, start.month
    while True:
        month += 1
        if month == 13:
            year, month = year + 1, 1
        day = dt.date(year, month, 1)
        if day > end:
            return out
        out.append(day)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_project(work: Path) -> None:
    """A scratch DVC project running this checkout's dvc.yaml and default params."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    for name in ("dvc.yaml", "params.yaml", ".dvcignore"):
        shutil.copy(REPO / name, work / name)
    # Batches a month apart: every scheduled match is forecast, not only the next 14 days.
    params = yaml.safe_load((work / "params.yaml").read_text())
    params["forecast"]["horizon_days"] = None
    (work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    (work / "src").symlink_to(REPO / "src", target_is_directory=True)
    subprocess.run([str(BIN / "dvc"), "init", "--no-scm", "-q"], cwd=work, check=True)


def environment(work: Path, broker: str, api_port: int, key: str) -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "MATCHCAST_FOOTBALL_DATA": os.environ.get("MATCHCAST_FOOTBALL_DATA", str(ARCHIVE)),
        "MATCHCAST_DATABASE_URL": f"sqlite:///{work / 'store.db'}",
        "MATCHCAST_MLFLOW_TRACKING_URI": f"sqlite:///{work / 'mlflow.db'}",
        "MATCHCAST_MLFLOW_ARTIFACT_ROOT": str(work / "mlartifacts"),
        "MATCHCAST_PROJECT_DIR": str(work),
        "MATCHCAST_BROKER_URL": broker,
        "MATCHCAST_API_KEY": key,
        "MATCHCAST_API_URL": f"http://127.0.0.1:{api_port}",
    }


@contextmanager
def processes(work: Path, env: dict[str, str], port: int) -> Iterator[None]:
    """A real worker and a real API, stopped on exit."""
    logs = work / "logs"
    logs.mkdir(exist_ok=True)
    worker = subprocess.Popen(
        [str(BIN / "matchcast"), "worker"],
        cwd=work,
        env=env,
        stdout=(logs / "worker.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    api = subprocess.Popen(
        [str(BIN / "matchcast"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=work,
        env=env,
        stdout=(logs / "api.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or api.poll() is not None:
                raise RuntimeError(f"the API did not start; see {logs / 'api.log'}")
            time.sleep(0.5)
        yield
    finally:
        for proc in (api, worker):
            proc.terminate()
        for proc in (api, worker):
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()


def run_job(base: str, key: str, name: str, as_of: dt.date) -> dict[str, Any]:
    """Submit a job over HTTP and poll its status until it ends."""
    headers = {"X-API-Key": key}
    answer = httpx.post(
        f"{base}/admin/jobs/{name}", json={"as_of": as_of.isoformat()}, headers=headers
    )
    if answer.status_code != 202:
        raise RuntimeError(f"POST {name}: {answer.status_code} {answer.text}")
    url = base + answer.json()["status_url"]
    while True:
        status = httpx.get(url, headers=headers).json()
        if status["state"] in ("succeeded", "failed"):
            break
        time.sleep(2)
    if status["state"] != "succeeded":
        raise RuntimeError(f"{name} as_of {as_of} failed: {status.get('error')}")
    return dict(status)


def honesty_check(work: Path) -> tuple[int, int]:
    """Count logged forecasts of finished matches made before / on or after kick-off day."""
    engine = sa.create_engine(f"sqlite:///{work / 'store.db'}")
    with engine.connect() as connection:
        log = pd.read_sql("SELECT match_id, features_as_of FROM prediction_log", connection)
    matches = pd.read_parquet(
        work / "data/interim/matches.parquet", columns=["match_id", "date", "status"]
    )
    joined = log.merge(matches[matches["status"] == "finished"], on="match_id")
    cut = pd.to_datetime(joined["features_as_of"]).dt.tz_localize(None).dt.normalize()
    day = pd.to_datetime(joined["date"]).dt.normalize()
    return int((cut < day).sum()), int((cut >= day).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/matchcast-replay"))
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2025, 9, 1))
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2026, 6, 1))
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/7")
    parser.add_argument("--out", type=Path, default=None, help="Write the results as JSON here.")
    args = parser.parse_args()

    work: Path = args.work.resolve()
    make_project(work)
    port, key = free_port(), secrets.token_hex(16)
    env = environment(work, args.broker, port, key)
    base = f"http://127.0.0.1:{port}"
    steps: list[dict[str, Any]] = []
    started = time.perf_counter()
    with processes(work, env, port):
        retrain = run_job(base, key, "retrain", args.start)
        steps.append({"job": "retrain", "as_of": args.start.isoformat(), "status": retrain})
        print(f"retrain as_of {args.start}: {retrain['finished_at']}", flush=True)
        for as_of in month_starts(args.start, args.end):
            for job in ("refresh_data", "batch_inference"):
                status = run_job(base, key, job, as_of)
                steps.append({"job": job, "as_of": as_of.isoformat(), "status": status})
            report = json.loads((work / "reports/live_quality.json").read_text())
            served = httpx.get(f"{base}/model/live-quality").json()
            overall = report["overall"]
            print(
                f"as_of {as_of}: scored {report['n']} "
                f"model {overall['model']['log_loss'] if report['n'] else None} "
                f"market {(overall.get('market') or {}).get('log_loss')} "
                f"served n={served.get('n')}",
                flush=True,
            )
            steps.append({"as_of": as_of.isoformat(), "live_quality": report})
    before, after = honesty_check(work)
    total = time.perf_counter() - started
    final = json.loads((work / "reports/live_quality.json").read_text())
    print(
        f"\nforecasts of finished matches in the log: {before} made before kick-off day, "
        f"{after} on or after it (only the former may be scored)"
    )
    print(f"scored matches: {final['n']}; wall time {total / 60:.1f} min\n")
    print(
        "| month | matches | model log-loss | market log-loss | gap | model RPS | market RPS "
        "| model hit rate |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in [*final["by_month"], {"month": "all", **final["overall"]}]:
        model, market = row["model"], row.get("market") or {}
        gap = row.get("gap_log_loss")
        print(
            f"| {row['month']} | {row['n']} | {model['log_loss']:.4f} | "
            f"{market.get('log_loss', float('nan')):.4f} | "
            f"{'' if gap is None else f'{gap:+.4f}'} | {model['rps']:.4f} | "
            f"{market.get('rps', float('nan')):.4f} | {model['hit_rate']:.3f} |"
        )
    if args.out:
        payload = {
            "machine": f"{platform.node()} {platform.processor()} {os.cpu_count()} cores",
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "seconds": round(total, 1),
            "honesty": {"before_kickoff": before, "on_or_after": after},
            "steps": steps,
            "final": final,
        }
        args.out.write_text(json.dumps(payload, indent=2, default=str))


if __name__ == "__main__":
    main()
