"""Time a full ``dvc repro`` of a 300k-row results-only generic file (no odds anywhere).

Usage: .venv/bin/python benchmarks/results_only_repro.py [--leagues 40] [--seasons 20]
       [--teams 20] [--keep DIR]

Makes the synthetic multi-league file of ``tests/fixtures/results_only.py`` (split-year and
calendar-year leagues, labels written ``14-15``, ``2014/2015``, ``1415``, ``2014`` or not at
all; 40 leagues x 20 seasons x 20 teams = 304,000 matches), runs the project's own
``dvc.yaml`` with the project's ``params.yaml`` (only ``data`` pointed at the file) in a
scratch folder, and prints the wall time of the whole repro and of each stage. Target:
under 10 minutes (issue 11).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures.results_only import League, synthetic_results  # noqa: E402
from tests.fixtures.scratch_project import (  # noqa: E402
    BIN,
    make_project,
    project_params,
    stage_env,
)

STYLES = ("short", "slash", "compact", "none")


def leagues(n: int) -> tuple[League, ...]:
    """``n`` leagues: every third one calendar-year, the others split with varied labels."""
    out = []
    for i in range(n):
        calendar = i % 3 == 2
        style = ("year", "none")[i % 2] if calendar else STYLES[i % len(STYLES)]
        out.append(League(f"L{i:02d}", calendar=calendar, label_style=style))
    return tuple(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leagues", type=int, default=40)
    parser.add_argument("--seasons", type=int, default=20)
    parser.add_argument("--teams", type=int, default=20)
    parser.add_argument("--keep", default=None, help="Scratch folder to keep (default: temp).")
    args = parser.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="results_only_"))
    work.mkdir(parents=True, exist_ok=True)
    source = synthetic_results(leagues(args.leagues), seasons=args.seasons, teams=args.teams)
    source.to_csv(work / "results.csv", index=False)
    params = project_params()
    params["data"].update(
        {
            "leagues": [],
            "seasons": "all",
            "generic": [str(work / "results.csv")],
            "fixtures": False,
            "as_of": "2026-03-01",
        }
    )
    make_project(work, params)
    env = stage_env(work)
    started = time.perf_counter()
    stamps: list[tuple[str, float]] = []
    with subprocess.Popen(
        [str(BIN / "dvc"), "repro", "-f"],
        cwd=work,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            stage = re.match(r"Running stage '(\w+)'", line)
            if stage:
                stamps.append((stage.group(1), time.perf_counter() - started))
                print(f"{stamps[-1][1]:7.0f} s  {stage.group(1)}", file=sys.stderr, flush=True)
        code = proc.wait()
    total = time.perf_counter() - started
    stamps.append(("end", total))
    per_stage = ", ".join(
        f"{name} {later - at:.0f} s" for (name, at), (_, later) in itertools.pairwise(stamps)
    )
    load = os.getloadavg()[0]
    print(
        f"| {dt.date.today()} (load {load:.1f}) | {len(source):,} rows, {args.leagues} leagues, "
        f"no odds | {'ok' if code == 0 else f'FAILED ({code})'} | **{total / 60:.1f} min** | "
        f"{per_stage} |"
    )
    print(f"scratch project: {work}")


if __name__ == "__main__":
    main()
