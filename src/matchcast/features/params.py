"""Typed knobs of the features layer, built from the ``features:`` slice of ``params.yaml``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PriorParams(_Strict):
    """Where a team never seen before starts.

    A newcomer to league L starts at the ``quantile`` of the ratings of teams recently
    active in L (newcomers are mostly promoted from below the archive). When L has fewer
    than ``min_teams`` such teams (the start of the archive), it starts at a default that
    drops with the league's level (1 = top flight) by a per-system gap.
    """

    quantile: float = Field(0.2, ge=0.0, le=1.0)
    min_teams: int = Field(8, ge=1)
    active_days: int = Field(
        400, ge=1, description="A team is 'in' its league this long after its last match."
    )


class EloParams(_Strict):
    """Goal-difference Elo (Hvattum & Arntzen 2010 style K scaling)."""

    k: float = Field(
        8.0, gt=0, description="K for a one-goal result; scaled by (1+|gd|)**gd_exponent."
    )
    gd_exponent: float = Field(1.1, ge=0)
    home_advantage: float = Field(
        60.0, description="Initial home advantage in Elo points, per league."
    )
    home_advantage_k: float = Field(
        0.02, ge=0, description="Learning rate of the per-league home advantage (residuals)."
    )
    home_advantage_from: Literal["residuals", "results"] = Field(
        "residuals",
        description=(
            "residuals: a league's home advantage starts at home_advantage and follows its"
            " rating residuals by home_advantage_k; results: it is the league's own mean home"
            " score over its last home_advantage_window results, shrunk to home_advantage"
            " by home_advantage_prior_matches (matchcast.features.home_advantage)."
        ),
    )
    home_advantage_window: int = Field(
        1000, ge=1, description="results: a league's estimate uses this many last results."
    )
    home_advantage_prior_matches: float = Field(
        200.0, ge=0, description="results: pseudo-matches at the global home_advantage."
    )
    season_regression: float = Field(
        0.1, ge=0, le=1, description="Share pulled to the league mean each new season."
    )
    base: float = Field(1500.0, description="Default rating of a newcomer to a top flight.")
    level_gap: float = Field(
        100.0, ge=0, description="Default newcomer rating drop per league level."
    )
    draw_width: float = Field(
        1.1, gt=0, description="Scales the draw band of the ordered-logit mapping."
    )
    logit_scale: float = Field(
        0.8, gt=0, description="Scales rating difference into the ordered logit."
    )


class EloVariantParams(_Strict):
    """Extra Elo systems beside the main one (same constants, other K) and momentum."""

    fast_k: float = Field(20.0, gt=0, description="K of the fast Elo (recent form).")
    slow_k: float = Field(3.0, gt=0, description="K of the slow Elo (long-run class).")
    momentum_matches: int = Field(
        5, ge=1, description="Momentum: main Elo now minus this many matches ago."
    )
    league_k_window: int | None = Field(
        None,
        ge=1,
        description=(
            "When set: f_elo_league_k / f_elo_league_diff, the K (main, fast or slow) whose"
            " expectations fitted the league's last this many results best (league_k.py)."
        ),
    )


class PiParams(_Strict):
    """Pi-ratings (Constantinou & Fenton 2013)."""

    learning_rate: float = Field(0.035, gt=0, description="lambda: step on the weighted error.")
    cross_rate: float = Field(
        0.7, ge=0, le=1, description="gamma: share passed to the other venue rating."
    )
    base: float = Field(3.0, gt=0, description="c: goal-difference scale (10-based logarithm).")
    level_gap: float = Field(
        0.3, ge=0, description="Default newcomer rating drop per league level."
    )


class StrengthParams(_Strict):
    """Time-decayed multiplicative attack/defence strengths (Maher / Dixon–Coles family)."""

    decay_per_day: float = Field(0.002, ge=0, description="xi: weight exp(-xi * age in days).")
    shrinkage: float = Field(
        1.0, gt=0, description="Pseudo-matches pulling a strength to the league mean."
    )
    newcomer_weight: float = Field(6.0, ge=0, description="Pseudo-matches at the newcomer prior.")
    rho: float = Field(-0.05, ge=-0.2, le=0.2, description="Dixon–Coles low-score dependence.")
    max_goals: int = Field(10, ge=4, le=20)
    level_gap: float = Field(
        0.1, ge=0, description="Default newcomer log-strength drop per league level."
    )


class FormParams(_Strict):
    """Rolling form windows, in matches."""

    windows: list[int] = Field(default_factory=lambda: [5, 10, 20])
    venue_windows: list[int] = Field(default_factory=lambda: [5, 10])


class ContextParams(_Strict):
    """Rest days, head-to-head and league base rates."""

    rest_cap_days: int = Field(30, ge=1)
    h2h_meetings: int = Field(6, ge=1)
    league_window: int = Field(
        1000, ge=10, description="League rates use this many previous matches."
    )
    league_prior_matches: float = Field(
        50.0, ge=0, description="Pseudo-matches at the global prior."
    )


class FeatureParams(_Strict):
    """Everything :func:`matchcast.features.build.build_features` needs."""

    league_levels: dict[str, int] = Field(
        default_factory=dict, description="League code -> level (1 = top flight); missing = 1."
    )
    prior: PriorParams = PriorParams()
    elo: EloParams = EloParams()
    elo_variants: EloVariantParams = EloVariantParams()
    pi: PiParams = PiParams()
    strengths: StrengthParams = StrengthParams()
    form: FormParams = FormParams()
    context: ContextParams = ContextParams()
    use_market_features: bool = False

    @classmethod
    def from_params(
        cls, features: dict[str, Any], use_market_features: bool = False
    ) -> FeatureParams:
        """Build from the ``features:`` slice of params.yaml plus the model's market switch.

        Args:
            features: The parsed ``features:`` mapping.
            use_market_features: ``model.use_market_features`` from params.yaml.

        Returns:
            Validated parameters.
        """
        return cls.model_validate({**features, "use_market_features": use_market_features})
