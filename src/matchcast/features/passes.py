"""The chronological passes of the feature build, run over consecutive parts of the timeline.

Elo (main, fast and slow), pi-ratings, the goal and shots-on-target strengths and the
season table each walk the matches in date order and carry a state from one date group to
the next. :class:`PassStates` holds all of them, so the build can run the passes over the
matches up to a date, save where they stand, and later carry on from there with the
matches after it (:mod:`matchcast.features.incremental`). Running the parts in turn gives
the same numbers as one run over the whole timeline, bit for bit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy.typing as npt

from matchcast.features.context import LEAGUE_PRIOR
from matchcast.features.elo import EloState, elo_pass, elo_probabilities
from matchcast.features.league_k import league_k_choice
from matchcast.features.params import FeatureParams
from matchcast.features.pi_ratings import PiState, pi_pass
from matchcast.features.poisson_strengths import StrengthState, strength_pass
from matchcast.features.saved_state import Arrays, nested, part
from matchcast.features.scorelines import outcome_probabilities
from matchcast.features.season_table import SeasonTableState, season_table_pass
from matchcast.features.timeline import FloatArray, Timeline

# Typical shots on target per match at home / away: the prior of a league with no history.
SOT_LEAGUE_MEANS = (4.8, 3.9)


@dataclass
class PassStates:
    """Where every chronological pass stands after the date groups run so far."""

    elo: EloState
    elofast: EloState
    eloslow: EloState
    pi: PiState
    dc: StrengthState
    sot: StrengthState
    season: SeasonTableState

    @classmethod
    def fresh(cls, params: FeatureParams) -> PassStates:
        """Every pass before the first match (the passes size them to the timeline)."""
        p = params
        return cls(
            elo=EloState.fresh(0, 0, p.elo, p.prior),
            elofast=EloState.fresh(0, 0, p.elo, p.prior),
            eloslow=EloState.fresh(0, 0, p.elo, p.prior),
            pi=PiState.fresh(0, 0, p.prior),
            dc=StrengthState.fresh(0, 0, p.prior),
            sot=StrengthState.fresh(0, 0, p.prior),
            season=SeasonTableState.fresh(0, p.elo_variants.momentum_matches),
        )

    def to_arrays(self) -> Arrays:
        """Every pass's state as named arrays, ``<pass>.<field>``."""
        out: Arrays = {}
        for name, state in vars(self).items():
            out.update(nested(name, state.to_arrays()))
        return out

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, npt.NDArray[Any]]) -> PassStates:
        """The states :meth:`to_arrays` saved.

        Raises:
            KeyError: An array a pass needs is missing.
        """
        return cls(
            elo=EloState.from_arrays(part("elo", arrays)),
            elofast=EloState.from_arrays(part("elofast", arrays)),
            eloslow=EloState.from_arrays(part("eloslow", arrays)),
            pi=PiState.from_arrays(part("pi", arrays)),
            dc=StrengthState.from_arrays(part("dc", arrays)),
            sot=StrengthState.from_arrays(part("sot", arrays)),
            season=SeasonTableState.from_arrays(part("season", arrays)),
        )


def rating_features(
    tl: Timeline, params: FeatureParams, draw_rate: FloatArray, states: PassStates
) -> dict[str, FloatArray]:
    """Elo, pi-ratings and goal strengths (results only: no statistics, no odds needed).

    Args:
        tl: Chronological match arrays (a part of them).
        params: Feature parameters.
        draw_rate: The league's recent draw rate per match (for the Elo-implied 1X2).
        states: Where the passes stand before ``tl``; updated in place.

    Returns:
        Feature arrays aligned with ``tl``.
    """
    out: dict[str, FloatArray] = {}
    elo = elo_pass(tl, params.elo, params.prior, state=states.elo)
    out.update(elo)
    probs = elo_probabilities(elo["f_elo_diff"], draw_rate, params.elo)
    out.update(
        {"f_elo_p_home": probs[:, 0], "f_elo_p_draw": probs[:, 1], "f_elo_p_away": probs[:, 2]}
    )
    out.update(pi_pass(tl, params.pi, params.prior, state=states.pi))
    st = params.strengths
    dc = strength_pass(
        tl,
        tl.home_goals,
        tl.away_goals,
        st,
        params.prior,
        "dc",
        (LEAGUE_PRIOR["home_goals"], LEAGUE_PRIOR["away_goals"]),
        state=states.dc,
    )
    out.update(dc)
    dcp = outcome_probabilities(dc["f_dc_exp_home"], dc["f_dc_exp_away"], st.rho, st.max_goals)
    out.update({"f_dc_p_home": dcp[:, 0], "f_dc_p_draw": dcp[:, 1], "f_dc_p_away": dcp[:, 2]})
    return out


def variant_features(
    tl: Timeline, params: FeatureParams, main: dict[str, FloatArray], states: PassStates
) -> dict[str, FloatArray]:
    """A fast and a slow Elo, the season-to-date table and Elo momentum (and, when
    ``elo_variants.league_k_window`` is set, each league's best-fitting K of the three).

    Args:
        tl: Chronological match arrays (a part of them).
        params: Feature parameters.
        main: Output of the main Elo pass over ``tl`` (``f_elo_home``, ``f_elo_away``).
        states: Where the passes stand before ``tl``; updated in place.

    Returns:
        Feature arrays aligned with ``tl``.
    """
    v = params.elo_variants
    out: dict[str, FloatArray] = {}
    systems = [(params.elo.k, main["f_elo_diff"])]
    for name, k, state in (
        ("elofast", v.fast_k, states.elofast),
        ("eloslow", v.slow_k, states.eloslow),
    ):
        elo = params.elo.model_copy(update={"k": k})
        ratings = elo_pass(tl, elo, params.prior, prefix=name, state=state)
        out[f"f_{name}_diff"] = ratings[f"f_{name}_diff"]
        systems.append((k, out[f"f_{name}_diff"]))
    if v.league_k_window is not None:  # over the whole timeline only (carries_state)
        out.update(league_k_choice(tl, systems, v.league_k_window))
    out.update(
        season_table_pass(
            tl, main["f_elo_home"], main["f_elo_away"], v.momentum_matches, state=states.season
        )
    )
    return out


def chronological_features(
    tl: Timeline,
    sot: tuple[FloatArray, FloatArray],
    draw_rate: FloatArray,
    params: FeatureParams,
    states: PassStates,
) -> dict[str, FloatArray]:
    """Every feature of the chronological passes for the matches of ``tl``.

    Args:
        tl: Chronological match arrays, or the part of them after where ``states`` stand.
        sot: Home and away shots on target per match of ``tl`` (NaN when unknown).
        draw_rate: The league's recent draw rate per match of ``tl``.
        params: Feature parameters.
        states: Where the passes stand before ``tl``; updated in place to after it.

    Returns:
        Feature arrays aligned with ``tl``, in the build's column order.
    """
    out = rating_features(tl, params, draw_rate, states)
    out.update(
        strength_pass(
            tl,
            sot[0],
            sot[1],
            params.strengths,
            params.prior,
            "sot",
            SOT_LEAGUE_MEANS,
            nan_without_data=True,
            state=states.sot,
        )
    )
    out.update(variant_features(tl, params, out, states))
    return out


def carries_state(params: FeatureParams) -> bool:
    """Whether the passes' saved state holds everything they need to carry on.

    The per-league switches of ADR-0025 (Elo home advantage from results, each league's
    best-fitting K) keep windows of recent results that are not part of the saved state:
    with either on, every build runs over the whole timeline.
    """
    per_league_edge = params.elo.home_advantage_from == "results"
    return not per_league_edge and params.elo_variants.league_k_window is None
