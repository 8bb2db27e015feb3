"""The four extra-leagues files (ARG, BRA, MEX, USA), each alone and together: gap to the close.

Usage: .venv/bin/python benchmarks/extra_leagues.py [--configs ARG BRA MEX USA ARG,BRA,MEX,USA]
       [--work DIR]

For each configuration, a scratch project (``tests/fixtures/scratch_project.py``) with the
project's ``dvc.yaml`` and shipped ``params.yaml``, only ``data`` narrowed to the extra
leagues (``data.leagues: []``, ``data.extra_leagues: [...]``, ``data.seasons: all``), runs a
full ``dvc repro`` (ingest → batch_inference) against the shared archive. Prints one
Markdown row per configuration: the model's gap to the de-margined closing price (log-loss
and RPS, ± paired SE) pooled over the test seasons, the number of test matches, the test
seasons, the gates, the forecasts published and the wall and CPU time of the repro.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures.horizon import scheduled_and_due  # noqa: E402
from tests.fixtures.scratch_project import (  # noqa: E402
    make_project,
    project_params,
    repro,
    stage_env,
)

ARCHIVE = Path(
    os.environ.get("MATCHCAST_TEST_ARCHIVE", ROOT.parent / "shared" / "data" / "football-data")
)
CONFIGS = ("ARG", "BRA", "MEX", "USA", "ARG,BRA,MEX,USA")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(work: Path, countries: list[str]) -> tuple[bool, str, float, float]:
    """Full ``dvc repro`` of one configuration; (ok, output tail, wall s, CPU s)."""
    work.mkdir(parents=True, exist_ok=True)
    params = project_params()
    params["data"].update({"leagues": [], "extra_leagues": countries, "seasons": "all"})
    make_project(work, params)
    cpu, started = children_cpu(), time.perf_counter()
    done = repro(work, stage_env(work, ARCHIVE), "-f")
    wall, used = time.perf_counter() - started, children_cpu() - cpu
    return done.returncode == 0, (done.stdout + done.stderr)[-3000:], wall, used


def row(work: Path, name: str, ok: bool, wall: float, cpu: float) -> str:
    """The Markdown row of a configuration that was evaluated (``ok``: the repro finished)."""
    report: dict[str, Any] = json.loads((work / "reports/test_report.json").read_text())
    registry = json.loads((work / "reports/registry.json").read_text())
    gap, market = report["gap"], report["market"]
    seasons = ", ".join(report["test_seasons"])
    _, due = scheduled_and_due(work)
    if ok:
        predictions = pd.read_parquet(work / "data/predictions/predictions.parquet")
        forecast = f"{predictions['match_id'].isin(due).sum()} of {len(due)}"
    else:  # the batch refused: no version passed the gates
        forecast = f"none of {len(due)} (no champion)"
    return (
        f"| {name} | {gap['n']:,} | {seasons} | {market['log_loss']:.4f} "
        f"| **{gap['log_loss']:+.4f} ± {gap['log_loss_se']:.4f}** "
        f"| **{gap['rps']:+.4f} ± {gap['rps_se']:.4f}** "
        f"| {'passed' if registry['gates_passed'] else 'failed'} | {forecast} "
        f"| {wall / 60:.1f} min / {cpu / 60:.1f} min |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS))
    parser.add_argument("--work", type=Path, default=None, help="folder kept (default: temp)")
    args = parser.parse_args()
    base = args.work or Path(tempfile.mkdtemp(prefix="extra_leagues_"))
    print(f"{dt.date.today()}, load {os.getloadavg()[0]:.1f}, scratch projects in {base}")
    print(
        "| leagues | test matches | test seasons | market log-loss | gap log-loss ± SE "
        "| gap RPS ± SE | gates | forecast (due) | repro wall / CPU |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for config in args.configs:
        countries = config.split(",")
        work = base / "-".join(countries)
        ok, tail, wall, cpu = run(work, countries)
        name = " + ".join(countries)
        if (work / "reports/registry.json").is_file():
            print(row(work, name, ok, wall, cpu), flush=True)
        else:
            print(f"| {name} | FAILED after {wall / 60:.1f} min | | | | | | | |", flush=True)
        if not ok:
            print(tail, file=sys.stderr, flush=True)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
