"""Time ingest + validate of the whole archive from a local folder (every season, 1993/94 on).

Usage: .venv/bin/python benchmarks/ingest_speed.py [ARCHIVE] [--repeat N]
Prints a markdown row for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import tempfile
import time
from pathlib import Path

from matchcast.data.ingest import ingest
from matchcast.data.params import DataParams
from matchcast.data.sources.fetch import Fetcher
from matchcast.data.validation import validate_matches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    default = Path(__file__).resolve().parents[2] / "shared" / "data" / "football-data"
    parser.add_argument("archive", nargs="?", default=str(default))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    params = DataParams(football_data=args.archive, seasons="all")
    timings = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as cache:
            started = time.perf_counter()
            result = ingest(params, Fetcher(Path(cache)))
            parsed = time.perf_counter()
            validated = validate_matches(result.matches, result.issues, params.as_of, 0.005)
            done = time.perf_counter()
        timings.append((parsed - started, done - parsed, done - started))
    best = min(timings, key=lambda t: t[2])
    print(
        f"| {dt.date.today()} | {platform.processor() or platform.machine()} | "
        f"{result.report['files_read']} files | {len(result.matches):,} rows | "
        f"{len(validated.matches):,} published | ingest {best[0]:.2f} s | "
        f"validate {best[1]:.2f} s | total {best[2]:.2f} s (best of {args.repeat}) |"
    )


if __name__ == "__main__":
    main()
