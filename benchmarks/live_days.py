"""Replay days of live operation against the simulated site; time each day and score it.

A scratch DVC project runs this checkout's ``dvc.yaml`` against a local football-data.co.uk
as it stood each morning (``tests/fixtures/simulated_site.py``: results before the day,
the next seven days' fixtures with pre-match odds, no scores). The first day runs the
whole pipeline (the one training); every later day runs ``workflow daily`` (ingest,
validate, store, features, batch inference, monitor) with the clock's day handed to it,
as the daily DAG does. Nobody edits ``params.yaml``.

It prints the seconds of each day and, at the end, the live quality of every match played
in the window, scored with the last forecast logged before its day, against the
de-margined pre-match odds the fixtures file listed and against the closing odds
(proportional de-margining; the same matches for all three).

Usage::

    .venv/bin/python benchmarks/live_days.py --work /tmp/live-days --start 2026-02-01 \\
        --days 28 [--lean]

``--lean`` is the e2e test's configuration (E0 from 2021-22, logistic, no tuning); without
it the default ``params.yaml`` (17 divisions from 2000-01).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fixtures.scratch_project import store_env  # noqa: E402
from tests.fixtures.simulated_site import SimulatedSite  # noqa: E402

from matchcast.config import get_settings  # noqa: E402
from matchcast.data import columns as C  # noqa: E402
from matchcast.data import store  # noqa: E402
from matchcast.models import market, metrics  # noqa: E402
from matchcast.monitoring.live_quality import scored_predictions  # noqa: E402
from matchcast.tasks.workflow import run_step  # noqa: E402

BIN = Path(sys.executable).parent
ARCHIVE = Path(
    os.environ.get("MATCHCAST_TEST_ARCHIVE", REPO.parent / "shared" / "data" / "football-data")
)


def lean(params: dict[str, Any]) -> dict[str, Any]:
    """The e2e test's configuration: one league, five seasons, no tuning."""
    params["data"].update({"leagues": ["E0"], "seasons": {"first": "2021-22", "last": None}})
    params["model"].update({"kind": "logistic", "holdout_seasons": 1})
    params["model"]["tuning"].update({"n_trials": 0, "folds": 1})
    params["evaluate"].update({"test_seasons": 1, "big_five": ["E0"]})
    params["evaluate"]["dixon_coles"]["enabled"] = False
    params["register"]["gates"] = {"min_gain_over_prior": 0.0, "max_ece": 1.0}
    return params


def season_codes(first: str, last_day: dt.date) -> list[str]:
    """``yyzz`` codes from the season ``first`` (``2021-22``) to the one holding ``last_day``."""
    start = int(first[:4])
    end = last_day.year if last_day.month >= 7 else last_day.year - 1
    return [f"{y % 100:02d}{(y + 1) % 100:02d}" for y in range(start, end + 1)]


def make_project(work: Path, params: dict[str, Any]) -> None:
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    shutil.copy(REPO / "dvc.yaml", work / "dvc.yaml")
    shutil.copy(REPO / ".dvcignore", work / ".dvcignore")
    (work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    (work / "src").symlink_to(REPO / "src", target_is_directory=True)
    subprocess.run([str(BIN / "dvc"), "init", "--no-scm", "-q"], cwd=work, check=True)


def scores(probs: np.ndarray, y: np.ndarray) -> str:
    return f"{metrics.log_loss(probs, y):.4f} | {metrics.rps(probs, y):.4f}"


def quality(work: Path, first_day: dt.date) -> None:
    """Model, pre-match market and closing market on the matches played in the window."""
    with store.migrated_engine(f"sqlite:///{work / 'store.db'}") as engine:
        log = store.load_prediction_log(engine)
    matches = pd.read_parquet(work / "data/interim/matches.parquet")
    scored = scored_predictions(log, matches)
    scored = scored.loc[scored[C.DATE] >= pd.Timestamp(first_day)]
    rows = matches.set_index(C.MATCH_ID).loc[scored[C.MATCH_ID]]
    pre = rows.loc[:, list(C.ODDS_PRE)].to_numpy(np.float64)
    close = rows.loc[:, list(C.ODDS_CLOSE)].to_numpy(np.float64)
    both = np.isfinite(pre).all(axis=1) & np.isfinite(close).all(axis=1)
    both &= (pre > 1).all(axis=1) & (close > 1).all(axis=1)
    y = scored["y"].to_numpy()[both]
    model = scored[["p_home", "p_draw", "p_away"]].to_numpy(np.float64)[both]
    print(f"\nmatches played in the window and scored: {len(scored)}; with both prices: {len(y)}")
    print("| forecaster | log-loss | RPS |\n|---|---:|---:|")
    print(f"| matchcast (last forecast before the day) | {scores(model, y)} |")
    pre_p = market.market_probabilities(pre[both], "proportional")
    close_p = market.market_probabilities(close[both], "proportional")
    print(f"| pre-match market (fixtures file odds) | {scores(pre_p, y)} |")
    print(f"| closing market | {scores(close_p, y)} |")
    age = (pd.to_datetime(scored[C.DATE]) - pd.to_datetime(scored["features_as_of"])).dt.days
    print(f"forecast age on the match day: median {age.median():.0f} d, max {age.max()} d")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/live-days"))
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2026, 2, 1))
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--lean", action="store_true")
    args = parser.parse_args()
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    if args.lean:
        params = lean(params)
    days = [args.start + dt.timedelta(days=k) for k in range(args.days)]
    make_project(args.work, params)
    site = SimulatedSite(
        ARCHIVE,
        list(params["data"]["leagues"]),
        season_codes(str(params["data"]["seasons"]["first"]), days[-1]),
        days[0],
    )
    print(f"{platform.node()} {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, {args}")
    work = args.work
    with site.serve() as url:
        os.environ.update(
            {
                "MATCHCAST_FOOTBALL_DATA": url,
                **store_env(work),
                "MATCHCAST_PROJECT_DIR": str(work),
            }
        )
        os.environ.pop("MATCHCAST_API_URL", None)
        get_settings.cache_clear()
        daily: list[float] = []
        for day in days:
            site.day = day
            step = "pipeline" if day == days[0] else "daily"
            started = time.perf_counter()
            result = run_step(step, work, as_of=day)
            seconds = time.perf_counter() - started
            if step == "daily":
                daily.append(seconds)
            print(
                f"{day} {step:8s} {seconds:6.1f} s  load {os.getloadavg()[0]:.1f}  "
                f"ran {','.join(result.ran)}",
                flush=True,
            )
    if daily:
        print(
            f"\ndaily step: {len(daily)} days, median {np.median(daily):.1f} s, "
            f"min {min(daily):.1f} s, max {max(daily):.1f} s"
        )
    quality(work, days[0])


if __name__ == "__main__":
    main()
