"""The drift report as one self-contained HTML page (inline SVG, no scripts, no CDN)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jinja2

from matchcast.monitoring.drift import ColumnDrift

CHART_WIDTH = 260
CHART_HEIGHT = 64


@dataclass(frozen=True)
class Bar:
    """One bar of a histogram: position and size in SVG units."""

    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(frozen=True)
class Chart:
    """Reference (grey) and current (coloured) bin shares of one column, side by side."""

    reference: tuple[Bar, ...]
    current: tuple[Bar, ...]
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT


def _labels(drift: ColumnDrift) -> list[str]:
    edges = drift.edges
    if not edges:
        return ["all", "missing"]
    inner = [f"[{lo:.4g}, {hi:.4g})" for lo, hi in itertools.pairwise(edges)]
    return [f"< {edges[0]:.4g}", *inner, f">= {edges[-1]:.4g}", "missing"]


def chart(drift: ColumnDrift) -> Chart:
    """Bars of the reference and current bin shares (the last bin is 'missing')."""
    labels = _labels(drift)
    n = len(drift.reference_shares)
    top = max([*drift.reference_shares, *drift.current_shares, 1e-9])
    slot = CHART_WIDTH / max(n, 1)
    width = slot * 0.4

    def bars(shares: Sequence[float], offset: float, who: str) -> tuple[Bar, ...]:
        out = []
        for i, share in enumerate(shares):
            height = (CHART_HEIGHT - 2) * share / top
            out.append(
                Bar(
                    x=round(i * slot + offset, 2),
                    y=round(CHART_HEIGHT - height, 2),
                    width=round(width, 2),
                    height=round(height, 2),
                    title=f"{who} {labels[i] if i < len(labels) else i}: {share:.1%}",
                )
            )
        return tuple(out)

    return Chart(
        reference=bars(drift.reference_shares, slot * 0.1, "reference"),
        current=bars(drift.current_shares, slot * 0.5, "current"),
    )


_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("matchcast.monitoring", "templates"),
    autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_drift_html(
    report: dict[str, Any],
    features: Sequence[ColumnDrift],
    predictions: Sequence[ColumnDrift],
) -> str:
    """Render ``drift.html`` from the JSON report and the per-column bin detail.

    Drifted columns come first, then by decreasing PSI.
    """

    def order(d: ColumnDrift) -> tuple[bool, float]:
        return (not d.drifted, -(d.psi if d.psi is not None else -1.0))

    def rows(drifts: Sequence[ColumnDrift]) -> list[dict[str, Any]]:
        return [{"d": d, "chart": chart(d)} for d in sorted(drifts, key=order)]

    return _ENV.get_template("drift.html.j2").render(
        report=report, features=rows(features), predictions=rows(predictions)
    )
