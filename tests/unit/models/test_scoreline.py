"""The scoreline model: goal rates from features, rho by likelihood, walk-forward fits."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from matchcast.features.scorelines import score_grid
from matchcast.models.scoreline import (
    ScorelineParams,
    fit_by_season,
    fit_rho,
    grids_by_season,
    load_scoreline,
)


def _matches(n_per_season: int = 1500, seed: int = 0) -> pd.DataFrame:
    """Goals drawn from known rates: log λ = 0.3 + 0.4 x, log μ = 0.1 - 0.3 x."""
    rng = np.random.default_rng(seed)
    rows = []
    for k, season in enumerate(("2020-21", "2021-22", "2022-23")):
        x = rng.normal(size=n_per_season)
        lam, mu = np.exp(0.3 + 0.4 * x), np.exp(0.1 - 0.3 * x)
        start = pd.Timestamp(f"{2020 + k}-08-01")
        rows.append(
            pd.DataFrame(
                {
                    "match_id": [f"L-{season}-{i}" for i in range(n_per_season)],
                    "league": "L",
                    "season": season,
                    "date": start + pd.to_timedelta(np.arange(n_per_season) % 280, unit="D"),
                    "status": "finished",
                    "home_goals": rng.poisson(lam).astype(float),
                    "away_goals": rng.poisson(mu).astype(float),
                    "f_x": x,
                    "f_noise": rng.normal(size=n_per_season),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def test_rates_recover_the_generating_model() -> None:
    frame = _matches()
    models = fit_by_season(frame, ["2022-23"], ScorelineParams(alpha=0.0))
    model = models["2022-23"]
    assert model.trained_through is not None and model.trained_through < "2022-08-01"
    probe = pd.DataFrame({"f_x": [-1.0, 0.0, 1.0], "f_noise": [0.0, 0.0, 0.0]})
    lam, mu = model.rates(probe)
    np.testing.assert_allclose(lam, np.exp(0.3 + 0.4 * np.array([-1, 0, 1])), rtol=0.08)
    np.testing.assert_allclose(mu, np.exp(0.1 - 0.3 * np.array([-1, 0, 1])), rtol=0.08)
    # Independent Poisson goals: rho near 0.
    assert abs(model.rho) < 0.08


def test_fit_rho_finds_a_negative_dependence_when_low_draws_are_inflated() -> None:
    rng = np.random.default_rng(1)
    n = 20000
    lam, mu = np.full(n, 1.3), np.full(n, 1.1)
    grid = score_grid(lam[:1], mu[:1], -0.15)[0]
    cells = rng.choice(grid.size, size=n, p=grid.ravel())
    home, away = np.divmod(cells, grid.shape[1])
    assert fit_rho(home, away, lam, mu) == pytest.approx(-0.15, abs=0.05)


def test_grids_by_season_use_each_season_model_and_sum_to_one(tmp_path: Path) -> None:
    frame = _matches(n_per_season=600)
    models = fit_by_season(frame, ["2021-22", "2022-23"], ScorelineParams())
    first, second = (str(models[s].trained_through) for s in ("2021-22", "2022-23"))
    assert first < "2021-08-01" <= second < "2022-08-01"
    test = frame[frame["season"].isin(["2021-22", "2022-23"])].reset_index(drop=True)
    grids = grids_by_season(models, test)
    assert grids.shape == (len(test), 11, 11)
    np.testing.assert_allclose(grids.sum(axis=(1, 2)), 1.0, atol=1e-12)
    last = test["season"] == "2022-23"
    path = tmp_path / "scoreline.pkl"
    path.write_bytes(pickle.dumps(models["2022-23"]))
    np.testing.assert_allclose(load_scoreline(path).grid(test[last]), grids[last.to_numpy()])
    path.write_bytes(pickle.dumps({"not": "a model"}))
    with pytest.raises(ValueError, match="does not hold a scoreline model"):
        load_scoreline(path)
