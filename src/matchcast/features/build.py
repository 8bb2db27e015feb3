"""Entry point of the features layer: every feature of every match, point in time.

One chronological pass per rating system over date groups (see
:mod:`matchcast.features.timeline`), plus vectorised form and context. A match's features
use only results of matches on earlier dates; scheduled matches get the state as of their
date (which stops changing after the last finished match).
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd

from matchcast.data import columns as c
from matchcast.features.context import LEAGUE_PRIOR, head_to_head, league_rates, team_context
from matchcast.features.elo import elo_pass, elo_probabilities
from matchcast.features.form import form_features
from matchcast.features.league_k import league_k_choice
from matchcast.features.market import market_features
from matchcast.features.params import FeatureParams
from matchcast.features.pi_ratings import pi_pass
from matchcast.features.poisson_strengths import strength_pass
from matchcast.features.scorelines import outcome_probabilities
from matchcast.features.season_table import season_table_pass
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
# Typical shots on target per match at home / away: the prior of a league with no history.
SOT_LEAGUE_MEANS = (4.8, 3.9)


def _stat(m: pd.DataFrame, column: str, tl: Timeline) -> FloatArray:
    """A statistic column in timeline order, NaN when absent or the match is not finished."""
    if column not in m.columns:
        return np.full(tl.n, np.nan)
    values = pd.to_numeric(m[column], errors="coerce").to_numpy(np.float64, na_value=np.nan)
    return np.where(tl.finished, values, np.nan)


def rating_features(
    tl: Timeline, params: FeatureParams, draw_rate: FloatArray
) -> dict[str, FloatArray]:
    """Elo, pi-ratings and goal strengths (results only: no statistics, no odds needed).

    Args:
        tl: Chronological match arrays.
        params: Feature parameters.
        draw_rate: The league's recent draw rate per match (for the Elo-implied 1X2).

    Returns:
        Feature arrays aligned with the timeline.
    """
    out: dict[str, FloatArray] = {}
    elo = elo_pass(tl, params.elo, params.prior)
    out.update(elo)
    probs = elo_probabilities(elo["f_elo_diff"], draw_rate, params.elo)
    out.update(
        {"f_elo_p_home": probs[:, 0], "f_elo_p_draw": probs[:, 1], "f_elo_p_away": probs[:, 2]}
    )
    out.update(pi_pass(tl, params.pi, params.prior))
    st = params.strengths
    dc = strength_pass(
        tl,
        tl.home_goals,
        tl.away_goals,
        st,
        params.prior,
        "dc",
        (LEAGUE_PRIOR["home_goals"], LEAGUE_PRIOR["away_goals"]),
    )
    out.update(dc)
    dcp = outcome_probabilities(dc["f_dc_exp_home"], dc["f_dc_exp_away"], st.rho, st.max_goals)
    out.update({"f_dc_p_home": dcp[:, 0], "f_dc_p_draw": dcp[:, 1], "f_dc_p_away": dcp[:, 2]})
    return out


def variant_features(
    tl: Timeline, params: FeatureParams, main: dict[str, FloatArray]
) -> dict[str, FloatArray]:
    """A fast and a slow Elo, the season-to-date table and Elo momentum (and, when
    ``elo_variants.league_k_window`` is set, each league's best-fitting K of the three).

    Args:
        tl: Chronological match arrays.
        params: Feature parameters.
        main: Output of the main Elo pass (``f_elo_home``, ``f_elo_away``, ``f_elo_diff``).

    Returns:
        Feature arrays aligned with the timeline.
    """
    v = params.elo_variants
    out: dict[str, FloatArray] = {}
    systems = [(params.elo.k, main["f_elo_diff"])]
    for name, k in (("elofast", v.fast_k), ("eloslow", v.slow_k)):
        ratings = elo_pass(tl, params.elo.model_copy(update={"k": k}), params.prior, prefix=name)
        out[f"f_{name}_diff"] = ratings[f"f_{name}_diff"]
        systems.append((k, out[f"f_{name}_diff"]))
    if v.league_k_window is not None:
        out.update(league_k_choice(tl, systems, v.league_k_window))
    out.update(season_table_pass(tl, main["f_elo_home"], main["f_elo_away"], v.momentum_matches))
    return out


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
    tl = build_timeline(matches, params.league_levels)
    m = matches.iloc[tl.order]
    features: dict[str, FloatArray] = {}
    ctx = league_rates(tl, params.context)
    features.update(rating_features(tl, params, ctx["f_league_draw_rate"]))
    hs, as_ = _stat(m, "home_shots", tl), _stat(m, "away_shots", tl)
    hst, ast = _stat(m, "home_shots_on_target", tl), _stat(m, "away_shots_on_target", tl)
    features.update(
        strength_pass(
            tl,
            hst,
            ast,
            params.strengths,
            params.prior,
            "sot",
            SOT_LEAGUE_MEANS,
            nan_without_data=True,
        )
    )
    features.update(variant_features(tl, params, features))
    features.update(form_features(tl, hs, as_, hst, ast, params.form))
    features.update(ctx)
    # Lets the model tell neutral ground apart (its intercept carries the home edge).
    features["f_neutral"] = tl.neutral.astype(np.float64)
    features.update(head_to_head(tl, params.context))
    features.update(team_context(tl, params.context))
    if params.use_market_features:
        features.update(market_features(m))
    keys = m.loc[:, [col for col in KEY_COLUMNS if col in m.columns]].reset_index(drop=True)
    feats = pd.DataFrame(
        np.column_stack([np.asarray(v, dtype=np.float64) for v in features.values()]),
        columns=list(features),
    )
    out = pd.concat([keys, feats], axis=1)
    logger.info(
        "built %d features for %d matches in %.1f s",
        feats.shape[1],
        len(out),
        time.perf_counter() - started,
    )
    return out
