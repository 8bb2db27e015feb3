"""Rolling form: points, goals and shots over a team's last N finished matches.

Computed on a long frame (one row per team and match). A match only sees its teams' rows
from strictly earlier dates, so the match itself (and any match on the same date) never
enters its own form. Match statistics are outcomes of the match: they enter only lagged,
here. A window's mean is over the matches in it where the source has the statistic; NaN
when none has it (results-only sources).
"""

from __future__ import annotations

import numpy as np

from matchcast.features.params import FormParams
from matchcast.features.timeline import BoolArray, FloatArray, IntArray, Timeline
from matchcast.features.windows import KeyedRows, as_counts, gather

FORM_STATS = ("points", "gf", "ga", "shots_for", "shots_against", "sot_for", "sot_against")


def _long_values(
    tl: Timeline,
    home_shots: FloatArray,
    away_shots: FloatArray,
    home_sot: FloatArray,
    away_sot: FloatArray,
) -> dict[str, FloatArray]:
    hg, ag = tl.home_goals, tl.away_goals
    gf = np.concatenate([hg, ag])
    ga = np.concatenate([ag, hg])
    points = np.where(gf > ga, 3.0, np.where(gf == ga, 1.0, 0.0))
    points[np.isnan(gf) | np.isnan(ga)] = np.nan
    return {
        "points": points,
        "gf": gf,
        "ga": ga,
        "shots_for": np.concatenate([home_shots, away_shots]),
        "shots_against": np.concatenate([away_shots, home_shots]),
        "sot_for": np.concatenate([home_sot, away_sot]),
        "sot_against": np.concatenate([away_sot, home_sot]),
    }


def _rolling_means(
    rows_mask: BoolArray,
    team: IntArray,
    day: IntArray,
    pos: IntArray,
    values: dict[str, FloatArray],
    windows: list[int],
    q_team: IntArray,
    q_day: IntArray,
) -> dict[tuple[str, int], FloatArray]:
    idx = np.flatnonzero(rows_mask)
    rows = KeyedRows.build(team[idx], day[idx], pos[idx])
    hit = rows.last_before(q_team, q_day)
    out: dict[tuple[str, int], FloatArray] = {}
    for name, v in values.items():
        counts, known = as_counts(v[idx])
        for w in windows:
            total = rows.window_sum(counts, w).astype(np.float64)
            n_known = rows.window_sum(known, w).astype(np.float64)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.where(n_known > 0, total / n_known, np.nan)
            out[(name, w)] = gather(mean, hit)
    return out


def form_features(
    tl: Timeline,
    home_shots: FloatArray,
    away_shots: FloatArray,
    home_sot: FloatArray,
    away_sot: FloatArray,
    params: FormParams,
) -> dict[str, FloatArray]:
    """Rolling form of both teams, overall and at the venue of the match.

    Args:
        tl: Chronological match arrays.
        home_shots: Home shots per match (NaN when the source lacks them).
        away_shots: Away shots.
        home_sot: Home shots on target.
        away_sot: Away shots on target.
        params: Window lengths.

    Returns:
        ``f_{home,away}_form{w}_{stat}`` (all matches) and ``f_home_home_form{w}_{stat}`` /
        ``f_away_away_form{w}_{stat}`` (home matches of the home team, away matches of the
        away team), stat in :data:`FORM_STATS`. Neutral-ground matches count for no venue;
        a match on neutral ground gets the overall form as its venue form.
    """
    n = tl.n
    team = np.concatenate([tl.home, tl.away])
    day = np.concatenate([tl.day, tl.day])
    pos = np.concatenate([np.arange(n), np.arange(n)]).astype(np.int64)
    is_home = np.concatenate([np.ones(n, bool), np.zeros(n, bool)])
    finished = np.concatenate([tl.finished, tl.finished])
    at_venue = ~np.concatenate([tl.neutral, tl.neutral])
    values = _long_values(tl, home_shots, away_shots, home_sot, away_sot)
    out: dict[str, FloatArray] = {}
    overall = _rolling_means(finished, team, day, pos, values, params.windows, team, day)
    for (name, w), arr in overall.items():
        out[f"f_home_form{w}_{name}"] = arr[:n]
        out[f"f_away_form{w}_{name}"] = arr[n:]
    at_home = _rolling_means(
        finished & is_home & at_venue, team, day, pos, values, params.venue_windows, tl.home, tl.day
    )
    for (name, w), arr in at_home.items():
        out[f"f_home_home_form{w}_{name}"] = _neutral_venue(tl, arr, overall, name, w, slice(0, n))
    away_rows = finished & ~is_home & at_venue
    at_away = _rolling_means(
        away_rows, team, day, pos, values, params.venue_windows, tl.away, tl.day
    )
    for (name, w), arr in at_away.items():
        out[f"f_away_away_form{w}_{name}"] = _neutral_venue(
            tl, arr, overall, name, w, slice(n, 2 * n)
        )
    return out


def _neutral_venue(
    tl: Timeline,
    venue: FloatArray,
    overall: dict[tuple[str, int], FloatArray],
    name: str,
    window: int,
    side: slice,
) -> FloatArray:
    """Venue form, replaced by the overall form of the same window on neutral ground."""
    if not tl.neutral.any():
        return venue
    fallback = overall[(name, window)][side] if (name, window) in overall else np.nan
    return np.where(tl.neutral, fallback, venue)
