"""Match context: rest days, head-to-head, league base rates, experience, level changes.

Every value uses only rows of strictly earlier dates (see :mod:`matchcast.features.windows`).
Fixture facts (that a match took place, in which league) are known in advance; results
enter only after their date.
"""

from __future__ import annotations

import numpy as np

from matchcast.features.params import ContextParams
from matchcast.features.timeline import FloatArray, IntArray, Timeline
from matchcast.features.windows import KeyedRows, gather

# Long-run shares and goal means of European leagues: the prior of a league with no history.
LEAGUE_PRIOR = {
    "home_win": 0.45,
    "draw": 0.27,
    "away_win": 0.28,
    "home_goals": 1.5,
    "away_goals": 1.15,
}
EXPERIENCE_CAP = 200


def league_rates(tl: Timeline, params: ContextParams) -> dict[str, FloatArray]:
    """Home-win, draw and away-win rates and goal means of the league's recent matches.

    Args:
        tl: Chronological match arrays.
        params: Window length and prior weight.

    Returns:
        ``f_league_{home_win,draw,away_win}_rate`` and ``f_league_{home,away}_goals``, each
        shrunk toward :data:`LEAGUE_PRIOR` by ``league_prior_matches`` pseudo-matches; on
        neutral ground the home and away values are both their mean.
    """
    idx = np.flatnonzero(tl.finished)
    rows = KeyedRows.build(tl.league[idx], tl.day[idx], idx.astype(np.int64))
    hit = rows.last_before(tl.league, tl.day)
    hg = tl.home_goals[idx].astype(np.int64)
    ag = tl.away_goals[idx].astype(np.int64)
    values: dict[str, IntArray] = {
        "home_win": (hg > ag).astype(np.int64),
        "draw": (hg == ag).astype(np.int64),
        "away_win": (hg < ag).astype(np.int64),
        "home_goals": hg,
        "away_goals": ag,
    }
    w, n0 = params.league_window, params.league_prior_matches
    count = np.nan_to_num(gather(rows.window_len(w), hit))
    out: dict[str, FloatArray] = {}
    for name, v in values.items():
        total = np.nan_to_num(gather(rows.window_sum(v, w), hit))
        rate = (total + n0 * LEAGUE_PRIOR[name]) / np.maximum(count + n0, 1e-9)
        rate[(count + n0) == 0] = LEAGUE_PRIOR[name]
        suffix = "rate" if name in ("home_win", "draw", "away_win") else ""
        out[f"f_league_{name}_{suffix}".rstrip("_")] = rate
    # On neutral ground the league's home edge does not apply: both sides get the mean.
    for pair in (("home_win_rate", "away_win_rate"), ("home_goals", "away_goals")):
        home_key, away_key = (f"f_league_{name}" for name in pair)
        mean = (out[home_key] + out[away_key]) / 2.0
        out[home_key] = np.where(tl.neutral, mean, out[home_key])
        out[away_key] = np.where(tl.neutral, mean, out[away_key])
    return out


def head_to_head(tl: Timeline, params: ContextParams) -> dict[str, FloatArray]:
    """The last meetings of the two teams (either venue), from the home side's view.

    Args:
        tl: Chronological match arrays.
        params: Number of meetings.

    Returns:
        ``f_h2h_meetings`` (0..N), ``f_h2h_goal_diff`` and ``f_h2h_points`` (per meeting,
        for the home team; NaN without a meeting).
    """
    lo = np.minimum(tl.home, tl.away)
    hi = np.maximum(tl.home, tl.away)
    pair = lo * (tl.n_teams + 1) + hi
    idx = np.flatnonzero(tl.finished)
    rows = KeyedRows.build(pair[idx], tl.day[idx], idx.astype(np.int64))
    hit = rows.last_before(pair, tl.day)
    hg = tl.home_goals[idx].astype(np.int64)
    ag = tl.away_goals[idx].astype(np.int64)
    home_is_lo = tl.home[idx] == lo[idx]
    gd_lo = np.where(home_is_lo, hg - ag, ag - hg)
    pts_lo = np.where(gd_lo > 0, 3, np.where(gd_lo == 0, 1, 0)).astype(np.int64)
    pts_hi = np.where(gd_lo < 0, 3, np.where(gd_lo == 0, 1, 0)).astype(np.int64)
    m = params.h2h_meetings
    count = gather(rows.window_len(m), hit)
    sign = np.where(tl.home == lo, 1.0, -1.0)
    gd = sign * gather(rows.window_sum(gd_lo, m), hit) / count
    points = (
        np.where(
            tl.home == lo,
            gather(rows.window_sum(pts_lo, m), hit),
            gather(rows.window_sum(pts_hi, m), hit),
        )
        / count
    )
    return {"f_h2h_meetings": np.nan_to_num(count), "f_h2h_goal_diff": gd, "f_h2h_points": points}


def team_context(tl: Timeline, params: ContextParams) -> dict[str, FloatArray]:
    """Rest days, experience and league-level change of both teams.

    Args:
        tl: Chronological match arrays.
        params: Cap of rest days.

    Returns:
        ``f_{home,away}_rest_days`` (capped; NaN for a first match), ``f_{home,away}_experience``
        (earlier finished matches in the archive, capped) and ``f_{home,away}_level_change``
        (league level now minus at the team's previous match: negative after promotion).
    """
    n = tl.n
    team = np.concatenate([tl.home, tl.away])
    day = np.concatenate([tl.day, tl.day])
    pos = np.concatenate([np.arange(n), np.arange(n)]).astype(np.int64)
    level = np.concatenate([tl.league_level, tl.league_level]).astype(np.float64)
    every = KeyedRows.build(team, day, pos)
    prev = every.last_before(team, day)
    rest = np.minimum(day - gather(every.days.astype(np.float64), prev), params.rest_cap_days)
    change = level - gather(level[every.order], prev)
    fin_idx = np.flatnonzero(np.concatenate([tl.finished, tl.finished]))
    played = KeyedRows.build(team[fin_idx], day[fin_idx], pos[fin_idx])
    hit = played.last_before(team, day)
    p = np.arange(len(played.keys), dtype=np.float64)
    experience = np.nan_to_num(gather(p - played.start + 1, hit))
    experience = np.minimum(experience, EXPERIENCE_CAP)
    out: dict[str, FloatArray] = {}
    for side, sl in (("home", slice(0, n)), ("away", slice(n, 2 * n))):
        out[f"f_{side}_rest_days"] = rest[sl]
        out[f"f_{side}_experience"] = experience[sl]
        out[f"f_{side}_level_change"] = change[sl]
    return out
