"""CPU and wall time of one daily step, the old way (``dvc repro``) or in one process.

Runs one day of operation in a DVC project that has already run (for example the folder
``tests/e2e/test_live_days.py`` or ``benchmarks/live_days.py`` leaves behind) against the
simulated site at ``--day``:

- ``--mode repro``: ``dvc repro --single-item`` of the six daily stages, one process each
  (the daily step before ADR-0018);
- ``--mode one-process``: ``workflow daily`` as it is now (one ``matchcast stages``
  process, then ``dvc commit``).

``--no-bytecode`` hides the installed ``.pyc`` files from the stage processes
(``PYTHONPYCACHEPREFIX`` at an empty folder, ``PYTHONDONTWRITEBYTECODE=1``): the
situation before ``make setup`` compiled bytecode. CPU time (user + system of every
child process) does not depend on how busy the machine is; wall time does.

Usage::

    .venv/bin/python benchmarks/day_cost.py --work /tmp/live-days-work --day 2026-03-03 \\
        --mode one-process [--no-bytecode] [--leagues E0 --first 2122]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fixtures.simulated_site import SimulatedSite  # noqa: E402

from matchcast.config import get_settings  # noqa: E402
from matchcast.data import clock  # noqa: E402
from matchcast.tasks.workflow import STEPS, run_dvc, run_step  # noqa: E402

ARCHIVE = Path(
    os.environ.get("MATCHCAST_TEST_ARCHIVE", REPO.parent / "shared" / "data" / "football-data")
)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--day", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--mode", choices=["repro", "one-process"], required=True)
    parser.add_argument("--no-bytecode", action="store_true")
    parser.add_argument("--leagues", default="E0")
    parser.add_argument("--first", default="2122", help="first season code served")
    args = parser.parse_args()
    codes = sorted(p.name for p in (ARCHIVE / "mmz4281").iterdir() if p.name >= args.first)
    site = SimulatedSite(ARCHIVE, args.leagues.split(","), codes, args.day)
    work = args.work.resolve()
    with site.serve() as url, tempfile.TemporaryDirectory() as empty:
        env = {
            "MATCHCAST_FOOTBALL_DATA": url,
            "MATCHCAST_DATABASE_URL": f"sqlite:///{work / 'store.db'}",
            "MATCHCAST_MLFLOW_TRACKING_URI": f"sqlite:///{work / 'mlflow.db'}",
            "MATCHCAST_MLFLOW_ARTIFACT_ROOT": str(work / "mlartifacts"),
            "MATCHCAST_PROJECT_DIR": str(work),
        }
        if args.no_bytecode:
            env.update({"PYTHONPYCACHEPREFIX": empty, "PYTHONDONTWRITEBYTECODE": "1"})
        os.environ.update(env)
        os.environ.pop("MATCHCAST_API_URL", None)
        get_settings.cache_clear()
        cpu, started = children_cpu(), time.perf_counter()
        if args.mode == "repro":
            stages = list(STEPS["daily"] or ())
            today = {clock.TODAY_ENV: args.day.isoformat()}
            run_dvc(work, ["repro", "--single-item", *stages], today)
        else:
            run_step("daily", work, as_of=args.day)
        wall, cpu = time.perf_counter() - started, children_cpu() - cpu
    print(
        f"{args.day} {args.mode}{' no-bytecode' if args.no_bytecode else ''}: "
        f"wall {wall:.1f} s, CPU {cpu:.1f} s, load {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
