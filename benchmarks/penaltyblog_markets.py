"""penaltyblog's Dixon–Coles goal model on the goal markets, on the same matches as ours.

Reads the ``markets`` stage's scored test forecasts (``data/evaluation/test_markets.parquet``:
our over/under 2.5 and Asian-handicap numbers per test match), fits penaltyblog's
``DixonColesGoalModel`` walk-forward per league exactly as ``penaltyblog_compare.py`` does
(refit every ``--refit-days`` on the league and its neighbouring divisions, 730-day
window, ``exp(-xi * age)`` weights), prices over/under 2.5 and the Asian handicap at the
closing line from its score grid with our pricing code, and scores every forecaster
against Pinnacle's closing price on the matches where all of them have a number.

penaltyblog is a benchmark-only dependency (``pip install .[bench]``). Usage::

    PYTHONPATH=src:benchmarks .venv/bin/python benchmarks/penaltyblog_markets.py \
        --refit-days 7 --output reports/markets_penaltyblog.json
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import json
import logging
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from penaltyblog_compare import REPO, penaltyblog_league

from matchcast.data import columns as col
from matchcast.data.sources.fetch import Fetcher
from matchcast.data.sources.goal_prices import read_goal_prices
from matchcast.models.market_benchmark import goal_market_report
from matchcast.models.markets import goal_difference, handicap_home_probability, over_probability


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--matches", type=Path, default=REPO / "data/interim/matches.parquet")
    parser.add_argument(
        "--test-markets", type=Path, default=REPO / "data/evaluation/test_markets.parquet"
    )
    parser.add_argument(
        "--archive", type=str, default=str(REPO.parent / "shared/data/football-data")
    )
    parser.add_argument("--cache", type=Path, default=REPO / "data/raw")
    parser.add_argument("--refit-days", type=int, default=7)
    parser.add_argument("--window-days", type=int, default=730)
    parser.add_argument("--xi", type=float, default=0.0018)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--output", type=Path, default=REPO / "reports/markets_penaltyblog.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    started = time.perf_counter()
    ours = pd.read_parquet(args.test_markets)
    matches = pd.read_parquet(args.matches).reset_index(drop=True)
    position = pd.Series(np.arange(len(matches)), index=matches[col.MATCH_ID])
    rows = position.reindex(ours[col.MATCH_ID]).to_numpy()
    if np.isnan(rows.astype(float)).any():
        raise SystemExit("test matches missing from the match table: rerun the pipeline")
    rows = rows.astype(np.int64)
    leagues = matches[col.LEAGUE].to_numpy(str)
    jobs = [
        (matches, rows[leagues[rows] == lg], lg, args.refit_days, args.window_days, args.xi)
        for lg in sorted(set(leagues[rows]))
    ]
    grids = np.full((len(matches), 15, 15), np.nan)
    info = {"fits": 0, "failures": 0, "negative_grids": 0}
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        for result in pool.map(penaltyblog_league, jobs):
            grids[result["rows"]] = result["grids"]
            for key in info:
                info[key] += result[key]
            logging.info("penaltyblog %s done in %.0fs", result["league"], result["seconds"])
    grid = grids[rows]
    seasons = sorted(ours[col.SEASON].astype(str).unique())
    prices = read_goal_prices(
        args.archive, Fetcher(args.cache), sorted(set(leagues[rows])), seasons
    )
    lines = ours[[col.MATCH_ID]].merge(prices, on=col.MATCH_ID, how="left")["ah_close_line"]
    known = np.isfinite(grid).all(axis=(1, 2))
    safe = np.where(known[:, None, None], grid, 1.0 / grid[0].size)
    pb_over = np.where(known, over_probability(safe, 2.5), np.nan)
    pb_ah = np.where(
        known, handicap_home_probability(goal_difference(safe), lines.to_numpy(float)), np.nan
    )
    over25 = {
        "model": ours["over25_model"].to_numpy(float),
        "scoreline_raw": ours["over25_scoreline_raw"].to_numpy(float),
        "penaltyblog": pb_over,
    }
    ah = {
        "model": ours["ah_home_model"].to_numpy(float),
        "scoreline_raw": ours["ah_home_scoreline_raw"].to_numpy(float),
        "penaltyblog": pb_ah,
    }
    report = goal_market_report(ours, prices, over25, ah)
    report["penaltyblog"] = {
        **info,
        "refit_days": args.refit_days,
        "window_days": args.window_days,
        "xi": args.xi,
    }
    report["seconds"] = round(time.perf_counter() - started, 1)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=1))
    for market in ("over_under_2_5", "asian_handicap"):
        block = report[market]
        print(market, block["n"], json.dumps(block["forecasters"]))
        print("  gap to closing", json.dumps(block["gap_to_closing"]))


if __name__ == "__main__":
    main()
