"""Why a forecast looks the way it does: the strongest home-versus-away feature contrasts.

Each forecast of ``predictions.parquet`` carries its top reasons (JSON: factor, value,
detail). This describes the match from its features; it is not an attribution of the
model's output.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from matchcast.data import columns as C

N_REASONS = 3


@dataclass(frozen=True)
class Factor:
    """A feature family a forecast can be explained by: one home and one away column."""

    name: str
    home: str
    away: str
    describe: Callable[[str, str, float, float], str]


def _rating(home: str, away: str, h: float, a: float) -> str:
    side = "above" if h >= a else "below"
    return f"{home} rated {abs(h - a):.0f} Elo points {side} {away} ({h:.0f} vs {a:.0f})"


def _form(home: str, away: str, h: float, a: float) -> str:
    return f"points per match over the last 5: {home} {h:.2f}, {away} {a:.2f}"


def _venue_form(home: str, away: str, h: float, a: float) -> str:
    return (
        f"last 5 at this venue: {home} {h:.2f} points per home match, {away} {a:.2f} per away match"
    )


def _rest(home: str, away: str, h: float, a: float) -> str:
    return f"days of rest: {home} {h:.0f}, {away} {a:.0f}"


def _goals(home: str, away: str, h: float, a: float) -> str:
    return f"expected goals from attack and defence strengths: {home} {h:.2f}, {away} {a:.2f}"


def _shots(home: str, away: str, h: float, a: float) -> str:
    return f"shots on target per match over the last 10: {home} {h:.1f}, {away} {a:.1f}"


FACTORS: tuple[Factor, ...] = (
    Factor("rating", "f_elo_home", "f_elo_away", _rating),
    Factor("form", "f_home_form5_points", "f_away_form5_points", _form),
    Factor("venue_form", "f_home_home_form5_points", "f_away_away_form5_points", _venue_form),
    Factor("rest", "f_home_rest_days", "f_away_rest_days", _rest),
    Factor("goal_expectation", "f_dc_exp_home", "f_dc_exp_away", _goals),
    Factor("shots_on_target", "f_home_form10_sot_for", "f_away_form10_sot_for", _shots),
)


def compute_reasons(
    rows: pd.DataFrame,
    reference: pd.DataFrame,
    factors: Sequence[Factor] = FACTORS,
    top: int = N_REASONS,
) -> list[str]:
    """The top reasons of each forecast as JSON strings (list of factor, value, detail).

    A factor's strength is its home-minus-away difference divided by the spread of that
    difference over ``reference`` (every match), so rating points, points per match and
    days of rest compare on one scale. This describes the match; it is not an attribution
    of the model's output.

    Args:
        rows: Feature rows of the forecast matches (with home_team / away_team).
        reference: Feature rows whose spread sets the scale (the whole features table).
        factors: Candidate factors; those whose columns are absent are skipped.
        top: How many reasons to keep per match.

    Returns:
        One JSON string per row.
    """
    usable = [f for f in factors if f.home in rows.columns and f.away in rows.columns]
    n = len(rows)
    if not usable or n == 0:
        return ["[]"] * n
    home = np.column_stack([rows[f.home].to_numpy(np.float64, na_value=np.nan) for f in usable])
    away = np.column_stack([rows[f.away].to_numpy(np.float64, na_value=np.nan) for f in usable])
    diff = home - away
    scale = np.array(
        [
            np.nanstd(
                reference[f.home].to_numpy(np.float64, na_value=np.nan)
                - reference[f.away].to_numpy(np.float64, na_value=np.nan)
            )
            if f.home in reference.columns and f.away in reference.columns
            else np.nan
            for f in usable
        ]
    )
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    strength = np.where(np.isnan(diff), -np.inf, np.abs(diff) / scale)
    order = np.argsort(-strength, axis=1, kind="stable")[:, :top]
    home_names = rows[C.HOME_TEAM].astype(str).tolist()
    away_names = rows[C.AWAY_TEAM].astype(str).tolist()
    out: list[str] = []
    for i in range(n):
        reasons = [
            {
                "factor": usable[j].name,
                "value": round(float(diff[i, j]), 4),
                "detail": usable[j].describe(home_names[i], away_names[i], home[i, j], away[i, j]),
            }
            for j in order[i]
            if math.isfinite(strength[i, j])
        ]
        out.append(json.dumps(reasons))
    return out
