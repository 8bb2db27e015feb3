"""Response models of the ``markets`` block of a forecast (ADR-0015).

Every market is priced by the batch stage from one score grid reconciled to the served
1X2; the API only selects markets (``GET /predict/{id}?markets=ou,btts``). Every market is
optional so that a filtered record validates against the same schema.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

Probability = float


class HomeDrawAway(BaseModel):
    """Home win, draw and away win from the grid (equal to the served 1X2)."""

    home: Probability
    draw: Probability
    away: Probability


class DoubleChance(BaseModel):
    """Two of the three outcomes."""

    home_or_draw: Probability
    home_or_away: Probability
    draw_or_away: Probability


class OverUnder(BaseModel):
    """Total goals over or under a half line."""

    line: float
    over: Probability
    under: Probability


class YesNo(BaseModel):
    """Both teams to score."""

    yes: Probability
    no: Probability


class HandicapSide(BaseModel):
    """Settlement probabilities of one side's bet at a line, and its fair odds."""

    win: Probability
    half_win: Probability
    push: Probability
    half_loss: Probability
    loss: Probability
    fair_odds: float | None = Field(
        description="Expected-payout fair decimal odds (null when the side cannot win)."
    )


class HandicapLine(BaseModel):
    """Asian handicap at one line: ``line`` is the home side's (the away side's is ``-line``)."""

    line: float
    home: HandicapSide
    away: HandicapSide


class Score(BaseModel):
    """One exact score and its probability."""

    home: int
    away: int
    p: Probability


class ExpectedGoals(BaseModel):
    """Expected goals per side (the grid's means)."""

    home: float
    away: float


class Markets(BaseModel):
    """Every market priced from the match's score grid; absent keys were filtered out."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    one_x_two: HomeDrawAway | None = Field(default=None, alias="1x2")
    double_chance: DoubleChance | None = None
    over_under: list[OverUnder] | None = Field(default=None, description="Lines 0.5 to 4.5.")
    btts: YesNo | None = None
    asian_handicap: list[HandicapLine] | None = Field(
        default=None, description="Home lines -2.5 to +2.5 in quarter steps."
    )
    correct_scores: list[Score] | None = Field(default=None, description="The 10 likeliest.")
    expected_goals: ExpectedGoals | None = None
