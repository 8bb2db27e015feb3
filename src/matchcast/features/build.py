"""Entry point of the features layer: every feature of every match, point in time.

One chronological pass per rating system over date groups (see
:mod:`matchcast.features.timeline`), plus vectorised form and context. A match's features
use only results of matches on earlier dates; scheduled matches get the state as of their
date (which stops changing after the last finished match).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from matchcast.data import columns as c
from matchcast.features.context import head_to_head, league_rates, team_context
from matchcast.features.form import form_features
from matchcast.features.market import market_features
from matchcast.features.params import FeatureParams
from matchcast.features.passes import PassStates, chronological_features
from matchcast.features.timeline import FloatArray, Timeline, build_timeline

logger = logging.getLogger(__name__)

KEY_COLUMNS = (
    c.MATCH_ID,
    c.LEAGUE,
    c.SEASON,
    c.DATE,
    c.KICKOFF,
    c.HOME_TEAM,
    c.AWAY_TEAM,
    c.HOME_ID,
    c.AWAY_ID,
    c.STATUS,
    c.RESULT,
    c.HOME_GOALS,
    c.AWAY_GOALS,
)


def _stat(m: pd.DataFrame, column: str, tl: Timeline) -> FloatArray:
    """A statistic column in timeline order, NaN when absent or the match is not finished."""
    if column not in m.columns:
        return np.full(tl.n, np.nan)
    values = pd.to_numeric(m[column], errors="coerce").to_numpy(np.float64, na_value=np.nan)
    return np.where(tl.finished, values, np.nan)


@dataclass(frozen=True)
class Prepared:
    """The match table in timeline order and every feature that needs no carried state.

    Form, context, head-to-head and market features are vectorised "last N earlier rows"
    sums over the whole timeline (a fraction of the build's time); only the chronological
    passes (:mod:`matchcast.features.passes`) run over parts of it.
    """

    tl: Timeline
    ordered: pd.DataFrame
    sot: tuple[FloatArray, FloatArray]
    vectorised: dict[str, FloatArray]


def prepare(matches: pd.DataFrame, params: FeatureParams) -> Prepared:
    """Order the matches and compute the vectorised features of all of them.

    Args:
        matches: Canonical match table.
        params: Feature parameters.

    Returns:
        The timeline, the ordered rows and the vectorised features, in the build's order.
    """
    tl = build_timeline(matches, params.league_levels)
    m = matches.iloc[tl.order]
    hs, as_ = _stat(m, "home_shots", tl), _stat(m, "away_shots", tl)
    hst, ast = _stat(m, "home_shots_on_target", tl), _stat(m, "away_shots_on_target", tl)
    ctx = league_rates(tl, params.context)
    vectorised = form_features(tl, hs, as_, hst, ast, params.form)
    vectorised.update(ctx)
    # Lets the model tell neutral ground apart (its intercept carries the home edge).
    vectorised["f_neutral"] = tl.neutral.astype(np.float64)
    vectorised.update(head_to_head(tl, params.context))
    vectorised.update(team_context(tl, params.context))
    if params.use_market_features:
        vectorised.update(market_features(m))
    return Prepared(tl=tl, ordered=m, sot=(hst, ast), vectorised=vectorised)


def run_passes(
    prep: Prepared, params: FeatureParams, states: PassStates, start: int, stop: int
) -> dict[str, FloatArray]:
    """The chronological features of timeline rows ``start:stop``, carrying ``states`` on.

    Args:
        prep: The prepared matches.
        params: Feature parameters.
        states: Where the passes stand before row ``start``; updated to after ``stop``.
        start: First row (a date group's first row).
        stop: Row after the last (a date group's first row, or the number of rows).

    Returns:
        Feature arrays of the rows ``start:stop``.
    """
    rows = slice(start, stop)
    return chronological_features(
        prep.tl.rows(start, stop),
        (prep.sot[0][rows], prep.sot[1][rows]),
        prep.vectorised["f_league_draw_rate"][rows],
        params,
        states,
    )


def assemble(prep: Prepared, chronological: dict[str, FloatArray], start: int) -> pd.DataFrame:
    """The output rows from timeline row ``start`` on: keys, then every feature.

    Args:
        prep: The prepared matches.
        chronological: Features of the passes for the rows from ``start`` on.
        start: First timeline row of the output.

    Returns:
        Key columns of the match table, then ``f_*`` (and ``m_*``) features as float64.
    """
    m = prep.ordered.iloc[start:]
    features = {**chronological, **{k: v[start:] for k, v in prep.vectorised.items()}}
    keys = m.loc[:, [col for col in KEY_COLUMNS if col in m.columns]].reset_index(drop=True)
    feats = pd.DataFrame(
        np.column_stack([np.asarray(v, dtype=np.float64) for v in features.values()]),
        columns=list(features),
    )
    return pd.concat([keys, feats], axis=1)


def build_features(matches: pd.DataFrame, params: FeatureParams) -> pd.DataFrame:
    """Point-in-time features of every match (finished and scheduled).

    Args:
        matches: Canonical match table (``data/interim/matches.parquet``).
        params: Feature parameters (``features:`` slice of params.yaml + market switch).

    Returns:
        One row per match in chronological order (date, kickoff, match id): the key columns
        of the match table, then ``f_*`` features (float, NaN allowed), then ``m_*`` market
        features when ``params.use_market_features``.
    """
    started = time.perf_counter()
    prep = prepare(matches, params)
    chronological = run_passes(prep, params, PassStates.fresh(params), 0, prep.tl.n)
    out = assemble(prep, chronological, 0)
    logger.info(
        "built %d features for %d matches in %.1f s",
        sum(col.startswith(("f_", "m_")) for col in out.columns),
        len(out),
        time.perf_counter() - started,
    )
    return out
