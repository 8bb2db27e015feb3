"""The test-period report with and without a market (results-only sources)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matchcast.models import metrics
from matchcast.models.evaluation import evaluate
from matchcast.models.release import evaluation_tags, run_metrics


def _test_rows(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = rng.dirichlet([6, 3, 4], size=n)
    results = np.array(["H", "D", "A"])[[rng.choice(3, p=p) for p in truth]]
    frame = pd.DataFrame(
        {
            "match_id": [f"m{i}" for i in range(n)],
            "league": np.where(np.arange(n) % 2, "BRA", "SYN"),
            "season": np.where(np.arange(n) % 2, "2024", "2024-25"),
            "date": pd.date_range("2024-08-01", periods=n, freq="D"),
            "result": results,
        }
    )
    return frame, truth


def test_without_odds_the_best_baseline_is_the_benchmark() -> None:
    test, truth = _test_rows(400)
    model = 0.8 * truth + 0.2 / 3
    prior = np.tile([0.45, 0.27, 0.28], (len(test), 1))
    weak = 0.5 * truth + 0.5 / 3
    no_odds = {"market_proportional": np.full((len(test), 3), np.nan)}
    result = evaluate(test, model, no_odds, {"class_prior": prior, "elo": weak})
    report = result.report
    assert report["market"] == {
        "n": 0,
        "available": False,
        "note": "no bookmaker odds for any test match: no market benchmark",
        "method": None,
    }
    assert report["gap"] == {"n": 0}
    assert report["market_methods"] == {}
    assert report["test"]["n"] == 400  # no match is dropped for lacking odds
    y = metrics.outcome_codes(test["result"])
    bench = report["benchmark"]
    assert bench["kind"] == "baseline" and bench["name"] == "elo"
    expected = metrics.log_loss(model, y) - metrics.log_loss(weak, y)
    assert bench["gap"]["log_loss"] == pytest.approx(expected, abs=1e-6)
    assert report["per_league"]["BRA"]["market"]["available"] is False
    assert result.predictions["market_home"].isna().all()
    tags = evaluation_tags({**report, "test_seasons": ["2024", "2024-25"]})
    assert "market_log_loss" not in tags and "gap_log_loss" not in tags
    assert tags["benchmark"] == "elo"
    assert float(tags["benchmark_gap_log_loss"]) == pytest.approx(expected, abs=1e-5)
    assert run_metrics(report)["benchmark_gap_log_loss"] == pytest.approx(expected, abs=1e-5)


def test_with_odds_the_market_stays_the_benchmark_on_priced_matches() -> None:
    test, truth = _test_rows(400, seed=1)
    model = 0.8 * truth + 0.2 / 3
    market = 0.9 * truth + 0.1 / 3
    market[::4] = np.nan  # a quarter of the matches have no prices
    result = evaluate(test, model, {"market_proportional": market}, {"elo": model})
    report = result.report
    assert report["market"]["n"] == report["test"]["n"] == 300
    assert report["benchmark"]["kind"] == "market"
    assert report["benchmark"]["gap"] == report["gap"]
    assert report["excluded"]["no_market_or_forecast"] == 100
    # The register stage's ECE gate allows for the chance level of this many matches.
    priced = ~np.isnan(market).any(axis=1)
    assert report["test"]["ece_chance"] == pytest.approx(
        metrics.ece_by_chance(model[priced]), abs=1e-6
    )
    assert 0.02 < report["test"]["ece_chance"] < 0.1  # 300 matches: far above max_ece 0.02
