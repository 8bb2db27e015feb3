"""Wall time of the train stage's tuning with one worker and with several, one study shared.

Reads the features and the run's ``as_of`` of a project that has run ``dvc repro features``
(``data/features/features.parquet``, ``data/interim/as_of.json``), takes its training period
as the train stage does, and tunes with the project's ``model`` settings for a fixed number
of trials (no time-out, so every configuration runs the same count) once per worker count.
Every study goes to the same database (``--storage``, PostgreSQL here), in a new study per
run. Trials are pruned as in the stage, so their number of fold fits varies with what was
sampled; the report gives the wall time, the trials finished and pruned, the fold fits, their
rate (the fair comparison) and the CPU time per fold fit (user + system of this process and
its workers, which does not depend on how busy the machine is).

Usage::

    .venv/bin/python benchmarks/tuning_speedup.py --trials 12 --workers 1 2 \\
        --storage postgresql+psycopg://postgres@127.0.0.1:5432/optuna
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

import pandas as pd
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from matchcast.data.as_of import read_as_of
from matchcast.data.params import load_section
from matchcast.models.comparators import EvaluateParams
from matchcast.models.test_period import split_period
from matchcast.models.tuning import tune
from matchcast.pipelines.train import load_model_params


def cpu_seconds() -> float:
    """User + system time of this process and of its finished children."""
    own, children = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def ensure_database(url: str) -> None:
    """Create the study database on a PostgreSQL server when it does not exist yet."""
    target = make_url(url)
    if not target.drivername.startswith("postgresql"):
        return
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.exec_driver_sql(
            "SELECT 1 FROM pg_database WHERE datname = %(name)s", {"name": target.database}
        ).first()
        if exists is None:
            connection.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=Path("."))
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--storage", required=True, help="SQLAlchemy URL of the study database")
    args = parser.parse_args()
    ensure_database(args.storage)

    params = args.project / "params.yaml"
    base, budget = load_model_params(params)
    period = EvaluateParams.model_validate(load_section(params, "evaluate"))
    as_of = read_as_of(args.project / "data/interim/as_of.json").as_of.isoformat()
    frame = pd.read_parquet(args.project / "data/features/features.parquet")
    train, _, _ = split_period(frame, as_of, period.test_seasons, period.test_from)
    print(f"training period: {len(train):,} matches; load {os.getloadavg()[0]:.2f}")

    rows = []
    for workers in args.workers:
        run_budget = budget.model_copy(
            update={"n_trials": args.trials, "timeout_s": 24 * 3600.0, "workers": workers}
        )
        started, cpu_started = time.perf_counter(), cpu_seconds()
        result = tune(train, base, run_budget, args.storage)
        wall = time.perf_counter() - started
        cpu = cpu_seconds() - cpu_started
        states = [t["state"] for t in result.trials]
        fits = sum(t["folds_scored"] for t in result.trials)
        rows.append(
            {
                "workers": workers,
                "trials": result.n_trials,
                "complete": states.count("COMPLETE"),
                "pruned": states.count("PRUNED"),
                "per_worker": result.trials_per_worker,
                "fold_fits": fits,
                "wall_s": round(wall, 1),
                "fits_per_min": round(60 * fits / wall, 2),
                "cpu_s_per_fit": round(cpu / fits, 1),
                "best": round(result.best_value, 5),
                "load_after": round(os.getloadavg()[0], 2),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    one = next((r["fits_per_min"] for r in rows if r["workers"] == 1), None)
    print(
        "| workers | trials (complete / pruned) | per worker | fold fits | wall | fits/min "
        "| speed-up | CPU s per fit | best fold log-loss |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        ratio = f"{r['fits_per_min'] / one:.2f}×" if one else "—"
        print(
            f"| {r['workers']} | {r['trials']} ({r['complete']} / {r['pruned']}) | "
            f"{r['per_worker']} | {r['fold_fits']} | {r['wall_s']} s | {r['fits_per_min']} "
            f"| {ratio} | {r['cpu_s_per_fit']} | {r['best']} |"
        )


if __name__ == "__main__":
    main()
