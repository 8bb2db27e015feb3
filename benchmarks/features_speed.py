"""Time build_features on the real match table, and score the rating-implied 1X2.

Usage: .venv/bin/python benchmarks/features_speed.py [MATCHES] [--params params.yaml] [--repeat N]
Prints the build time (best of N, wall clock and process CPU) and the log-loss of the
Elo- and Dixon–Coles-implied probabilities on the evaluation seasons, next to the class prior.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd

from matchcast.data import columns as c
from matchcast.features.build import build_features
from matchcast.pipelines.features import load_feature_params

ROOT = Path(__file__).resolve().parents[1]


def log_loss(probs: np.ndarray, y: np.ndarray) -> float:
    """Mean negative log-likelihood of the observed class."""
    return float(-np.mean(np.log(probs[np.arange(len(y)), y])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("matches", nargs="?", default=str(ROOT / "data/interim/matches.parquet"))
    parser.add_argument("--params", default=str(ROOT / "params.yaml"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seasons", nargs="*", default=["2023-24", "2024-25"])
    args = parser.parse_args()
    matches = pd.read_parquet(args.matches)
    params = load_feature_params(Path(args.params))
    timings, cpu = [], []
    for _ in range(args.repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        features = build_features(matches, params)
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    runs = ", ".join(f"{t:.1f}" for t in timings)
    n_features = sum(col.startswith(("f_", "m_")) for col in features.columns)
    print(
        f"| {dt.date.today()} | {platform.processor() or platform.machine()} | "
        f"build_features | {len(features)} matches x {n_features} features | "
        f"best {min(timings):.1f} s wall of {args.repeat} (all: {runs}; "
        f"CPU {min(cpu):.1f} s) |"
    )
    test = features[features[c.SEASON].isin(args.seasons) & (features[c.STATUS] == c.FINISHED)]
    y = test[c.RESULT].map({"H": 0, "D": 1, "A": 2}).to_numpy(int)
    prior = np.bincount(y, minlength=3) / len(y)
    print(f"evaluation seasons {args.seasons}: n={len(y)}")
    print(f"  class prior            log-loss {log_loss(np.tile(prior, (len(y), 1)), y):.4f}")
    for name in ("elo", "dc"):
        cols = [f"f_{name}_p_home", f"f_{name}_p_draw", f"f_{name}_p_away"]
        print(f"  {name:<6} implied 1X2     log-loss {log_loss(test[cols].to_numpy(), y):.4f}")


if __name__ == "__main__":
    main()
