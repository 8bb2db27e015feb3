"""Response models of the value report and the market-aware comparison on ``GET /model``.

Both come from the pipeline's reports (``reports/markets.json``'s ``value`` block and
``reports/market_aware.json``), copied into ``model.json`` by the batch stage (ADR-0019).
They are information about the test seasons, not advice.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class FlatResult(BaseModel):
    """One unit on every bet."""

    roi: float | None = None
    roi_ci95: list[float | None] = Field(default_factory=list, description="Bootstrap 95 %.")
    profit_units: float | None = None
    max_drawdown_units: float | None = None
    hit_rate: float | None = Field(default=None, description="Share of bets that made a profit.")


class KellyResult(BaseModel):
    """Fractional Kelly, capped, on a bankroll starting at 1."""

    fraction: float | None = None
    max_stake: float | None = None
    final_bankroll: float | None = None
    roi: float | None = None
    max_drawdown: float | None = Field(default=None, description="Largest fall from a peak.")


class ClosingLineValue(BaseModel):
    """How the prices taken compare with the de-margined closing price."""

    bets: int
    beat_closing_share: float | None = None
    mean_ev_at_closing: float | None = None


class CurvePoint(BaseModel):
    """The bankrolls at the end of one betting day."""

    date: str
    flat_units: float = Field(description="Cumulative flat profit in units.")
    kelly_bankroll: float = Field(description="Kelly bankroll (starts at 1).")


class Backtest(BaseModel):
    """One market replayed at the best pre-match prices over the test seasons."""

    matches: int
    bets: int
    min_edge: float
    verdict: str = Field(description="Edge, no demonstrated edge, or no edge, said plainly.")
    mean_edge: float | None = None
    flat: FlatResult | None = None
    kelly: KellyResult | None = None
    closing_line_value: ClosingLineValue | None = None
    curve: list[CurvePoint] = Field(default_factory=list)


class ValueReport(BaseModel):
    """Value and staking on the test seasons: every market backtested."""

    test_seasons: list[str] = Field(default_factory=list)
    markets: dict[str, Backtest] = Field(description="1x2, over_under_2_5, asian_handicap.")


class GapScore(BaseModel):
    """A forecaster minus a price on the same matches (negative: better than the price)."""

    log_loss: float | None = None
    log_loss_se: float | None = None
    rps: float | None = None
    rps_se: float | None = None


class ForecasterScore(BaseModel):
    """Scores of one forecaster on the comparison matches."""

    log_loss: float | None = None
    rps: float | None = None
    gap_to_closing: GapScore | None = None
    gap_to_pre_match: GapScore | None = None


class MarketAwareComparison(BaseModel):
    """Football-only, market-aware, pre-match and closing on the same test matches."""

    default: str = Field(description="The forecast served as p_home/p_draw/p_away.")
    test_seasons: list[str] = Field(default_factory=list)
    n: int
    forecasters: dict[str, ForecasterScore]
