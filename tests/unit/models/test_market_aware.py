"""The market-aware 1X2 model: the price is its prior, the football residual must be earned."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matchcast.models import metrics as M
from matchcast.models.market_aware import (
    MarketAwareModel,
    MarketAwareParams,
    pre_match_probabilities,
)
from matchcast.models.market_aware_run import score_forecasters


def synthetic(n: int, informative: float, seed: int) -> pd.DataFrame:
    """Matches whose result depends on the price and on ``f_form``, which the price ignores."""
    rng = np.random.default_rng(seed)
    strength = np.clip(rng.normal(scale=0.6, size=n), -1.5, 1.5)
    form = rng.normal(size=n)
    price_logits = np.column_stack([0.3 + strength, np.zeros(n), -strength])
    price = np.exp(price_logits) / np.exp(price_logits).sum(axis=1, keepdims=True)
    true_logits = price_logits + informative * np.column_stack([form, np.zeros(n), -form])
    true = np.exp(true_logits) / np.exp(true_logits).sum(axis=1, keepdims=True)
    result = np.array(["H", "D", "A"])[[rng.choice(3, p=p) for p in true]]
    odds = 1.0 / (price * 1.05)  # a 5 % margin, removed proportionally by the model
    frame = pd.DataFrame(
        {
            "date": pd.Timestamp("2020-01-01") + pd.to_timedelta(np.arange(n), unit="D"),
            "result": result,
            "f_form": form,
            "f_noise": rng.normal(size=n),
            "odds_pre_home": odds[:, 0],
            "odds_pre_draw": odds[:, 1],
            "odds_pre_away": odds[:, 2],
        }
    )
    frame.loc[::50, "f_form"] = np.nan  # missing values are imputed, not fatal
    return frame


def test_with_a_strong_penalty_the_forecast_is_the_de_margined_price() -> None:
    train = synthetic(3000, informative=0.0, seed=1)
    model = MarketAwareModel(MarketAwareParams(alpha=1e6)).fit(train)
    test = synthetic(200, informative=0.0, seed=2)
    assert model.predict(test) == pytest.approx(pre_match_probabilities(test), abs=0.02)


def test_it_learns_what_the_price_misses_and_beats_it_on_later_matches() -> None:
    train = synthetic(6000, informative=0.6, seed=3)
    test = synthetic(3000, informative=0.6, seed=4)
    model = MarketAwareModel(MarketAwareParams(alpha=0.01)).fit(train)
    y = M.outcome_codes(test["result"])
    aware = M.log_loss(model.predict(test), y)
    price = M.log_loss(pre_match_probabilities(test), y)
    assert aware < price - 0.02
    form = model.feature_columns.index("f_form")
    assert model.weights[form, 0] > 0 > model.weights[form, 2]  # form favours the home side


def test_a_match_without_a_usable_pre_match_price_gets_no_forecast() -> None:
    train = synthetic(1000, informative=0.3, seed=5)
    model = MarketAwareModel(MarketAwareParams()).fit(train)
    test = synthetic(4, informative=0.3, seed=6)
    test.loc[1, "odds_pre_draw"] = np.nan
    test.loc[2, "odds_pre_home"] = 1.0  # not a price
    p = model.predict(test)
    assert np.isnan(p[[1, 2]]).all()
    assert p[[0, 3]].sum(axis=1) == pytest.approx([1.0, 1.0])


def test_fitting_without_any_priced_result_is_a_clear_error() -> None:
    train = synthetic(50, informative=0.0, seed=7).assign(odds_pre_home=np.nan)
    with pytest.raises(ValueError, match="no finished match with a pre-match price"):
        MarketAwareModel(MarketAwareParams()).fit(train)


def test_forecasters_are_scored_with_gaps_to_both_prices() -> None:
    y = np.array([0, 1, 2, 0])
    sure = np.array([[0.7, 0.2, 0.1], [0.2, 0.6, 0.2], [0.1, 0.2, 0.7], [0.7, 0.2, 0.1]])
    flat = np.full((4, 3), 1 / 3)
    block = score_forecasters({"model": sure, "pre_match": flat, "closing": flat}, y)
    entry = block["forecasters"]["model"]
    assert block["n"] == 4
    assert entry["log_loss"] == pytest.approx(M.log_loss(sure, y), abs=1e-5)
    gap = M.log_loss(sure, y) - np.log(3)
    assert entry["gap_to_closing"]["log_loss"] == pytest.approx(gap, abs=1e-5)
    assert entry["gap_to_pre_match"]["log_loss"] == pytest.approx(gap, abs=1e-5)
    assert "gap_to_closing" not in block["forecasters"]["closing"]


def test_without_any_pre_match_price_the_model_forecasts_nothing() -> None:
    from matchcast.models.market_aware import fit_market_aware

    results_only = synthetic(200, informative=0.0, seed=8).assign(
        odds_pre_home=np.nan, season="2024-25"
    )
    model = fit_market_aware(results_only, MarketAwareParams())
    assert not model.fitted and model.describe()["n_train"] == 0
    assert np.isnan(model.predict(synthetic(5, informative=0.0, seed=9))).all()
