"""Live quality on real archive matches: honesty rule, scores, groups, empty log."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matchcast.data import columns as C
from matchcast.data.ingest import ingest
from matchcast.data.params import DataParams, SeasonRange
from matchcast.data.sources.fetch import Fetcher
from matchcast.data.validation import validate_matches
from matchcast.models import metrics
from matchcast.monitoring.live_quality import (
    LOG_COLUMNS,
    late_only,
    live_quality_report,
    scored_predictions,
)


@pytest.fixture(scope="module")
def matches(shared_archive: Path) -> pd.DataFrame:
    """E0 2024-25 from the real archive, every match finished (as_of after the season)."""
    params = DataParams(
        football_data=str(shared_archive),
        leagues=["E0"],
        seasons=SeasonRange(first="2024-25", last="2024-25"),
        as_of=dt.date(2025, 7, 1),
    )
    with tempfile.TemporaryDirectory() as cache:
        result = ingest(params, Fetcher(Path(cache)))
    table = validate_matches(result.matches, result.issues, params.as_of, 0.005).matches
    assert (table[C.STATUS] == C.FINISHED).all() and len(table) == 380
    return table


def forecasts(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).dirichlet([4.0, 2.5, 3.0], size=n)


def log_entries(
    matches: pd.DataFrame, offsets_days: list[int], probs: np.ndarray, start_id: int = 1
) -> pd.DataFrame:
    """One logged forecast per match, its information cut-off ``offset`` days from kick-off."""
    dates = pd.to_datetime(matches[C.DATE]).reset_index(drop=True)
    cut = (dates + pd.to_timedelta(offsets_days, unit="D")).dt.tz_localize("UTC")
    return pd.DataFrame(
        {
            "id": np.arange(start_id, start_id + len(matches)),
            C.MATCH_ID: matches[C.MATCH_ID].to_numpy(),
            "model_version": "1",
            "p_home": probs[:, 0],
            "p_draw": probs[:, 1],
            "p_away": probs[:, 2],
            "features_as_of": cut,
            "computed_at": pd.Timestamp("2026-01-01", tz="UTC"),
        }
    )


def by_hand(probs: np.ndarray, results: pd.Series) -> dict[str, float]:
    y = np.array(["HDA".index(r) for r in results])
    observed = probs[np.arange(len(y)), y]
    cum = np.cumsum(probs, axis=1)[:, :2]
    cum_obs = np.cumsum(np.eye(3)[y], axis=1)[:, :2]
    return {
        "log_loss": float(-np.log(observed).mean()),
        "rps": float(((cum - cum_obs) ** 2).sum(axis=1).mean() / 2),
        "hit_rate": float((probs.argmax(axis=1) == y).mean()),
    }


def fair_market(rows: pd.DataFrame) -> np.ndarray:
    close = rows[list(C.ODDS_CLOSE)].to_numpy(float)
    pre = rows[list(C.ODDS_PRE)].to_numpy(float)
    odds = np.where(np.isfinite(close).all(axis=1, keepdims=True), close, pre)
    implied = 1.0 / odds
    return np.asarray(implied / implied.sum(axis=1, keepdims=True))


def test_latest_honest_forecast_is_scored_and_late_ones_are_ignored(
    matches: pd.DataFrame,
) -> None:
    sample = matches.sort_values(C.DATE).iloc[:120].reset_index(drop=True)
    early = forecasts(len(sample), 1)
    later = forecasts(len(sample), 2)
    y = sample[C.RESULT]
    # A forecast made on the match day that "knows" the result: it must never be used.
    cheat = np.full((len(sample), 3), 0.01)
    cheat[np.arange(len(sample)), [("HDA".index(r)) for r in y]] = 0.98
    log = pd.concat(
        [
            log_entries(sample, [-7] * len(sample), early, start_id=1),
            log_entries(sample.iloc[:60], [-1] * 60, later[:60], start_id=1000),
            log_entries(sample, [0] * len(sample), cheat, start_id=2000),
            # a match with only a late forecast: counted as excluded, never scored
            log_entries(matches.iloc[[-1]], [1], forecasts(1, 3), start_id=3000),
        ],
        ignore_index=True,
    )
    scored = scored_predictions(log, matches)
    assert len(scored) == len(sample)
    expected = np.vstack([later[:60], early[60:]])
    chosen = scored.set_index(C.MATCH_ID).loc[sample[C.MATCH_ID], ["p_home", "p_draw", "p_away"]]
    np.testing.assert_allclose(chosen.to_numpy(), expected)
    assert late_only(log, matches, scored) == 1

    report = live_quality_report(scored, as_of="2025-07-01", excluded_late=1)
    overall = report["overall"]
    hand = by_hand(expected, y)
    assert report["n"] == overall["n"] == len(sample)
    for key in ("log_loss", "rps", "hit_rate"):
        assert overall["model"][key] == pytest.approx(hand[key], abs=1e-6)
    assert overall["model"]["ece"] == pytest.approx(
        metrics.ece(expected, metrics.outcome_codes(y)), abs=1e-6
    )
    market = fair_market(sample)
    assert overall["n_market"] == int(np.isfinite(market).all(axis=1).sum()) == len(sample)
    market_hand = by_hand(market, y)
    assert overall["market"]["log_loss"] == pytest.approx(market_hand["log_loss"], abs=1e-6)
    assert overall["gap_log_loss"] == pytest.approx(
        hand["log_loss"] - market_hand["log_loss"], abs=2e-6
    )
    assert overall["gap_rps"] == pytest.approx(hand["rps"] - market_hand["rps"], abs=2e-6)
    assert report["excluded_after_kickoff"] == 1


def test_groups_by_league_iso_week_and_month_partition_the_scored_matches(
    matches: pd.DataFrame,
) -> None:
    log = log_entries(matches, [-2] * len(matches), forecasts(len(matches), 5))
    report = live_quality_report(scored_predictions(log, matches), as_of="2025-07-01")
    assert [g["league"] for g in report["by_league"]] == ["E0"]
    assert report["by_league"][0]["n"] == report["n"] == 380
    weeks = report["by_week"]
    assert sum(w["n"] for w in weeks) == 380
    assert [w["week_start"] for w in weeks] == sorted(w["week_start"] for w in weeks)
    for week in weeks:
        start = dt.date.fromisoformat(week["week_start"])
        year, number, weekday = start.isocalendar()
        assert weekday == 1 and week["week"] == f"{year}-W{number:02d}"
    dates = pd.to_datetime(matches[C.DATE])
    assert len(weeks) == len({d.isocalendar()[:2] for d in dates})
    months = report["by_month"]
    assert [m["month"] for m in months] == sorted(dates.dt.strftime("%Y-%m").unique())
    assert sum(m["n"] for m in months) == 380
    first = months[0]
    in_month = matches[dates.dt.strftime("%Y-%m") == first["month"]]
    assert first["n"] == len(in_month)


def test_an_empty_log_gives_a_valid_report_with_no_matches(matches: pd.DataFrame) -> None:
    empty = pd.DataFrame({name: pd.Series(dtype=object) for name in LOG_COLUMNS})
    empty["features_as_of"] = pd.Series(dtype="datetime64[ns, UTC]")
    empty["computed_at"] = pd.Series(dtype="datetime64[ns, UTC]")
    report = live_quality_report(scored_predictions(empty, matches), as_of="2025-07-01")
    assert report["n"] == 0
    assert report["overall"] == {
        "n": 0,
        "n_market": 0,
        "model": None,
        "market": None,
        "gap_log_loss": None,
        "gap_rps": None,
    }
    assert report["by_league"] == report["by_week"] == report["by_month"] == []


def test_a_log_without_its_columns_is_refused(matches: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="prediction log lacks columns"):
        scored_predictions(pd.DataFrame({"match_id": ["x"]}), matches)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(offsets=st.lists(st.integers(-10, 5), min_size=1, max_size=60), seed=st.integers(0, 99))
def test_no_scored_forecast_was_made_on_or_after_the_match_date(
    matches: pd.DataFrame, offsets: list[int], seed: int
) -> None:
    # Several forecasts per match, information cut-offs from 10 days before to 5 after.
    rows = matches.iloc[np.random.default_rng(seed).integers(0, 30, len(offsets))]
    log = log_entries(rows, offsets, forecasts(len(offsets), seed))
    scored = scored_predictions(log, matches)
    cut_day = scored["features_as_of"].dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()
    assert (cut_day < scored[C.DATE]).all()
    frame = log.assign(offset=offsets, date=pd.to_datetime(rows[C.DATE]).to_numpy())
    honest = frame[frame["offset"] < 0]
    assert set(scored[C.MATCH_ID]) == set(honest[C.MATCH_ID])
    best = honest.sort_values(["offset", "id"]).groupby(C.MATCH_ID).tail(1).set_index(C.MATCH_ID)
    got = scored.set_index(C.MATCH_ID)["p_home"]
    np.testing.assert_allclose(got.loc[best.index].to_numpy(), best["p_home"].to_numpy())
