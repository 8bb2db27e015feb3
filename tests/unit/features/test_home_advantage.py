"""Each league's home advantage from its own results (``elo.home_advantage_from: results``)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from matchcast.data import columns as c
from matchcast.features.elo import elo_pass, expected_score
from matchcast.features.home_advantage import LeagueHomeEdge, elo_points
from matchcast.features.params import EloParams, PriorParams
from matchcast.features.timeline import build_timeline

NO_QUANTILE = PriorParams(min_teams=1000)
FROM_RESULTS = EloParams(home_advantage_from="results")
# (home win, draw, away win) of two synthetic leagues of equal teams.
NO_EDGE = (0.37, 0.26, 0.37)
STRONG_EDGE = (0.60, 0.25, 0.15)  # mean home score 0.725: 168 Elo points


def league_table(
    make_matches: Callable[..., pd.DataFrame],
    league: str,
    shares: tuple[float, float, float],
    seasons: int,
    seed: int,
) -> pd.DataFrame:
    """Double round robins of 20 equal teams; each result drawn from ``shares``."""
    rng = np.random.default_rng(seed)
    teams = [f"{league.lower()}{k}" for k in range(20)]
    rows = []
    for s in range(seasons):
        label = f"{2010 + s}-{(11 + s) % 100:02d}"
        day = pd.Timestamp(f"{2010 + s}-08-01")
        for round_ in range(38):
            date = (day + pd.Timedelta(days=7 * round_)).strftime("%Y-%m-%d")
            order = rng.permutation(20)
            for k in range(10):
                home, away = teams[order[2 * k]], teams[order[2 * k + 1]]
                outcome = rng.choice(3, p=shares)
                goals = [(1, 0), (1, 1), (0, 1)][outcome]
                rows.append((date, home, away, *goals, league, label))
    return make_matches(rows)


@pytest.fixture(scope="module")
def two_leagues(make_matches: Callable[..., pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(
        [
            league_table(make_matches, "NOH", NO_EDGE, 3, seed=1),
            league_table(make_matches, "STR", STRONG_EDGE, 3, seed=2),
        ],
        ignore_index=True,
    )


def last_home_advantage(matches: pd.DataFrame, params: EloParams) -> dict[str, float]:
    tl = build_timeline(matches, {})
    out = elo_pass(tl, params, NO_QUANTILE)
    leagues = matches[c.LEAGUE].to_numpy()[tl.order]
    hfa = out["f_elo_home_advantage"]
    return {str(lg): float(hfa[np.flatnonzero(leagues == lg)[-1]]) for lg in set(leagues)}


def test_elo_points_invert_the_expectation() -> None:
    assert elo_points(0.5) == 0.0
    assert elo_points(expected_score(60.0)) == pytest.approx(60.0)
    assert elo_points(expected_score(-80.0)) == pytest.approx(-80.0)
    assert np.isfinite(elo_points(1.0))  # clipped, not infinite


def test_the_estimate_is_the_shrunk_mean_of_the_last_window() -> None:
    edge = LeagueHomeEdge(2, prior_points=60.0, prior_matches=2.0, window=3)
    assert edge.points(0) == pytest.approx(60.0)
    for score in (1.0, 1.0, 0.0, 0.5):  # the first result leaves the window
        edge.record(0, score)
    prior = expected_score(60.0)
    assert edge.points(0) == pytest.approx(elo_points((1.5 + 2.0 * prior) / 5.0))
    assert edge.points(1) == pytest.approx(60.0)  # another league keeps the prior


def test_each_league_gets_its_own_home_edge(two_leagues: pd.DataFrame) -> None:
    learned = last_home_advantage(two_leagues, FROM_RESULTS)
    # the global value is 60: a league without a home edge ends near 0 (its shrinkage
    # toward 60 is worth about 10 points), one with a strong edge near its 168
    assert abs(learned["NOH"]) < 30.0
    assert 120.0 < learned["STR"] < 200.0


def test_results_find_the_edge_sooner_than_the_residuals(two_leagues: pd.DataFrame) -> None:
    """Why the switch exists: after three seasons the residual learner is still far off."""
    truth = {"NOH": 0.0, "STR": elo_points(0.725)}
    results = last_home_advantage(two_leagues, FROM_RESULTS)
    residuals = last_home_advantage(two_leagues, EloParams())
    for league, value in truth.items():
        assert abs(results[league] - value) < abs(residuals[league] - value)


def test_later_results_never_change_an_earlier_home_advantage(
    two_leagues: pd.DataFrame,
) -> None:
    cut = pd.Timestamp("2011-10-01")
    changed = two_leagues.copy()
    later = (changed[c.DATE] >= cut).to_numpy()
    changed.loc[later, c.HOME_GOALS] = 0  # every later match an away win
    changed.loc[later, c.AWAY_GOALS] = 3
    changed.loc[later, c.RESULT] = "A"
    one = elo_pass(build_timeline(two_leagues, {}), FROM_RESULTS, NO_QUANTILE)
    two = elo_pass(build_timeline(changed, {}), FROM_RESULTS, NO_QUANTILE)
    tl = build_timeline(two_leagues, {})
    upto = two_leagues[c.DATE].to_numpy()[tl.order] <= np.datetime64(cut)
    for name in ("f_elo_home_advantage", "f_elo_home", "f_elo_away"):
        assert np.array_equal(one[name][upto], two[name][upto])
        assert not np.array_equal(one[name][~upto], two[name][~upto])
