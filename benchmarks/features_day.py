"""The features stage when ``as_of`` moves by one day: from scratch against from its state.

Takes the ingest stage's outputs (``data/interim/raw_matches.parquet`` and
``data/quarantine/ingest.csv``) and publishes the match table at ``--day`` and at the day
after, as the validate stage does at those ``as_of`` dates. Then runs the features stage
(``matchcast.pipelines.features.main``, in this process, on files) three ways:

- day D from scratch, saving the state of its passes (``--state``): the first day;
- day D+1 carrying on from that state (ADR-0018 decision 4): a day of operation;
- day D+1 from scratch without a state (the stage before decision 4);

checks that the two D+1 files hold the same frame, and prints wall and CPU time of each
(best of ``--repeat``; the D+1 runs start each time from the files day D left). The
Python start-up of a stage process (imports) is not included.

Usage::

    .venv/bin/python benchmarks/features_day.py --raw data/interim/raw_matches.parquet \\
        --ingest-quarantine data/quarantine/ingest.csv --day 2026-03-01 [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from matchcast.data import columns as c
from matchcast.data.io import write_parquet
from matchcast.data.validation import validate_matches
from matchcast.pipelines import features as stage

ROOT = Path(__file__).resolve().parents[1]


def timed(run: Callable[[], None], repeat: int, reset: Callable[[], None]) -> tuple[float, float]:
    """Best wall and CPU seconds of ``repeat`` runs, ``reset`` before each."""
    best_wall, best_cpu = float("inf"), float("inf")
    for _ in range(repeat):
        reset()
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return best_wall, best_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, required=True)
    parser.add_argument("--ingest-quarantine", type=Path, required=True)
    parser.add_argument("--day", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--params", type=Path, default=ROOT / "params.yaml")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    raw = pd.read_parquet(args.raw)
    issues = pd.read_csv(args.ingest_quarantine, dtype={"raw": str, "reason": str})
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        days = {}
        for name, day in (("today", args.day), ("tomorrow", args.day + dt.timedelta(days=1))):
            table = validate_matches(raw, issues, day, 1.0).matches
            days[name] = work / f"{name}.parquet"
            write_parquet(table, days[name])
            finished = int((table[c.STATUS] == c.FINISHED).sum())
            print(f"{name} {day}: {len(table)} matches, {finished} finished")
        out, state = work / "features.parquet", work / "state.npz"
        saved = work / "saved"
        saved.mkdir()

        def first_day() -> None:
            stage.main(matches=days["today"], params=args.params, out=out, state=state)

        def forget() -> None:
            out.unlink(missing_ok=True)
            state.unlink(missing_ok=True)

        wall, cpu = timed(first_day, 1, forget)
        print(f"| day D from scratch, saving the state | {wall:.2f} s | {cpu:.2f} s |")
        for path in (out, state):
            shutil.copy2(path, saved / path.name)

        def restore() -> None:
            for path in (out, state):
                shutil.copy2(saved / path.name, path)

        def next_day() -> None:
            stage.main(matches=days["tomorrow"], params=args.params, out=out, state=state)

        wall, cpu = timed(next_day, args.repeat, restore)
        print(f"| day D+1 from the saved state | {wall:.2f} s | {cpu:.2f} s |")
        scratch = work / "scratch.parquet"

        def from_scratch() -> None:
            stage.main(matches=days["tomorrow"], params=args.params, out=scratch, state=None)

        wall, cpu = timed(from_scratch, args.repeat, lambda: None)
        print(f"| day D+1 from scratch (no state) | {wall:.2f} s | {cpu:.2f} s |")
        pd.testing.assert_frame_equal(
            pd.read_parquet(out), pd.read_parquet(scratch), check_exact=True
        )
        print(f"same frame: yes ({len(pd.read_parquet(out))} rows); load {os.getloadavg()}")


if __name__ == "__main__":
    main()
