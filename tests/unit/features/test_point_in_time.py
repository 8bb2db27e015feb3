"""Property: what happens after time T never changes a feature of a match at or before T.

Random small fixture lists (two linked divisions, two seasons, unknown and known kick-off
times, scheduled matches, missing statistics); pick T; then drop, change and add matches
that kick off after T. Every feature of every match kicking off at or before T must stay
exactly equal (NaN equal to NaN).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matchcast.data import columns as c
from matchcast.features.build import build_features
from matchcast.features.params import (
    EloParams,
    EloVariantParams,
    FeatureParams,
    FormParams,
    PriorParams,
)

PARAMS = FeatureParams(
    league_levels={"E0": 1, "E1": 2},
    prior=PriorParams(min_teams=3, active_days=30),
    form=FormParams(windows=[2, 3], venue_windows=[2]),
    use_market_features=True,
)
# The per-league switches: Elo home advantage from the league's own results instead of the
# rating residuals, and each league's best-fitting K.
PER_LEAGUE = PARAMS.model_copy(
    update={
        "elo": EloParams(home_advantage_from="results", home_advantage_prior_matches=2.0),
        "elo_variants": EloVariantParams(league_k_window=5),
    }
)
TEAMS = ["a", "b", "c", "d", "e", "f", "g"]
START = pd.Timestamp("2020-08-01")
HOURS = (12, 15, 18, 21)


@st.composite
def fixture(draw: st.DrawFn, min_day: int = 0, min_hour: int = 12) -> dict[str, Any]:
    day = draw(st.integers(min_day, min_day + 12))
    hour = draw(st.sampled_from([h for h in HOURS if day > min_day or h >= min_hour]))
    home, away = draw(st.lists(st.sampled_from(TEAMS), min_size=2, max_size=2, unique=True))
    scheduled = draw(st.integers(0, 5)) == 0
    goals = (None, None) if scheduled else (draw(st.integers(0, 5)), draw(st.integers(0, 5)))
    has_stats = draw(st.booleans())
    shots = [float(draw(st.integers(0, 20))) if has_stats else np.nan for _ in range(4)]
    return {
        "day": day,
        "hour": hour,
        "home": home,
        "away": away,
        "goals": goals,
        "league": draw(st.sampled_from(["E0", "E1"])),
        "shots": shots,
        "odds": draw(st.sampled_from([(np.nan,) * 3, (2.0, 3.4, 4.0), (1.5, 4.0, 7.0)])),
    }


def frame(
    make_matches: Callable[..., pd.DataFrame], fixtures: list[dict[str, Any]]
) -> pd.DataFrame:
    rows = []
    for f in fixtures:
        date = (START + pd.Timedelta(days=f["day"])).strftime("%Y-%m-%d")
        season = "2020-21" if f["day"] < 8 else "2021-22"
        rows.append((date, f["home"], f["away"], *f["goals"], f["league"], season))
    shots = np.array([f["shots"] for f in fixtures], dtype=float).reshape(len(fixtures), 4)
    stats = {
        "home_shots": shots[:, 0],
        "away_shots": shots[:, 1],
        "home_shots_on_target": np.minimum(shots[:, 0], shots[:, 2]),
        "away_shots_on_target": np.minimum(shots[:, 1], shots[:, 3]),
    }
    m = make_matches(rows, hours=[f["hour"] for f in fixtures], stats=stats)
    odds = np.array([f["odds"] for f in fixtures], dtype=float).reshape(len(fixtures), 3)
    for k, col in enumerate(c.ODDS_PRE):
        m[col] = odds[:, k]
    return m.drop_duplicates(c.MATCH_ID).reset_index(drop=True)


@pytest.mark.parametrize("params", [PARAMS, PER_LEAGUE], ids=["default", "per_league"])
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_future_never_changes_the_past(
    make_matches: Callable[..., pd.DataFrame], data: st.DataObject, params: FeatureParams
) -> None:
    base = data.draw(st.lists(fixture(), min_size=6, max_size=40), label="fixtures")
    anchor = data.draw(st.sampled_from(base), label="T at the kick-off of")
    t_day, t_hour = anchor["day"], anchor["hour"]
    cutoff = (t_day, t_hour)
    past = [f for f in base if (f["day"], f["hour"]) <= cutoff]
    future = [f for f in base if (f["day"], f["hour"]) > cutoff]
    mutated = []
    for f in future:
        action = data.draw(st.sampled_from(["keep", "drop", "result", "stats"]))
        if action == "keep":
            mutated.append(f)
        elif action == "result":
            goals = (data.draw(st.integers(0, 6)), data.draw(st.integers(0, 6)))
            mutated.append({**f, "goals": goals})
        elif action == "stats":
            mutated.append({**f, "shots": [np.nan, 3.0, 9.0, 1.0]})
    first_later = (t_day, t_hour + 1) if t_hour < 21 else (t_day + 1, 0)
    added = data.draw(
        st.lists(fixture(min_day=first_later[0], min_hour=first_later[1]), max_size=6),
        label="added",
    )
    before = build_features(frame(make_matches, past + future), params)
    after = build_features(frame(make_matches, past + mutated + added), params)
    cutoff_ts = (START + pd.Timedelta(days=t_day, hours=t_hour)).tz_localize("UTC")
    keep_ids = set(frame(make_matches, past)[c.MATCH_ID]) if past else set()
    cols = [col for col in before.columns if col.startswith(("f_", "m_"))]
    lhs = before[before[c.MATCH_ID].isin(keep_ids)].set_index(c.MATCH_ID)[cols].sort_index()
    rhs = after[after[c.MATCH_ID].isin(keep_ids)].set_index(c.MATCH_ID)[cols].sort_index()
    kept_kickoffs = before.set_index(c.MATCH_ID).loc[sorted(keep_ids), c.KICKOFF]
    assert (pd.to_datetime(kept_kickoffs) <= cutoff_ts).all()
    pd.testing.assert_frame_equal(lhs, rhs, check_exact=True)


def test_the_property_has_teeth(make_matches: Callable[..., pd.DataFrame]) -> None:
    """A deliberately leaky change (a result at or before T) is detected by the comparison."""
    rows = [
        ("2020-08-01", "a", "b", 1, 0, "E0", "2020-21"),
        ("2020-08-08", "a", "c", 0, 0, "E0", "2020-21"),
    ]
    one = build_features(make_matches(rows), PARAMS)
    rows[0] = ("2020-08-01", "a", "b", 0, 4, "E0", "2020-21")
    two = build_features(make_matches(rows), PARAMS)
    cols = [col for col in one.columns if col.startswith("f_")]
    assert not one[cols].iloc[[1]].equals(two[cols].iloc[[1]])
