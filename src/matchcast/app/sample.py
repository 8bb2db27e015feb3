"""Synthetic serving files: a match table, forecasts and model metadata.

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
    )


def write_serving_files(
    root: Path, skip: int = 2
) -> tuple[ServingFiles, pd.DataFrame, pd.DataFrame]:
    """Write all three files; returns (files, matches, predictions)."""
    files = serving_files(root)
    matches = synthetic_matches()
    predictions = synthetic_predictions(matches, skip=skip)
    write_parquet(matches, files.matches)
    write_parquet(predictions, files.predictions)
    write_json(model_metadata(), files.model)
    return files, matches, predictions
