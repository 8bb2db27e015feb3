"""The market-aware model against Pinnacle's pre-match and closing prices, one season at a time.

Fits :class:`matchcast.models.market_aware.MarketAwareModel` on every finished match before
``--season`` (the same walk-forward rule as the ``market_aware`` stage) for each ``--alpha``
and scores it, the pre-match and the closing price on that season's matches with both
Pinnacle prices. Used to choose ``market_aware.alpha`` on a season before the test period
and to judge the model on league subsets (``--leagues``). The football-only forecast is not
in this comparison (it exists only for the test seasons): the stage reports all four.

Usage::

    PYTHONPATH=src .venv/bin/python benchmarks/market_aware_validation.py \
        --season 2022-23 --alpha 0.1 1 3 10 [--leagues D1 I1 SP1 F1 SC0]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from matchcast.data import columns as C
from matchcast.models import metrics as M
from matchcast.models.market import market_probabilities
from matchcast.models.market_aware import (
    MarketAwareParams,
    fit_market_aware,
    pre_match_probabilities,
)
from matchcast.models.market_aware_run import ODDS_COLUMNS, PINNACLE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", default="data/features/features.parquet")
    parser.add_argument("--matches", default="data/interim/matches.parquet")
    parser.add_argument("--season", default="2022-23")
    parser.add_argument("--alpha", type=float, nargs="+", default=[3.0])
    parser.add_argument("--leagues", nargs="*", default=None)
    args = parser.parse_args()
    frame = pd.read_parquet(args.features).merge(
        pd.read_parquet(args.matches, columns=list(ODDS_COLUMNS)), on=C.MATCH_ID, how="left"
    )
    frame = frame[frame[C.STATUS] == C.FINISHED]
    if args.leagues:
        frame = frame[frame[C.LEAGUE].isin(args.leagues)]
    season = frame[frame[C.SEASON] == args.season]
    start = season[C.DATE].min()
    pre = pre_match_probabilities(season)
    close = market_probabilities(season[list(C.ODDS_CLOSE)].to_numpy(np.float64))
    both = (season[C.ODDS_PRE_SOURCE] == PINNACLE).to_numpy(bool, na_value=False) & (
        season[C.ODDS_CLOSE_SOURCE] == PINNACLE
    ).to_numpy(bool, na_value=False)
    for alpha in args.alpha:
        started = time.perf_counter()
        model = fit_market_aware(frame[frame[C.DATE] < start], MarketAwareParams(alpha=alpha))
        aware = model.predict(season)
        ok = both & np.isfinite(aware).all(axis=1) & np.isfinite(close).all(axis=1)
        y = M.outcome_codes(season.loc[ok, C.RESULT])
        losses = {
            name: M.per_match_log_loss(p[ok], y)
            for name, p in (("aware", aware), ("pre", pre), ("close", close))
        }
        to_pre = M.paired_difference(losses["aware"], losses["pre"])
        to_close = M.paired_difference(losses["aware"], losses["close"])
        means = " ".join(f"{k} {v.mean():.5f}" for k, v in losses.items())
        print(
            f"{args.season} alpha {alpha:g}: n {ok.sum()} log-loss {means}; "
            f"aware-pre {to_pre[0]:+.5f} ± {to_pre[1]:.5f}, "
            f"aware-close {to_close[0]:+.5f} ± {to_close[1]:.5f} "
            f"({time.perf_counter() - started:.0f} s)"
        )


if __name__ == "__main__":
    main()
