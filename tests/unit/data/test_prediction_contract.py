"""The predictions contract: one builder lays the files out, one check guards every reader."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import orjson
import pandas as pd
import pytest
from tests.fixtures.sample import synthetic_finished, synthetic_matches, synthetic_predictions

from matchcast.app.predictions import build_prediction_index
from matchcast.data.prediction_contract import (
    DTYPES,
    FINISHED_COLUMNS,
    PREDICTION_COLUMNS,
    PROVENANCE_COLUMNS,
    forecast_frame,
    market_odds,
    validate_forecasts,
)


@pytest.fixture
def matches() -> pd.DataFrame:
    return synthetic_matches(n_finished=12, n_scheduled=8)


def test_builder_lays_out_every_column_in_contract_order(matches: pd.DataFrame) -> None:
    predictions = synthetic_predictions(matches)
    finished = synthetic_finished(matches)
    assert tuple(predictions.columns) == PREDICTION_COLUMNS
    assert tuple(finished.columns) == FINISHED_COLUMNS
    assert set(DTYPES) == set(FINISHED_COLUMNS)
    validate_forecasts(predictions)
    validate_forecasts(finished, finished=True)
    assert str(predictions["kickoff"].dt.tz) == "UTC"
    assert predictions["p_home"].dtype == np.float64
    assert finished["correct"].dtype == bool


def test_builder_takes_the_most_likely_outcome_and_fair_odds(matches: pd.DataFrame) -> None:
    keys = matches[matches["status"] == "scheduled"].head(2)
    probs = np.array([[0.2, 0.3, 0.5], [0.6, 0.25, 0.15]])
    provenance = dict.fromkeys(PROVENANCE_COLUMNS, "x") | {"computed_at": pd.Timestamp(0)}
    frame = forecast_frame(keys, probs, market_odds(keys, matches), "[]", provenance)
    assert frame["predicted"].tolist() == ["A", "H"]
    assert np.allclose(frame["fair_odds_away"], [2.0, 1 / 0.15])
    assert str(frame["computed_at"].dt.tz) == "UTC"


def test_market_odds_are_all_or_nothing(matches: pd.DataFrame) -> None:
    odds = market_odds(matches, matches)
    unknown = matches["odds_pre_home"].isna().to_numpy()
    assert unknown.any() and (~unknown).any()
    assert odds.loc[unknown].drop(columns="market_odds_source").isna().all().all()
    assert odds.loc[unknown, "market_odds_source"].isna().all()
    assert odds.loc[~unknown, "market_odds_draw"].eq(3.4).all()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns="reasons"), r"lacks columns \['reasons'\]"),
        (lambda f: f.assign(p_home=f["p_home"].astype(str)), "wrong dtype.*p_home"),
        (lambda f: f.assign(kickoff=f["kickoff"].dt.tz_localize(None)), "wrong dtype.*kickoff"),
        (lambda f: f.assign(match_id=f["match_id"].iloc[0]), "duplicate match_id"),
        (lambda f: f.assign(p_home=f["p_home"] + 0.1), "do not sum to 1"),
        (lambda f: f.assign(data_version=["a", "b"] * (len(f) // 2)), "mixes data versions"),
    ],
)
def test_validation_names_what_is_wrong(
    matches: pd.DataFrame, change: Callable[[pd.DataFrame], pd.DataFrame], message: str
) -> None:
    frame = change(synthetic_predictions(matches))
    with pytest.raises(ValueError, match=message):
        validate_forecasts(frame)
    with pytest.raises(ValueError, match=message):  # the API's loader runs the same check
        build_prediction_index(frame, max_age_s=60)


def test_finished_rows_need_a_result(matches: pd.DataFrame) -> None:
    finished = synthetic_finished(matches)
    finished.loc[finished.index[0], "result"] = None
    with pytest.raises(ValueError, match="without status finished or result"):
        validate_forecasts(finished, finished=True)


def test_markets_must_agree_with_the_served_1x2(matches: pd.DataFrame) -> None:
    predictions = synthetic_predictions(matches)
    validate_forecasts(predictions)
    broken = predictions.copy()
    record = orjson.loads(broken.loc[0, "markets"])
    record["1x2"]["home"] += 0.02
    broken.loc[0, "markets"] = orjson.dumps(record).decode()
    with pytest.raises(ValueError, match=r"the grid's 1X2 is 0\.0200 from the served 1X2"):
        validate_forecasts(broken)


def test_markets_must_be_json_with_every_market(matches: pd.DataFrame) -> None:
    predictions = synthetic_predictions(matches)
    not_json = predictions.copy()
    not_json.loc[1, "markets"] = "{over_under: 1"
    with pytest.raises(ValueError, match="is not JSON"):
        validate_forecasts(not_json)
    partial = predictions.copy()
    partial.loc[1, "markets"] = '{"1x2": {"home": 0.4, "draw": 0.3, "away": 0.3}}'
    with pytest.raises(ValueError, match="lack \\['double_chance'"):
        validate_forecasts(partial)


def test_markets_may_be_null(matches: pd.DataFrame) -> None:
    predictions = synthetic_predictions(matches)
    predictions["markets"] = None
    validate_forecasts(predictions)
    validate_forecasts(synthetic_finished(matches), finished=True)


def test_market_aware_forecast_is_whole_or_null_and_the_kind_known(matches: pd.DataFrame) -> None:
    predictions = synthetic_predictions(matches)
    with_odds = predictions["market_odds_home"].notna()
    assert predictions.loc[with_odds, "p_market_aware_home"].notna().all()
    assert predictions.loc[~with_odds, "p_market_aware_home"].isna().all()
    assert set(predictions["forecast_kind"]) == {"football"}
    partial = predictions.copy()
    row = partial.index[with_odds.to_numpy()][0]
    partial.loc[row, "p_market_aware_draw"] = np.nan
    with pytest.raises(ValueError, match="market-aware probabilities are partial"):
        validate_forecasts(partial)
    off = predictions.copy()
    off.loc[row, "p_market_aware_home"] += 0.05
    with pytest.raises(ValueError, match="do not sum to 1 for 1 rows"):
        validate_forecasts(off)
    unknown = predictions.copy()
    unknown.loc[0, "forecast_kind"] = "oracle"
    with pytest.raises(ValueError, match=r"unknown forecast_kind values \['oracle'\]"):
        validate_forecasts(unknown)
    assert synthetic_finished(matches)["p_market_aware_home"].isna().all()
