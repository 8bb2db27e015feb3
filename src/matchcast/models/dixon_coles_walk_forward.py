"""Walk-forward Dixon–Coles baseline: the test matches predicted by models refitted as time passes.

For each league, the test matches are cut into blocks of ``refit_every_days``; before each
block a :class:`~matchcast.models.dixon_coles.DixonColes` model is fitted on the matches of
the league (and the divisions directly above and below it) in the ``window_days`` before,
weighted by time decay, and predicts the block. Nothing after a block's first day is used.
"""

from __future__ import annotations

import logging
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from matchcast.data import columns as col
from matchcast.features.scorelines import DEFAULT_MAX_GOALS
from matchcast.models.dixon_coles import DixonColes, DixonColesParams, FloatArray, IntArray

logger = logging.getLogger(__name__)

Pool = Literal["league_neighbours", "league"]

#: Ridge of the walk-forward driver, chosen on the 2022-23 season (never on the test
#: seasons; 2, 4, 8, 12, 20 tried, weekly refits): a Gaussian prior worth ~8 matches on each
#: rating around its league's mean, i.e. a MAP rather than a plain ML fit.
WALK_FORWARD_RIDGE: Final = 8.0
#: Divisions of one country from top to bottom; a division is pooled with its neighbours.
LEAGUE_LADDERS: Final = (
    ("E0", "E1", "E2", "E3", "EC"),
    ("SC0", "SC1", "SC2", "SC3"),
    ("D1", "D2"),
    ("I1", "I2"),
    ("SP1", "SP2"),
    ("F1", "F2"),
)


def pooled_leagues(league: str, pool: Pool = "league_neighbours") -> tuple[str, ...]:
    """Leagues whose matches are used to fit a model for ``league``.

    Args:
        league: League code, e.g. ``"E1"``.
        pool: ``"league"`` for the league alone, ``"league_neighbours"`` to add the divisions
            directly above and below it in the same country (unknown leagues stay alone).

    Returns:
        Tuple of league codes including ``league`` itself.
    """
    if pool == "league":
        return (league,)
    for ladder in LEAGUE_LADDERS:
        if league in ladder:
            i = ladder.index(league)
            return ladder[max(i - 1, 0) : i + 2]
    return (league,)


def decay_weights(days_before: npt.ArrayLike, xi: float) -> FloatArray:
    """Dixon–Coles time-decay weights ``exp(-xi * days)``.

    Args:
        days_before: Age of each match in days at the fitting date.
        xi: Decay rate per day (0.0018 ≈ half-life of 385 days).

    Returns:
        Weights in ``(0, 1]``.
    """
    return np.asarray(np.exp(-xi * np.asarray(days_before, dtype=np.float64)), dtype=np.float64)


def _day_numbers(dates: pd.Series) -> IntArray:
    values = pd.to_datetime(dates)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    return np.asarray(values.to_numpy("datetime64[D]").astype(np.int64), dtype=np.int64)


def _team_columns(matches: pd.DataFrame) -> tuple[str, str]:
    if col.HOME_ID in matches.columns and col.AWAY_ID in matches.columns:
        return col.HOME_ID, col.AWAY_ID
    return col.HOME_TEAM, col.AWAY_TEAM


def dixon_coles_walk_forward(
    matches: pd.DataFrame,
    test_mask: npt.ArrayLike,
    refit_every_days: int = 7,
    window_days: int = 730,
    xi: float = 0.0018,
    pool: Pool = "league_neighbours",
    max_goals: int = DEFAULT_MAX_GOALS,
    min_train_matches: int = 30,
    ridge: float = WALK_FORWARD_RIDGE,
    shrink_within_league: bool = True,
) -> FloatArray:
    """Out-of-sample Dixon–Coles forecasts for the rows selected by ``test_mask``.

    Per league, the test matches are split into blocks of ``refit_every_days`` days starting
    at a test match date; for each block the model is refitted on finished matches of the
    pooled leagues dated strictly before the block's first day (and at most ``window_days``
    earlier), weighted by ``exp(-xi * age in days)``, warm-started from the previous block.
    Matches are placed in time by their local ``date``, so a match never sees any result of
    its own day. Teams absent from the fit get the mean ratings of the teams that played in
    the test match's league; a league-block with fewer than ``min_train_matches`` training
    matches gets the training H/D/A frequencies (uniform if none).

    Args:
        matches: Canonical match table (finished and scheduled rows).
        test_mask: Boolean mask over ``matches`` rows to forecast.
        refit_every_days: Refit cadence in days (1 = before every match day).
        window_days: Length of the training window in days.
        xi: Time-decay rate per day.
        pool: ``"league_neighbours"`` or ``"league"`` (see :func:`pooled_leagues`).
        max_goals: Truncation of the score matrix.
        min_train_matches: Fewest training matches for a Dixon–Coles fit.
        ridge: L2 penalty on attack/defence (see :class:`DixonColes`).
        shrink_within_league: Shrink each team towards its current league's mean rather
            than towards the mean of the pool.

    Returns:
        Array of shape ``(n_test, 3)`` in the order of the test rows in ``matches``.
    """
    mask = np.asarray(test_mask, dtype=bool)
    if mask.shape != (len(matches),):
        raise ValueError("test_mask must have one entry per match")
    home_col, away_col = _team_columns(matches)
    days = _day_numbers(matches[col.DATE])
    leagues = matches[col.LEAGUE].astype(str).to_numpy()
    home_teams = matches[home_col].astype(str).to_numpy()
    away_teams = matches[away_col].astype(str).to_numpy()
    home_goals = pd.to_numeric(matches[col.HOME_GOALS], errors="coerce").to_numpy(
        np.float64, na_value=np.nan
    )
    away_goals = pd.to_numeric(matches[col.AWAY_GOALS], errors="coerce").to_numpy(
        np.float64, na_value=np.nan
    )
    neutral = (
        matches[col.NEUTRAL].fillna(False).to_numpy(dtype=bool)
        if col.NEUTRAL in matches.columns
        else np.zeros(len(matches), dtype=bool)
    )
    finished = np.isfinite(home_goals) & np.isfinite(away_goals)
    if col.STATUS in matches.columns:
        finished &= (matches[col.STATUS] == col.FINISHED).to_numpy(bool, na_value=False)

    test_positions = np.flatnonzero(mask)
    out = np.full((test_positions.size, 3), np.nan)
    out_row = np.full(len(matches), -1, dtype=np.int64)
    out_row[test_positions] = np.arange(test_positions.size)
    n_fits = 0
    for league in sorted(set(leagues[test_positions])):
        pool_rows = np.flatnonzero(finished & np.isin(leagues, pooled_leagues(league, pool)))
        pool_rows = pool_rows[np.argsort(days[pool_rows], kind="stable")]
        pool_days = days[pool_rows]
        league_tests = test_positions[leagues[test_positions] == league]
        league_tests = league_tests[np.argsort(days[league_tests], kind="stable")]
        model = DixonColes(max_goals=max_goals, ridge=ridge)
        warm: DixonColesParams | None = None
        i = 0
        while i < league_tests.size:
            start = days[league_tests[i]]
            j = int(np.searchsorted(days[league_tests], start + refit_every_days, side="left"))
            block = league_tests[i:j]
            i = j
            lo = int(np.searchsorted(pool_days, start - window_days, side="left"))
            hi = int(np.searchsorted(pool_days, start, side="left"))
            train = pool_rows[lo:hi]
            if train.size < min_train_matches:
                probs = _frequencies(home_goals[train], away_goals[train], block.size)
            else:
                model.fit(
                    home_teams[train],
                    away_teams[train],
                    home_goals[train],
                    away_goals[train],
                    weights=decay_weights(start - days[train], xi),
                    warm_start=warm,
                    leagues=leagues[train] if shrink_within_league else None,
                    neutral=neutral[train],
                )
                n_fits += 1
                warm = model.params_
                unknown_att, unknown_def = _league_mean_ratings(
                    model._fitted(), home_teams[train], away_teams[train], leagues[train], league
                )
                probs = model.predict_proba(
                    home_teams[block], away_teams[block], unknown_att, unknown_def, neutral[block]
                )
            out[out_row[block]] = probs
        logger.info("Dixon–Coles walk-forward: league %s done (%d fits so far)", league, n_fits)
    return out


def _frequencies(home_goals: FloatArray, away_goals: FloatArray, n: int) -> FloatArray:
    counts = np.array(
        [
            (home_goals > away_goals).sum(),
            (home_goals == away_goals).sum(),
            (home_goals < away_goals).sum(),
        ],
        dtype=np.float64,
    )
    freq = (counts + 1.0) / (counts.sum() + 3.0)
    return np.tile(freq, (n, 1))


def _league_mean_ratings(
    params: DixonColesParams,
    home_teams: npt.NDArray[np.object_],
    away_teams: npt.NDArray[np.object_],
    leagues: npt.NDArray[np.object_],
    league: str,
) -> tuple[float, float]:
    in_league = leagues == league
    names = set(home_teams[in_league].tolist()) | set(away_teams[in_league].tolist())
    index = params.team_index()
    pos = [index[t] for t in names if t in index]
    if not pos:
        return 0.0, 0.0
    return float(params.attack[pos].mean()), float(params.defence[pos].mean())
