"""Synthetic serving files: match table, forecasts, finished forecasts, model and evaluation.

Shaped exactly like the outputs of the validate and batch_inference stages, so the API can
be exercised (tests, the serving benchmark, a demo) without running the pipeline. The
numbers are random: nothing here is a forecast.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from matchcast.app.state import ServingFiles
from matchcast.data.io import write_json, write_parquet

AS_OF = pd.Timestamp("2026-03-01")
LEAGUES = ("E0", "D1", "SC0")


def synthetic_matches(n_finished: int = 30, n_scheduled: int = 24, seed: int = 0) -> pd.DataFrame:
    """A small match table: finished matches before AS_OF, scheduled ones after it."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    for i in range(n_finished + n_scheduled):
        scheduled = i >= n_finished
        day = AS_OF + pd.Timedelta(days=(i - n_finished + 1) if scheduled else -(n_finished - i))
        league = LEAGUES[i % len(LEAGUES)]
        home, away = f"home-{i}", f"away-{i}"
        hg, ag = int(rng.integers(0, 4)), int(rng.integers(0, 4))
        result = "H" if hg > ag else "D" if hg == ag else "A"
        rows.append(
            {
                "match_id": f"{league}-{day.date().isoformat()}-{home}-{away}",
                "league": league,
                "season": "2025-26",
                "date": day,
                "kickoff": (day + pd.Timedelta(hours=15)).tz_localize("UTC"),
                "home_team": f"Home {i}",
                "away_team": f"Away {i}",
                "status": "scheduled" if scheduled else "finished",
                "result": None if scheduled else result,
                "home_goals": None if scheduled else hg,
                "away_goals": None if scheduled else ag,
                "odds_pre_home": float(rng.uniform(1.5, 4.0)) if i % 4 else np.nan,
                "odds_pre_draw": 3.4,
                "odds_pre_away": 3.1,
                "odds_pre_source": "market_avg",
            }
        )
    frame = pd.DataFrame(rows)
    frame["home_goals"] = frame["home_goals"].astype("Int64")
    frame["away_goals"] = frame["away_goals"].astype("Int64")
    return frame


def synthetic_predictions(
    matches: pd.DataFrame,
    data_version: str = "data-v1",
    model_version: str = "1",
    skip: int = 0,
    seed: int = 1,
) -> pd.DataFrame:
    """Forecasts for the scheduled matches (the last ``skip`` of them left out)."""
    sched = matches[matches["status"] == "scheduled"]
    if skip:
        sched = sched.iloc[:-skip]
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet([4.0, 2.5, 3.0], size=len(sched))
    computed_at = pd.Timestamp(dt.datetime.now(dt.UTC)).floor("s")
    reasons = json.dumps(
        [{"factor": "rating", "value": 42.0, "detail": "home side rated 42 points higher"}]
    )
    return pd.DataFrame(
        {
            "match_id": sched["match_id"].to_numpy(),
            "league": sched["league"].to_numpy(),
            "season": sched["season"].to_numpy(),
            "kickoff": sched["kickoff"].to_numpy(),
            "home_team": sched["home_team"].to_numpy(),
            "away_team": sched["away_team"].to_numpy(),
            "p_home": probs[:, 0],
            "p_draw": probs[:, 1],
            "p_away": probs[:, 2],
            "predicted": np.array(["H", "D", "A"])[probs.argmax(axis=1)],
            "fair_odds_home": 1 / probs[:, 0],
            "fair_odds_draw": 1 / probs[:, 1],
            "fair_odds_away": 1 / probs[:, 2],
            "market_odds_home": sched["odds_pre_home"].to_numpy(),
            "market_odds_draw": sched["odds_pre_draw"].to_numpy(),
            "market_odds_away": sched["odds_pre_away"].to_numpy(),
            "market_odds_source": sched["odds_pre_source"].to_numpy(),
            "reasons": reasons,
            "model_name": "matchcast-1x2",
            "model_version": model_version,
            "model_alias": "champion",
            "model_run_id": "run" + model_version * 8,
            "data_version": data_version,
            "features_as_of": AS_OF.date().isoformat(),
            "computed_at": computed_at,
        }
    ).assign(kickoff=lambda f: pd.to_datetime(f["kickoff"], utc=True))


def synthetic_finished(
    matches: pd.DataFrame, every: int = 4, seed: int = 2, model_version: str = "1"
) -> pd.DataFrame:
    """Logged forecasts of the finished matches (every ``every``-th left without one)."""
    done = matches[matches["status"] == "finished"].iloc[1:]
    done = done[np.arange(len(done)) % every != every - 1]
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet([4.0, 2.5, 3.0], size=len(done))
    predicted = np.array(["H", "D", "A"])[probs.argmax(axis=1)]
    day = pd.to_datetime(done["date"])
    return pd.DataFrame(
        {
            "match_id": done["match_id"].to_numpy(),
            "league": done["league"].to_numpy(),
            "season": done["season"].to_numpy(),
            "kickoff": pd.to_datetime(done["kickoff"], utc=True).to_numpy(),
            "home_team": done["home_team"].to_numpy(),
            "away_team": done["away_team"].to_numpy(),
            "p_home": probs[:, 0],
            "p_draw": probs[:, 1],
            "p_away": probs[:, 2],
            "predicted": predicted,
            "fair_odds_home": 1 / probs[:, 0],
            "fair_odds_draw": 1 / probs[:, 1],
            "fair_odds_away": 1 / probs[:, 2],
            "market_odds_home": done["odds_pre_home"].to_numpy(),
            "market_odds_draw": done["odds_pre_draw"].to_numpy(),
            "market_odds_away": done["odds_pre_away"].to_numpy(),
            "market_odds_source": done["odds_pre_source"].to_numpy(),
            "reasons": "[]",
            "model_name": "matchcast-1x2",
            "model_version": model_version,
            "model_alias": "champion",
            "model_run_id": "run" + model_version * 8,
            "data_version": [f"data-{d.date().isoformat()}" for d in day - pd.Timedelta(days=1)],
            "features_as_of": [(d - pd.Timedelta(days=1)).date().isoformat() for d in day],
            "computed_at": (day - pd.Timedelta(hours=18)).dt.tz_localize("UTC").to_numpy(),
            "status": "finished",
            "result": done["result"].to_numpy(),
            "correct": predicted == done["result"].to_numpy(),
        }
    ).assign(
        kickoff=lambda f: pd.to_datetime(f["kickoff"], utc=True),
        computed_at=lambda f: pd.to_datetime(f["computed_at"], utc=True),
    )


def model_evaluation(version: str = "1", seed: int = 4) -> dict[str, Any]:
    """The content of ``evaluation.json``: scores, baselines, leagues and a reliability table."""
    rng = np.random.default_rng(seed)

    def scores(log_loss: float, n: int = 1200) -> dict[str, Any]:
        return {
            "n": n,
            "log_loss": round(log_loss, 6),
            "rps": round(0.2 + (log_loss - 0.98) / 5, 6),
            "brier": round(0.58 + (log_loss - 0.98) / 2, 6),
            "ece": round(float(rng.uniform(0.005, 0.02)), 6),
            "accuracy": round(float(rng.uniform(0.48, 0.53)), 6),
        }

    calibration = []
    for outcome, top in (("H", 8), ("D", 4), ("A", 7)):
        for b in range(top):
            mean = (b + 0.5) / 10
            calibration.append(
                {
                    "outcome": outcome,
                    "bin": b,
                    "mean_predicted": round(mean, 6),
                    "observed_rate": round(float(np.clip(mean + rng.normal(0, 0.03), 0, 1)), 6),
                    "count": int(rng.integers(20, 300)),
                }
            )
    return {
        "model": {
            "name": "matchcast-1x2",
            "version": version,
            "alias": "champion",
            "run_id": "run" + version * 8,
        },
        "available": True,
        "test_seasons": ["2023-24", "2024-25"],
        "test": scores(0.99),
        "market": {**scores(0.98), "method": "market_proportional"},
        "gap": {"n": 1200, "log_loss": 0.01, "log_loss_se": 0.002, "rps": 0.005, "rps_se": 0.001},
        "baselines": {
            "class_prior": scores(1.06),
            "elo": scores(1.01),
            "dixon_coles": scores(1.0),
        },
        "market_methods": {"market_proportional": scores(0.98), "market_shin": scores(0.979)},
        "per_league": [
            {
                "league": league,
                "n": 400,
                "model": scores(0.99 + k / 100, 400),
                "market": scores(0.98 + k / 100, 400),
                "gap": {"n": 400, "log_loss": 0.01, "log_loss_se": 0.004, "rps": 0.004},
            }
            for k, league in enumerate(LEAGUES)
        ],
        "calibration": calibration,
    }


def model_metadata(version: str = "1") -> dict[str, Any]:
    """The content of ``model.json`` for a champion of the given version."""
    return {
        "name": "matchcast-1x2",
        "version": version,
        "alias": "champion",
        "run_id": "run" + version * 8,
        "data_version": "train-data-v1",
        "trained_through": "2026-03-01",
        "feature_columns": ["f_elo_diff", "f_form_diff"],
        "evaluation": {
            "test_n": 1200,
            "test_log_loss": 0.99,
            "test_rps": 0.205,
            "market_log_loss": 0.98,
            "market_rps": 0.2,
            "gap_log_loss": 0.01,
            "gap_rps": 0.005,
        },
    }


def serving_files(root: Path) -> ServingFiles:
    """Where the serving files live under ``root`` (not created)."""
    return ServingFiles(
        predictions=root / "predictions.parquet",
        model=root / "model.json",
        matches=root / "matches.parquet",
        finished=root / "finished.parquet",
        evaluation=root / "evaluation.json",
    )


def write_serving_files(
    root: Path, skip: int = 2
) -> tuple[ServingFiles, pd.DataFrame, pd.DataFrame]:
    """Write every serving file; returns (files, matches, predictions)."""
    files = serving_files(root)
    matches = synthetic_matches()
    predictions = synthetic_predictions(matches, skip=skip)
    write_parquet(matches, files.matches)
    write_parquet(predictions, files.predictions)
    write_json(model_metadata(), files.model)
    write_parquet(synthetic_finished(matches), root / "finished.parquet")
    write_json(model_evaluation(), root / "evaluation.json")
    return files, matches, predictions
