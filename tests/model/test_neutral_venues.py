"""Neutral venues: a synthetic league where neutral-ground matches have no home edge.

The league is written in the generic results format with a ``neutral`` column, read and
validated by the real reader and contract, and rated by the real feature builder. Goals
come from a Poisson model whose home advantage applies only to matches at the home side's
ground. On neutral ground every rating (Elo and its variants, pi-ratings, goal strengths),
the league context, the 1X2 model and the Dixon–Coles comparator must then see no home
edge, while they keep seeing it at home grounds.
"""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest

from matchcast.data import columns as C
from matchcast.data.sources.generic import parse_generic_file
from matchcast.data.validation import validate_matches
from matchcast.features.build import build_features
from matchcast.features.params import FeatureParams
from matchcast.models.dixon_coles import DixonColes
from matchcast.models.estimator import ModelParams, OutcomeModel

N_TEAMS, SEASONS, NEUTRAL_SHARE = 20, 8, 0.4
HOME_EDGE = 0.35  # log-goals advantage of the side at its own ground
FIRST_YEAR = 2015


def _league_csv(seed: int = 7) -> bytes:
    """A calendar-year league, double round robin per season, 40 % on neutral ground."""
    rng = np.random.default_rng(seed)
    attack = rng.normal(0.0, 0.25, N_TEAMS)
    defence = rng.normal(0.0, 0.25, N_TEAMS)
    teams = [f"Team {chr(65 + i)}" for i in range(N_TEAMS)]
    lines = ["date,league,season,home_team,away_team,home_goals,away_goals,neutral"]
    for s in range(SEASONS):
        pairs = [(h, a) for h in range(N_TEAMS) for a in range(N_TEAMS) if h != a]
        order = rng.permutation(len(pairs))
        start = dt.date(FIRST_YEAR + s, 3, 1)
        for k, p in enumerate(order):
            h, a = pairs[p]
            neutral = bool(rng.random() < NEUTRAL_SHARE)
            edge = 0.0 if neutral else HOME_EDGE
            lam = np.exp(0.2 + edge + attack[h] - defence[a])
            mu = np.exp(0.2 + attack[a] - defence[h])
            day = start + dt.timedelta(days=k // 10)  # ten matches a day
            lines.append(
                f"{day.isoformat()},SYN,{FIRST_YEAR + s},{teams[h]},{teams[a]},"
                f"{rng.poisson(lam)},{rng.poisson(mu)},{'yes' if neutral else ''}"
            )
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def league() -> pd.DataFrame:
    raw, _ = parse_generic_file(_league_csv(), "synthetic.csv")
    empty = pd.DataFrame(columns=["source_file", "source_line", "reason"])
    result = validate_matches(raw, empty, dt.date(FIRST_YEAR + SEASONS, 1, 1), 0.0)
    return result.matches


@pytest.fixture(scope="module")
def features(league: pd.DataFrame) -> pd.DataFrame:
    return build_features(league, FeatureParams())


def _edge(frame: pd.DataFrame, home: str, away: str) -> tuple[float, float]:
    """Mean home-minus-away value on neutral ground and at home grounds (after season 1)."""
    later = frame[C.SEASON] != str(FIRST_YEAR)
    diff = frame[home] - frame[away]
    neutral = frame[C.NEUTRAL] if C.NEUTRAL in frame else frame["f_neutral"] == 1.0
    return float(diff[later & neutral].mean()), float(diff[later & ~neutral].mean())


def test_the_generic_reader_keeps_the_neutral_flag(league: pd.DataFrame) -> None:
    share = float(league[C.NEUTRAL].mean())
    assert league[C.NEUTRAL].dtype == bool
    assert 0.35 < share < 0.45


@pytest.mark.parametrize(
    ("home", "away"),
    [
        ("f_elo_p_home", "f_elo_p_away"),
        ("f_dc_p_home", "f_dc_p_away"),
        ("f_dc_exp_home", "f_dc_exp_away"),
        ("f_league_home_win_rate", "f_league_away_win_rate"),
        ("f_league_home_goals", "f_league_away_goals"),
    ],
)
def test_ratings_give_no_home_edge_on_neutral_ground(
    features: pd.DataFrame, home: str, away: str
) -> None:
    neutral, at_home = _edge(features, home, away)
    # Who is listed first on neutral ground is a coin toss: only a home edge moves the mean.
    assert abs(neutral) < 0.25 * at_home
    assert at_home > 0.05


def test_elo_and_pi_ratings_apply_no_advantage_on_neutral_ground(features: pd.DataFrame) -> None:
    neutral = features["f_neutral"] == 1.0
    assert (features.loc[neutral, "f_elo_home_advantage"] == 0.0).all()
    assert (features.loc[~neutral, "f_elo_home_advantage"] > 0.0).all()
    # The league's learned advantage comes from home-ground matches only: near the truth.
    learned = features.loc[~neutral, "f_elo_home_advantage"].iloc[-1]
    assert learned > 40.0
    gd_neutral, gd_home = _edge(features.assign(zero=0.0), "f_pi_expected_gd", "zero")
    assert abs(gd_neutral) < 0.25 * gd_home


def test_the_model_sees_no_home_edge_on_neutral_ground(features: pd.DataFrame) -> None:
    train = features[features[C.SEASON] != str(FIRST_YEAR + SEASONS - 1)]
    test = features[features[C.SEASON] == str(FIRST_YEAR + SEASONS - 1)]
    model = OutcomeModel(ModelParams(kind="logistic", logistic_c=0.05)).fit(train)
    proba = model.predict_proba(test)
    frame = test.assign(p_home=proba[:, 0], p_away=proba[:, 2])
    neutral, at_home = _edge(frame, "p_home", "p_away")
    # The model learns the neutral-ground intercept from the sampled training results (home
    # wins minus away wins there: +0.05 by chance), so the bound is looser than for ratings.
    assert abs(neutral) < 0.5 * at_home
    assert at_home > 0.1


def test_dixon_coles_fits_the_home_edge_from_home_grounds_only(league: pd.DataFrame) -> None:
    neutral = league[C.NEUTRAL].to_numpy()
    args = (
        league[C.HOME_ID],
        league[C.AWAY_ID],
        league[C.HOME_GOALS].astype(float),
        league[C.AWAY_GOALS].astype(float),
    )
    model = DixonColes().fit(*args, neutral=neutral)
    assert model.params_ is not None
    assert abs(model.params_.home_advantage - HOME_EDGE) < 0.08
    teams = league[C.HOME_ID].unique()[:2]
    there = model.predict_proba([teams[0]], [teams[1]], neutral=[True])
    back = model.predict_proba([teams[1]], [teams[0]], neutral=[True])
    np.testing.assert_allclose(there[0], back[0][::-1], atol=1e-9)
    at_home = model.predict_proba([teams[0]], [teams[1]])
    assert at_home[0, 0] > there[0, 0]


def test_a_neutral_cell_that_is_not_yes_or_no_quarantines_its_row() -> None:
    text = (
        "date,league,home_team,away_team,home_goals,away_goals,neutral\n"
        "2024-03-01,SYN,A,B,1,0,\n"
        "2024-03-02,SYN,C,D,2,2,maybe\n"
    )
    raw, _ = parse_generic_file(io.BytesIO(text.encode()).getvalue(), "odd.csv")
    empty = pd.DataFrame(columns=["source_file", "source_line", "reason"])
    result = validate_matches(raw, empty, dt.date(2025, 1, 1), 0.9)
    assert result.matches[C.HOME_ID].tolist() == ["a"]
    assert result.quarantine["reason"].tolist() == ["neutral: neutral is not a yes/no value"]
