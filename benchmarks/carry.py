"""Does accuracy carry to leagues the model was not tuned on? Gap to the close per configuration.

Usage: .venv/bin/python benchmarks/carry.py [--configs NAME ...] [--params params.yaml]
       [--out benchmarks/results/carry.json] [--cache DIR]

One process, no DVC: the archive's 17 divisions (``data`` as shipped) and the four
extra-leagues files (ARG, BRA, MEX, USA; every season) are ingested and validated once with
the project's own functions, and features are built once per country (``features:`` of
``--params``). No rating, form or context state crosses a country: every team plays in one
country's leagues, and league state (home advantage, base rates, newcomer priors) is per
league — the run checks that no team id appears in two countries. So a country's rows here
are the rows a run on that country alone would build, and a configuration is a filter of
the rows. The exception is *top flights only*: a run on D1 I1 SP1 F1 SC0 alone never sees
the second divisions, so promoted teams start as newcomers; that configuration gets its
own features built from those five leagues only (``top5``), and ``top5-in-archive`` is the
same leagues cut from the per-country features for comparison.

For each configuration (train leagues T, test leagues S) the rows of T ∪ S are split as the
train stage splits them (``split_period``: the last ``evaluate.test_seasons`` complete
seasons of each league before ``as_of``), the model is fitted walk-forward
(``walk_forward_fit``: one fit per group of test labels, strictly before it) on T's rows
only — the test rows of leagues outside T are in the frame with their results hidden, so
they set the fit dates but never train — and S's test matches are predicted and scored by
the evaluate stage's ``evaluate`` against the de-margined closing price
(``market_forecasts``), with the class-prior and Elo baselines (Dixon–Coles off: cost).
The model settings are ``model:`` of ``--params`` as shipped (the defaults the train
stage's Optuna search starts from); **no tuning trials run** (the full repro adds 10 trials
/ 60 s, so its figures can differ slightly).

Configurations: ``all17`` (the 17 together), ``loco-<C>`` (train on every other country,
test on C; for C among the extra leagues "every other" includes the 17), ``alone-<C>``
(each country alone), ``top5``, ``top5-in-archive``, ``extras`` (ARG+BRA+MEX+USA together)
and ``17-to-extras`` (train on the 17 only, test on the four extra leagues). Families
``loco``, ``alone``, ``core`` (all17, top5, extras) and ``all`` select several. The JSON
report is rewritten after every configuration, so a cut run keeps what it finished.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from matchcast.data import columns as C
from matchcast.data.ingest import ingest, plan_sources
from matchcast.data.params import DataParams, load_data_params, load_section
from matchcast.data.shrink import NOT_COMPARED_KINDS
from matchcast.data.sources.fetch import Fetcher
from matchcast.data.validation import validate_matches
from matchcast.features.build import build_features
from matchcast.models.comparators import (
    DixonColesBaseline,
    EvaluateParams,
    baseline_forecasts,
    market_forecasts,
)
from matchcast.models.estimator import ModelParams, seasons_in_order
from matchcast.models.evaluation import evaluate
from matchcast.models.test_period import split_period
from matchcast.models.tuning import predict_by_season, walk_forward_fit
from matchcast.pipelines.features import load_feature_params
from matchcast.pipelines.ingest import ingest_as_of
from matchcast.pipelines.train import load_model_params

ROOT = Path(__file__).resolve().parents[1]
ARCHIVE = Path(
    os.environ.get("MATCHCAST_FOOTBALL_DATA", ROOT.parent / "shared" / "data" / "football-data")
)
EXTRAS = ("ARG", "BRA", "MEX", "USA")
TOP_FLIGHTS = ("D1", "I1", "SP1", "F1", "SC0")
# Division code prefix -> country (the extra leagues are their own country code).
COUNTRY_OF_PREFIX = {"E": "England", "SC": "Scotland", "D": "Germany", "I": "Italy",
                     "SP": "Spain", "F": "France"}  # fmt: skip
BAR = (0.015, 0.0045)


def country_of(league: str) -> str:
    """Country of a league code (``SC1`` -> Scotland, ``ARG`` -> ARG)."""
    if league in EXTRAS:
        return league
    for prefix in sorted(COUNTRY_OF_PREFIX, key=len, reverse=True):
        if league.startswith(prefix) and league[len(prefix) :].isalnum():
            return COUNTRY_OF_PREFIX[prefix]
    raise ValueError(f"no country for league {league!r}")


@dataclass(frozen=True)
class Config:
    """One benchmark configuration: fit on ``train`` leagues, score on ``test`` leagues."""

    name: str
    family: str
    train: tuple[str, ...]
    test: tuple[str, ...]
    features: str = "country"  # "country" (per-country build) or "top5" (top flights only)


def configurations(leagues17: list[str]) -> list[Config]:
    """Every configuration, the cheap and most asked-for first."""
    countries = sorted({country_of(x) for x in leagues17})
    by_country = {c: tuple(x for x in leagues17 if country_of(x) == c) for c in countries}
    every = tuple(leagues17) + EXTRAS
    out = [
        Config("all17", "core", tuple(leagues17), tuple(leagues17)),
        Config("top5", "core", TOP_FLIGHTS, TOP_FLIGHTS, features="top5"),
        Config("extras", "core", EXTRAS, EXTRAS),
        Config("17-to-extras", "unseen", tuple(leagues17), EXTRAS),
    ]
    out += [Config(f"alone-{c}", "alone", by_country[c], by_country[c]) for c in countries]
    out += [Config(f"alone-{c}", "alone", (c,), (c,)) for c in EXTRAS]
    out += [Config("top5-in-archive", "extra", TOP_FLIGHTS, TOP_FLIGHTS)]
    for c in countries:
        rest = tuple(x for x in leagues17 if x not in by_country[c])
        out.append(Config(f"loco-{c}", "loco", rest, by_country[c]))
    for c in EXTRAS:
        out.append(Config(f"loco-{c}", "loco", tuple(x for x in every if x != c), (c,)))
    return out


def select(all_configs: list[Config], wanted: list[str]) -> list[Config]:
    """Configurations by name or family (``all`` = every one), in the listed order."""
    out: list[Config] = []
    for name in wanted:
        hits = [c for c in all_configs if name in ("all", c.name, c.family) and c not in out]
        if not hits and not any(name == c.name for c in out):
            raise SystemExit(f"unknown configuration {name!r}: {[c.name for c in all_configs]}")
        out += hits
    return out


def load_matches(params_path: Path, cache: Path) -> tuple[pd.DataFrame, dt.date]:
    """The 17 divisions (``data`` as configured) and the four extra leagues, validated."""
    data = load_data_params(params_path, str(ARCHIVE))
    max_share = float(load_section(params_path, "validate").get("max_bad_row_share", 0.005))
    fetcher = Fetcher(cache)
    as_of, result = ingest_as_of(data, fetcher)
    day = as_of.as_of
    extras: DataParams = data.model_copy(
        update={"leagues": [], "extra_leagues": list(EXTRAS), "seasons": "all", "fixtures": False}
    ).at(day)
    parts = [(data.at(day), result), (extras, ingest(extras, fetcher))]
    tables = []
    for params, ingested in parts:
        files = [s.relative for s in plan_sources(params) if s.kind not in NOT_COMPARED_KINDS]
        checked = validate_matches(
            ingested.matches, ingested.issues, day, max_share, configured_files=files
        )
        tables.append(checked.matches)
    table = pd.concat(tables, ignore_index=True)
    # Only the configured divisions and the extra leagues (a fixtures file may list others).
    known = table[C.LEAGUE].astype(str).isin([*data.leagues, *EXTRAS]).to_numpy(dtype=bool)
    return table.loc[known].reset_index(drop=True), day


def shared_teams(matches: pd.DataFrame) -> list[str]:
    """Team ids that play in more than one country (their state would cross countries)."""
    country = matches[C.LEAGUE].astype(str).map(country_of)
    ids = pd.concat(
        [
            pd.DataFrame({"team": matches[C.HOME_ID].astype(str), "country": country}),
            pd.DataFrame({"team": matches[C.AWAY_ID].astype(str), "country": country}),
        ]
    ).drop_duplicates()
    counts = ids.groupby("team")["country"].nunique()
    return sorted(counts[counts > 1].index)


def build_feature_sets(matches: pd.DataFrame, params_path: Path) -> dict[str, pd.DataFrame]:
    """Per-country features (concatenated) and the top-flights-only build."""
    params = load_feature_params(params_path)
    country = matches[C.LEAGUE].astype(str).map(country_of)
    per_country = [
        build_features(matches.loc[country == c].reset_index(drop=True), params)
        for c in sorted(country.unique())
    ]
    top = matches.loc[matches[C.LEAGUE].isin(TOP_FLIGHTS)].reset_index(drop=True)
    return {
        "country": pd.concat(per_country, ignore_index=True),
        "top5": build_features(top, params),
    }


@dataclass
class Outcome:
    """A configuration's scored test matches (for pooling) and its summary."""

    summary: dict[str, Any]
    test: pd.DataFrame
    probs: np.ndarray
    market: dict[str, np.ndarray]
    baselines: dict[str, np.ndarray]


def in_leagues(frame: pd.DataFrame, leagues: tuple[str, ...]) -> np.ndarray:
    """Row mask: the row's league is one of ``leagues``."""
    return np.asarray(frame[C.LEAGUE].astype(str).isin(leagues).to_numpy(), dtype=bool)


def gap_block(report: dict[str, Any]) -> dict[str, Any]:
    """The gap to the benchmark market and the scores behind it, from an evaluate report
    (or one of its per-league blocks, which name the model's scores ``model``)."""
    gap = report["gap"]
    elo = report["baselines"].get("elo", {})
    return {
        "n": gap["n"],
        "model_log_loss": report["test" if "test" in report else "model"]["log_loss"],
        "market_log_loss": report["market"].get("log_loss"),
        "elo_log_loss": elo.get("log_loss"),
        "gap_log_loss": gap.get("log_loss"),
        "gap_log_loss_se": gap.get("log_loss_se"),
        "gap_rps": gap.get("rps"),
        "gap_rps_se": gap.get("rps_se"),
    }


def score(
    test: pd.DataFrame,
    probs: np.ndarray,
    market: dict[str, np.ndarray],
    baselines: dict[str, np.ndarray],
    eval_params: EvaluateParams,
) -> dict[str, Any]:
    """The evaluate stage's report on these test matches."""
    return evaluate(
        test,
        probs,
        market,
        baselines,
        bins=eval_params.calibration_bins,
        big_five=eval_params.big_five,
    ).report


def run_config(
    config: Config,
    features: pd.DataFrame,
    table: pd.DataFrame,
    as_of: dt.date,
    model_params: ModelParams,
    eval_params: EvaluateParams,
) -> Outcome:
    """Fit walk-forward on the configuration's train leagues, score its test leagues."""
    started = time.perf_counter()
    frame = features.loc[in_leagues(features, config.train + config.test)]
    train, test, _ = split_period(
        frame, as_of.isoformat(), eval_params.test_seasons, eval_params.test_from
    )
    scored = test.loc[in_leagues(test, config.test)].reset_index(drop=True)
    unseen = scored.loc[~in_leagues(scored, config.train)].copy()
    # Leagues outside T: their test rows only place the fits in time (results hidden).
    unseen[C.RESULT] = pd.NA
    fit_frame = pd.concat(
        [
            train.loc[in_leagues(train, config.train)],
            test.loc[in_leagues(test, config.train)],
            unseen,
        ],
        ignore_index=True,
    )
    seasons = seasons_in_order(scored)
    models = walk_forward_fit(fit_frame, seasons, model_params, eval_params.walk_forward_group_days)
    probs = predict_by_season(models, scored)
    market, _ = market_forecasts(scored, table, eval_params.market_methods)
    baselines = baseline_forecasts(
        train.loc[in_leagues(train, config.train)], scored, table, eval_params
    )
    report = score(scored, probs, market, baselines, eval_params)
    fits = {id(m): m for m in models.values()}
    summary: dict[str, Any] = {
        "name": config.name,
        "family": config.family,
        "train_leagues": list(config.train),
        "test_leagues": list(config.test),
        "features": config.features,
        "test_seasons": seasons,
        **gap_block(report),
        "fits": [
            {"trained_through": m.trained_through, "n_train": m.n_train} for m in fits.values()
        ],
        "per_league": {league: gap_block(block) for league, block in report["per_league"].items()},
        "seconds": round(time.perf_counter() - started, 1),
    }
    return Outcome(summary, scored, probs, market, baselines)


def pooled(name: str, outcomes: list[Outcome], eval_params: EvaluateParams) -> dict[str, Any]:
    """One report over the test matches of several configurations (each its own forecast)."""
    test = pd.concat([o.test for o in outcomes], ignore_index=True)
    probs = np.vstack([o.probs for o in outcomes])
    market = {k: np.vstack([o.market[k] for o in outcomes]) for k in outcomes[0].market}
    keys = set.intersection(*(set(o.baselines) for o in outcomes))
    baselines = {k: np.vstack([o.baselines[k] for o in outcomes]) for k in sorted(keys)}
    report = score(test, probs, market, baselines, eval_params)
    return {
        "name": name,
        "family": "pooled",
        "of": [o.summary["name"] for o in outcomes],
        "test_leagues": sorted(set(test[C.LEAGUE].astype(str))),
        "test_seasons": seasons_in_order(test),
        **gap_block(report),
    }


def markdown(rows: list[dict[str, Any]]) -> str:
    """The Markdown table of every configuration (and pooled row)."""
    lines = [
        "| configuration | trained on | scored on | test matches | model log-loss "
        "| market log-loss | gap log-loss ± SE | gap RPS ± SE | within bar | Elo gap | time |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        within = r["gap_log_loss"] <= BAR[0] and r["gap_rps"] <= BAR[1]
        elo_gap = (
            f"{r['elo_log_loss'] - r['market_log_loss']:+.4f}"
            if r.get("elo_log_loss") is not None
            else ""
        )
        seconds = f"{r['seconds']:.0f} s" if "seconds" in r else ""
        trained = ", ".join(r.get("train_leagues", [])) if r["family"] != "pooled" else "each own"
        if len(r.get("train_leagues", [])) > 6:
            trained = f"{len(r['train_leagues'])} leagues"
        lines.append(
            f"| {r['name']} | {trained} | {', '.join(r['test_leagues'])} | {r['n']:,} "
            f"| {r['model_log_loss']:.4f} | {r['market_log_loss']:.4f} "
            f"| **{r['gap_log_loss']:+.4f} ± {r['gap_log_loss_se']:.4f}** "
            f"| **{r['gap_rps']:+.4f} ± {r['gap_rps_se']:.4f}** | {'yes' if within else 'no'} "
            f"| {elo_gap} | {seconds} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", default=["core", "alone", "loco", "unseen"])
    parser.add_argument("--params", type=Path, default=ROOT / "params.yaml")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/carry.json")
    parser.add_argument("--cache", type=Path, default=ROOT / "benchmarks/results/carry-cache")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    started = time.perf_counter()
    load_start = os.getloadavg()[0]
    model_params, _ = load_model_params(args.params)
    eval_params = EvaluateParams.model_validate(load_section(args.params, "evaluate"))
    eval_params = eval_params.model_copy(update={"dixon_coles": DixonColesBaseline(enabled=False)})
    table, as_of = load_matches(args.params, args.cache)
    crossing = shared_teams(table)
    feature_sets = build_feature_sets(table, args.params)
    prepared_s = time.perf_counter() - started
    leagues17 = list(load_data_params(args.params).leagues)
    chosen = select(configurations(leagues17), args.configs)
    print(
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load {load_start:.1f}; as_of {as_of}; "
        f"{len(table):,} matches; team ids in two countries: {crossing or 'none'}; "
        f"data + features {prepared_s:.0f} s",
        flush=True,
    )
    outcomes: dict[str, Outcome] = {}
    report: dict[str, Any] = {
        "date": f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "params": str(args.params),
        "as_of": as_of.isoformat(),
        "matches": len(table),
        "teams_in_two_countries": crossing,
        "tuning": "none: model settings as in params.yaml (no Optuna trials)",
        "load_average_start": round(load_start, 2),
        "configurations": [],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for config in chosen:
        outcome = run_config(
            config, feature_sets[config.features], table, as_of, model_params, eval_params
        )
        outcomes[config.name] = outcome
        report["configurations"].append(outcome.summary)
        s = outcome.summary
        print(
            f"{config.name}: n={s['n']} gap {s['gap_log_loss']:+.4f} ± {s['gap_log_loss_se']:.4f}"
            f" / {s['gap_rps']:+.4f} ± {s['gap_rps_se']:.4f} ({s['seconds']} s, "
            f"load {os.getloadavg()[0]:.1f})",
            flush=True,
        )
        args.out.write_text(json.dumps(report, indent=1))
    for family in ("alone", "loco"):
        members = [o for o in outcomes.values() if o.summary["family"] == family]
        is_extra = [set(o.summary["test_leagues"]) <= set(EXTRAS) for o in members]
        extra = [o for o, x in zip(members, is_extra, strict=True) if x]
        european = [o for o, x in zip(members, is_extra, strict=True) if not x]
        for label, group in (("the 17", european), ("the four extra leagues", extra)):
            if len(group) > 1:
                report["configurations"].append(
                    pooled(f"{family}: {label} pooled", group, eval_params)
                )
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["load_average_end"] = round(os.getloadavg()[0], 2)
    args.out.write_text(json.dumps(report, indent=1))
    print(markdown(report["configurations"]))
    print(
        f"total {report['seconds'] / 60:.1f} min, load average at the end {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
