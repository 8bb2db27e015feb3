"""Dixon–Coles model: parameter recovery, the ρ constraint, and the walk-forward driver."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize

from matchcast.data import columns as col
from matchcast.models import dixon_coles as dc
from matchcast.models import dixon_coles_walk_forward as wf

N_TEAMS = 16


def simulate(
    rng: np.random.Generator, rounds: int, intercept: float = 0.1, home: float = 0.3
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    attack = rng.normal(0.0, 0.3, N_TEAMS)
    defence = rng.normal(0.0, 0.3, N_TEAMS)
    attack -= attack.mean()
    defence -= defence.mean()
    pairs = np.array([(i, j) for i in range(N_TEAMS) for j in range(N_TEAMS) if i != j])
    pairs = np.tile(pairs, (rounds, 1))
    lam = np.exp(intercept + home + attack[pairs[:, 0]] - defence[pairs[:, 1]])
    mu = np.exp(intercept + attack[pairs[:, 1]] - defence[pairs[:, 0]])
    return pairs[:, 0], pairs[:, 1], rng.poisson(lam), rng.poisson(mu), attack, defence


def names(index: np.ndarray) -> np.ndarray:
    return np.array([f"team-{i:02d}" for i in index])


def test_recovers_known_ratings_from_poisson_data() -> None:
    rng = np.random.default_rng(11)
    home, away, hg, ag, attack, defence = simulate(rng, rounds=4)
    model = dc.DixonColes().fit(names(home), names(away), hg, ag)
    params = model.params_
    assert params is not None
    order = np.argsort(params.teams)  # teams are sorted names, i.e. index order
    assert np.abs(params.attack[order] - attack).max() < 0.3
    assert np.abs(params.defence[order] - defence).max() < 0.3
    assert np.corrcoef(params.attack[order], attack)[0, 1] > 0.9
    assert 0.2 < params.home_advantage < 0.4
    assert 0.0 < params.intercept < 0.2
    assert -0.12 < params.rho < 0.12  # data are independent Poisson
    assert abs(params.attack.sum()) < 1e-9 and abs(params.defence.sum()) < 1e-9


def test_analytic_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(5)
    home, away, hg, ag, _, _ = simulate(rng, rounds=1)
    x, y = hg.astype(float), ag.astype(float)
    data = dc._Data(
        home=home, away=away, x=x, y=y, w=rng.uniform(0.3, 1.0, x.size), n_teams=N_TEAMS,
        m00=(x == 0) & (y == 0), m01=(x == 0) & (y == 1),
        m10=(x == 1) & (y == 0), m11=(x == 1) & (y == 1),
        group=np.arange(N_TEAMS) % 3,
        venue=np.where(np.arange(x.size) % 4 == 0, 0.0, 1.0),  # every 4th on neutral ground
    )  # fmt: skip
    theta = dc._cold_start(data) + rng.normal(0.0, 0.05, 3 + 2 * (N_TEAMS - 1))
    theta[2] = -0.1
    _, grad = dc._objective(theta, data, 2.0)  # ridge large enough to matter
    numeric = optimize.approx_fprime(theta, lambda t: dc._objective(t, data, 2.0)[0], 1e-7)
    assert np.allclose(grad, numeric, atol=1e-5)


def test_ridge_shrinks_towards_the_league_of_the_latest_match() -> None:
    rng = np.random.default_rng(8)
    home, away, hg, ag, _, _ = simulate(rng, rounds=1)
    leagues = np.where((home < 8) & (away < 8), "A", "B")
    leagues[-1] = "A"  # the last match decides the group of its two teams
    inverse = np.concatenate([home, away])
    groups = dc._team_groups(inverse, home.size, N_TEAMS, leagues)
    assert groups[home[-1]] == 0 and groups[away[-1]] == 0
    assert (groups[[t for t in range(N_TEAMS) if t not in (home[-1], away[-1])]] == 1).all()
    strong = dc.DixonColes(ridge=1e6).fit(names(home), names(away), hg, ag, leagues=leagues)
    assert strong.params_ is not None
    attack = strong.params_.attack
    # An overwhelming ridge leaves only the league means: equal ratings within each group.
    for g in (0, 1):
        assert np.ptp(attack[groups == g]) < 1e-3


def test_rho_stays_admissible_when_data_push_it_hard() -> None:
    """Many 0-0 / 1-1 and almost no 1-0 / 0-1 results push ρ far negative."""
    rng = np.random.default_rng(3)
    home, away, hg, ag, _, _ = simulate(rng, rounds=2, intercept=0.6)
    low = (hg + ag <= 1) | ((hg == 1) & (ag == 1))
    hg = np.where(low, np.where(rng.random(hg.size) < 0.5, 0, 1), hg)
    ag = np.where(low, hg, ag)  # every low score becomes 0-0 or 1-1
    model = dc.DixonColes().fit(names(home), names(away), hg, ag)
    params = model.params_
    assert params is not None
    lam, mu = model.expected_goals(names(home), names(away))
    lower, upper = dc.admissible_rho(lam, mu)
    assert lower <= params.rho <= upper
    assert params.rho < lower * 0.98  # the constraint, not the data, stops ρ
    # Every tau of every training match is positive.
    assert (1 - lam * mu * params.rho > 0).all() and (1 + lam * params.rho > 0).all()
    assert (1 + mu * params.rho > 0).all() and params.rho < 1
    teams = names(np.arange(N_TEAMS))
    grid_home, grid_away = np.meshgrid(teams, teams)
    probs = model.predict_proba(grid_home.ravel(), grid_away.ravel())
    assert (probs >= 0).all()
    assert np.allclose(probs.sum(axis=1), 1.0)


def test_pooled_leagues() -> None:
    assert wf.pooled_leagues("E0") == ("E0", "E1")
    assert wf.pooled_leagues("E2") == ("E1", "E2", "E3")
    assert wf.pooled_leagues("EC") == ("E3", "EC")
    assert wf.pooled_leagues("SC3") == ("SC2", "SC3")
    assert wf.pooled_leagues("ARG") == ("ARG",)
    assert wf.pooled_leagues("E1", pool="league") == ("E1",)


def season_frame(rng: np.random.Generator) -> pd.DataFrame:
    """Two linked divisions, one round per week over ~80 weeks."""
    rows = []
    start = pd.Timestamp("2023-08-05")
    for league, offset in (("E0", 0), ("E1", 8)):
        teams = [f"{league.lower()}-team-{i}" for i in range(8)]
        strength = rng.normal(0, 0.3, 8) - (0.3 if league == "E1" else 0.0)
        for week in range(80):
            order = rng.permutation(8)
            for k in range(4):
                h, a = order[2 * k], order[2 * k + 1]
                date = start + pd.Timedelta(days=7 * week + (k % 2))
                hg = rng.poisson(np.exp(0.35 + strength[h] - strength[a]))
                ag = rng.poisson(np.exp(0.05 + strength[a] - strength[h]))
                rows.append((league, date, teams[h], teams[a], hg, ag))
        del offset
    frame = pd.DataFrame(rows, columns=[col.LEAGUE, col.DATE, "home", "away", "hg", "ag"])
    return pd.DataFrame(
        {
            col.LEAGUE: frame[col.LEAGUE],
            col.DATE: frame[col.DATE],
            col.HOME_ID: frame["home"],
            col.AWAY_ID: frame["away"],
            col.HOME_GOALS: frame["hg"].astype("Int64"),
            col.AWAY_GOALS: frame["ag"].astype("Int64"),
            col.STATUS: col.FINISHED,
        }
    )


def test_walk_forward_uses_no_future_results() -> None:
    rng = np.random.default_rng(21)
    matches = season_frame(rng)
    test_mask = (matches[col.DATE] >= pd.Timestamp("2024-12-01")).to_numpy()
    base = wf.dixon_coles_walk_forward(matches, test_mask, refit_every_days=7, window_days=365)
    assert base.shape == (int(test_mask.sum()), 3)
    assert np.isfinite(base).all() and (base >= 0).all()
    assert np.allclose(base.sum(axis=1), 1.0)

    cutoff = pd.Timestamp("2024-12-29")
    changed = matches.copy()
    after = (changed[col.DATE] >= cutoff).to_numpy()
    changed.loc[after, col.HOME_GOALS] = pd.array(rng.poisson(4.0, after.sum()), dtype="Int64")
    changed.loc[after, col.AWAY_GOALS] = 0
    moved = wf.dixon_coles_walk_forward(changed, test_mask, refit_every_days=7, window_days=365)

    test_dates = matches.loc[test_mask, col.DATE].to_numpy()
    not_after = test_dates <= np.datetime64(cutoff)
    assert not_after.sum() > 10
    np.testing.assert_array_equal(base[not_after], moved[not_after])
    # Later forecasts do see the altered results (the check above is not vacuous).
    assert not np.allclose(base[~not_after], moved[~not_after])


def test_walk_forward_rates_unknown_teams_and_short_history() -> None:
    rng = np.random.default_rng(2)
    matches = season_frame(rng)
    newcomer = matches.index[-1]
    matches.loc[newcomer, col.HOME_ID] = "brand-new-team"
    mask = np.zeros(len(matches), dtype=bool)
    mask[[0, newcomer]] = True  # first match has no history at all
    probs = wf.dixon_coles_walk_forward(matches, mask, refit_every_days=1)
    assert np.isfinite(probs).all()
    assert np.allclose(probs.sum(axis=1), 1.0)
    assert np.allclose(probs[0], 1.0 / 3.0)  # no training data: uniform
