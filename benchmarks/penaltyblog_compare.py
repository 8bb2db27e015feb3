"""Compare matchcast's Dixon–Coles with penaltyblog's on the same matches.

Walk-forward on the test seasons (default 2023-24 and 2024-25): for every league, the test
matches are cut into blocks of ``--refit-days`` days; before each block both models are
refitted on the matches of the league and the divisions directly above/below it, dated
strictly before the block, within ``--window-days`` and weighted ``exp(-xi * age)``.
Scored on the matches with Pinnacle closing odds, against the market (Pinnacle closing,
margin removed proportionally), a class prior, and (if the evaluate stage has written it)
the project's test predictions.

penaltyblog is a benchmark-only dependency (``pip install .[bench]``). Its model cannot
rate teams absent from the training window (e.g. promoted from a division outside the
archive); for those matches both models use the mean ratings of the league's teams. Its
unconstrained rho can make score cells negative, which its own probability grid refuses;
such grids are clipped at 0 and renormalised (the count is printed as negative_grids).

matchcast's model is run twice: with the walk-forward default ridge (a prior shrinking each
team towards its league's mean, tuned on 2022-23) and with ridge 1e-3 (plain maximum
likelihood, the like-for-like comparison with penaltyblog).

Usage (``--pb-cache`` keeps penaltyblog's forecasts, and each finished league in
``<cache>.parts/``, so a rerun only recomputes matchcast's side)::

    PYTHONPATH=src .venv/bin/python benchmarks/penaltyblog_compare.py --refit-days 1 \
        --workers 2 --pb-cache /tmp/pb_refit1.parquet --output /tmp/penaltyblog_compare.json
"""

from __future__ import annotations

import os

# Both optimisers call BLAS on tiny matrices; threaded BLAS only adds contention (15x slower
# here). Set before numpy is imported so worker processes inherit it.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import itertools
import json
import logging
import pickle
import platform
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from matchcast.data import columns as col
from matchcast.models import metrics
from matchcast.models.baselines import ClassPrior
from matchcast.models.dixon_coles_walk_forward import (
    WALK_FORWARD_RIDGE,
    decay_weights,
    dixon_coles_walk_forward,
    pooled_leagues,
)
from matchcast.models.market import market_probabilities

LEAGUES = (
    *("E0", "E1", "E2", "E3", "EC", "SC0", "SC1", "SC2", "SC3"),
    *("D1", "D2", "I1", "I2", "SP1", "SP2", "F1", "F2"),
)
REPO = Path(__file__).resolve().parents[1]


def load_matches(path: Path, archive: Path, seasons: list[str]) -> tuple[pd.DataFrame, str]:
    """The canonical match table, or (if not built yet) the archive parsed with its parser."""
    if path.exists():
        return pd.read_parquet(path), str(path)
    from matchcast.data.sources.football_data import parse_division_file

    first = int(seasons[0][:4]) - 3
    frames = []
    for year in range(first, int(seasons[-1][:4]) + 1):
        code = f"{year % 100:02d}{(year + 1) % 100:02d}"
        for league in LEAGUES:
            file = archive / "mmz4281" / code / f"{league}.csv"
            if file.exists():
                season = f"{year}-{(year + 1) % 100:02d}"
                frame, _ = parse_division_file(file.read_bytes(), str(file), league, season)
                frames.append(frame)
    matches = pd.concat(frames, ignore_index=True)
    done = matches[col.HOME_GOALS].notna() & matches[col.AWAY_GOALS].notna()
    matches[col.STATUS] = np.where(done, col.FINISHED, col.SCHEDULED)
    return matches, f"{archive} (parsed directly: {path} not found)"


def _days(dates: pd.Series) -> np.ndarray:
    return np.asarray(pd.to_datetime(dates).to_numpy("datetime64[D]").astype(np.int64))


def _pb_predict(
    model: Any, home: np.ndarray, away: np.ndarray, fallback: tuple[float, float]
) -> tuple[np.ndarray, int, np.ndarray]:
    """1X2 and score grids from penaltyblog's fitted parameters; league-mean ratings for
    unknown teams. The grids (``(n, 15, 15)``, clipped at 0, summing to 1) feed
    ``penaltyblog_markets.py``."""
    from penaltyblog.models import FootballProbabilityGrid
    from penaltyblog.models.probabilities import compute_dixon_coles_probabilities

    params = model._params
    n = model.n_teams
    index = {t: i for i, t in enumerate(model.teams)}
    max_goals = 15  # penaltyblog's default
    out = np.empty((len(home), 3))
    grids = np.empty((len(home), max_goals, max_goals))
    negative = 0
    for k, (h, a) in enumerate(zip(home, away, strict=True)):
        hi, ai = index.get(h), index.get(a)
        h_att, h_def = (params[hi], params[hi + n]) if hi is not None else fallback
        a_att, a_def = (params[ai], params[ai + n]) if ai is not None else fallback
        grid = np.empty(max_goals * max_goals)
        lh, la = np.empty(1), np.empty(1)
        compute_dixon_coles_probabilities(
            float(h_att),
            float(a_att),
            float(h_def),
            float(a_def),
            float(params[-2]),
            float(params[-1]),
            max_goals,
            grid,
            lh,
            la,
        )
        if (grid < 0).any():
            # The known failure: unconstrained rho gives negative cells and penaltyblog's
            # own grid refuses them. Score the most lenient repair: clip and renormalise.
            negative += 1
            grid = np.maximum(grid, 0.0)
        grid.shape = (max_goals, max_goals)
        out[k] = FootballProbabilityGrid(grid, float(lh[0]), float(la[0])).home_draw_away
        grids[k] = grid / grid.sum()
    return out, negative, grids


def penaltyblog_league(
    args: tuple[pd.DataFrame, np.ndarray, str, int, int, float],
) -> dict[str, Any]:
    """penaltyblog Dixon–Coles walk-forward for the test rows of one league."""
    from penaltyblog.models import DixonColesGoalModel

    matches, test_rows, league, refit_days, window_days, xi = args
    days = _days(matches[col.DATE])
    leagues = matches[col.LEAGUE].to_numpy(str)
    home = matches[col.HOME_ID].to_numpy(str)
    away = matches[col.AWAY_ID].to_numpy(str)
    hg = matches[col.HOME_GOALS].to_numpy(float, na_value=np.nan)
    ag = matches[col.AWAY_GOALS].to_numpy(float, na_value=np.nan)
    finished = np.isfinite(hg) & np.isfinite(ag)
    pool = np.flatnonzero(finished & np.isin(leagues, pooled_leagues(league)))
    pool = pool[np.argsort(days[pool], kind="stable")]
    tests = test_rows[np.argsort(days[test_rows], kind="stable")]
    probs = np.full((len(tests), 3), np.nan)
    grids = np.full((len(tests), 15, 15), np.nan)
    fits = failures = negative = 0
    started = time.perf_counter()
    i = 0
    while i < len(tests):
        start = days[tests[i]]
        j = int(np.searchsorted(days[tests], start + refit_days, side="left"))
        block = tests[i:j]
        lo = int(np.searchsorted(days[pool], start - window_days, side="left"))
        hi = int(np.searchsorted(days[pool], start, side="left"))
        train = pool[lo:hi]
        model = DixonColesGoalModel(
            hg[train].astype(int),
            ag[train].astype(int),
            home[train],
            away[train],
            weights=decay_weights(start - days[train], xi),
        )
        try:
            model.fit()
            fits += 1
        except ValueError:
            failures += 1  # optimiser did not converge: keep its last parameters
            model._params = model._res["x"]
            model.fitted = True
        in_league = train[leagues[train] == league]
        names = [t for t in set(home[in_league]) | set(away[in_league]) if t in model.team_to_idx]
        idx = np.array([model.team_to_idx[t] for t in names])
        fallback = (
            float(model._params[idx].mean()),
            float(model._params[idx + model.n_teams].mean()),
        )
        p, neg, g = _pb_predict(model, home[block], away[block], fallback)
        negative += neg
        probs[i:j] = p
        grids[i:j] = g
        i = j
    return {
        "league": league,
        "rows": tests,
        "probs": probs,
        "grids": grids,
        "fits": fits,
        "failures": failures,
        "negative_grids": negative,
        "seconds": time.perf_counter() - started,
    }


def run_penaltyblog(
    matches: pd.DataFrame,
    test_mask: np.ndarray,
    refit_days: int,
    window_days: int,
    xi: float,
    workers: int,
    parts: Path | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """penaltyblog walk-forward over all leagues, leagues spread over worker processes.

    With ``parts``, each finished league is pickled there and reused by a rerun.
    """
    leagues = matches[col.LEAGUE].to_numpy(str)
    test_rows = np.flatnonzero(test_mask)
    out = np.full((len(matches), 3), np.nan)
    info: dict[str, Any] = {"fits": 0, "failures": 0, "negative_grids": 0, "per_league_s": {}}
    done: list[dict[str, Any]] = []
    if parts is not None:
        parts.mkdir(parents=True, exist_ok=True)
        done = [pickle.loads(f.read_bytes()) for f in sorted(parts.glob("*.pkl"))]
    finished = {d["league"] for d in done}
    jobs = [
        (matches, test_rows[leagues[test_rows] == lg], lg, refit_days, window_days, xi)
        for lg in sorted(set(leagues[test_rows]) - finished)
    ]
    jobs.sort(key=lambda job: -len(job[1]))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for result in itertools.chain(done, pool.map(penaltyblog_league, jobs)):
            if parts is not None and result["league"] not in finished:
                (parts / f"{result['league']}.pkl").write_bytes(pickle.dumps(result))
            out[result["rows"]] = result["probs"]
            for key in ("fits", "failures", "negative_grids"):
                info[key] += result[key]
            info["per_league_s"][result["league"]] = round(result["seconds"], 1)
            logging.info("penaltyblog %s done in %.0fs", result["league"], result["seconds"])
    return out[test_mask], info


def ours_league(args: tuple[pd.DataFrame, np.ndarray, int, int, float, float]) -> np.ndarray:
    """matchcast Dixon–Coles walk-forward for one league's test rows."""
    matches, mask, refit_days, window_days, xi, ridge = args
    return dixon_coles_walk_forward(
        matches, mask, refit_every_days=refit_days, window_days=window_days, xi=xi, ridge=ridge
    )


def run_ours(
    matches: pd.DataFrame,
    test_mask: np.ndarray,
    refit_days: int,
    window_days: int,
    xi: float,
    ridge: float,
    workers: int,
) -> np.ndarray:
    """matchcast walk-forward over all leagues, leagues spread over worker processes."""
    leagues = matches[col.LEAGUE].to_numpy(str)
    masks = [test_mask & (leagues == lg) for lg in sorted(set(leagues[test_mask]))]
    out = np.full((len(matches), 3), np.nan)
    jobs = [(matches, m, refit_days, window_days, xi, ridge) for m in masks]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for m, probs in zip(masks, pool.map(ours_league, jobs), strict=True):
            out[m] = probs
    return np.asarray(out[test_mask])


def class_prior(
    matches: pd.DataFrame, test_mask: np.ndarray, first_test_day: int, window_days: int
) -> np.ndarray:
    """H/D/A frequencies of the finished matches in the window before the test seasons."""
    days = _days(matches[col.DATE])
    train = (
        (matches[col.STATUS] == col.FINISHED).to_numpy(bool)
        & (days < first_test_day)
        & (days >= first_test_day - window_days)
    )
    prior = ClassPrior().fit(metrics.outcome_codes(matches.loc[train, col.RESULT]))
    return prior.predict_proba(matches.loc[test_mask, col.LEAGUE].to_numpy(str))


def _machine() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--matches", type=Path, default=REPO / "data/interim/matches.parquet")
    parser.add_argument("--archive", type=Path, default=REPO.parent / "shared/data/football-data")
    parser.add_argument(
        "--predictions", type=Path, default=REPO / "data/evaluation/test_predictions.parquet"
    )
    parser.add_argument("--seasons", nargs="+", default=["2023-24", "2024-25"])
    parser.add_argument("--refit-days", type=int, default=1)
    parser.add_argument("--our-refit-days", type=int, default=None)
    parser.add_argument("--window-days", type=int, default=730)
    parser.add_argument("--xi", type=float, default=0.0018)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--our-ridges",
        nargs="*",
        type=float,
        default=[WALK_FORWARD_RIDGE, 1e-3],
        help="ridge values for matchcast's model (1e-3 = plain maximum likelihood)",
    )
    parser.add_argument("--skip-penaltyblog", action="store_true")
    parser.add_argument(
        "--pb-cache",
        type=Path,
        default=None,
        help="parquet of penaltyblog forecasts to reuse/write",
    )
    parser.add_argument("--output", type=Path, default=None, help="write the results as JSON")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    matches, origin = load_matches(args.matches, args.archive, args.seasons)
    matches = matches[matches[col.LEAGUE].isin(LEAGUES)].reset_index(drop=True)
    close = matches[list(col.ODDS_CLOSE)].to_numpy(float, na_value=np.nan)
    test_mask = (
        matches[col.SEASON].isin(args.seasons).to_numpy(bool)
        & (matches[col.STATUS] == col.FINISHED).to_numpy(bool)
        & (matches[col.ODDS_CLOSE_SOURCE] == "pinnacle").to_numpy(bool, na_value=False)
        & np.isfinite(close).all(axis=1)
        & (close > 1).all(axis=1)
    )
    y = metrics.outcome_codes(matches.loc[test_mask, col.RESULT])
    print(f"matches from {origin}: {len(matches)} rows; test matches: {int(test_mask.sum())}")

    rows: dict[str, np.ndarray] = {}
    timing: dict[str, float] = {}
    rows["market (Pinnacle closing, proportional)"] = market_probabilities(close[test_mask])
    rows["market (Pinnacle closing, shin)"] = market_probabilities(close[test_mask], "shin")
    rows["market (Pinnacle closing, power)"] = market_probabilities(close[test_mask], "power")
    first_test_day = int(_days(matches.loc[test_mask, col.DATE]).min())
    rows["class prior"] = class_prior(matches, test_mask, first_test_day, args.window_days)

    our_refit = args.our_refit_days or args.refit_days
    for ridge in args.our_ridges:
        t0 = time.perf_counter()
        rows[f"matchcast Dixon–Coles (refit {our_refit}d, ridge {ridge:g})"] = run_ours(
            matches, test_mask, our_refit, args.window_days, args.xi, ridge, args.workers
        )
        timing[f"matchcast ridge {ridge:g}"] = time.perf_counter() - t0
    info: dict[str, Any] = {}
    ids = matches.loc[test_mask, col.MATCH_ID].to_numpy(str)
    proba = ["p_home", "p_draw", "p_away"]
    if args.pb_cache is not None and args.pb_cache.exists():
        cached = pd.read_parquet(args.pb_cache).set_index(col.MATCH_ID)
        rows[f"penaltyblog Dixon–Coles ({args.pb_cache.name})"] = cached.loc[ids, proba].to_numpy()
    elif not args.skip_penaltyblog:
        t0 = time.perf_counter()
        parts = None if args.pb_cache is None else args.pb_cache.with_suffix(".parts")
        pb, info = run_penaltyblog(
            matches, test_mask, args.refit_days, args.window_days, args.xi, args.workers, parts
        )
        timing["penaltyblog"] = time.perf_counter() - t0
        rows[f"penaltyblog Dixon–Coles (refit {args.refit_days}d)"] = pb
        if args.pb_cache is not None:
            frame = pd.DataFrame(pb, columns=proba)
            frame.insert(0, col.MATCH_ID, ids)
            frame.to_parquet(args.pb_cache, index=False)
    if args.predictions.exists():
        pred = pd.read_parquet(args.predictions).set_index(col.MATCH_ID)
        present = np.isin(ids, pred.index.to_numpy(str))
        if present.all():
            rows["matchcast model (test predictions)"] = pred.loc[ids, proba].to_numpy(float)
        else:
            print(f"{args.predictions} lacks {int((~present).sum())} test matches")

    reference = rows["market (Pinnacle closing, proportional)"]
    ref_ll = metrics.per_match_log_loss(reference, y)
    ref_rps = metrics.per_match_rps(reference, y)
    results: dict[str, Any] = {}
    print(f"\n{'forecast':48s} {'n':>6s} {'log-loss':>9s} {'RPS':>7s} {'Δll vs mkt':>16s}")
    for name, probs in rows.items():
        ll = metrics.per_match_log_loss(probs, y)
        diff, se = metrics.paired_difference(ll, ref_ll)
        rps_diff, rps_se = metrics.paired_difference(metrics.per_match_rps(probs, y), ref_rps)
        summary = metrics.summarize(probs, y)
        summary.update(gap_log_loss=diff, gap_log_loss_se=se, gap_rps=rps_diff, gap_rps_se=rps_se)
        results[name] = summary
        print(
            f"{name:48s} {summary['n']:6d} {summary['log_loss']:9.4f} {summary['rps']:7.4f} "
            f"{diff:+8.4f} ± {se:.4f}"
        )
    print(f"\ntiming (s): {json.dumps({k: round(v, 1) for k, v in timing.items()})}")
    if info:
        print(f"penaltyblog: {json.dumps(info)}")
    pb_names = [name for name in rows if name.startswith("penaltyblog")]
    if pb_names:
        pb_probs = rows[pb_names[0]]
        pb_ll = metrics.per_match_log_loss(pb_probs, y)
        pb_rps = metrics.per_match_rps(pb_probs, y)
        for name, probs in rows.items():
            if name.startswith("matchcast"):
                d_ll, se_ll = metrics.paired_difference(metrics.per_match_log_loss(probs, y), pb_ll)
                d_rps, se_rps = metrics.paired_difference(metrics.per_match_rps(probs, y), pb_rps)
                results[name].update(vs_penaltyblog_log_loss=d_ll, vs_penaltyblog_rps=d_rps)
                print(
                    f"{name} minus penaltyblog: log-loss {d_ll:+.4f} ± {se_ll:.4f}, "
                    f"RPS {d_rps:+.5f} ± {se_rps:.5f}"
                )
    print(f"machine: {_machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    if args.output:
        payload = {"results": results, "timing_s": timing, "penaltyblog": info, "args": vars(args)}
        args.output.write_text(json.dumps(payload, indent=2, default=str))


if __name__ == "__main__":
    main()
