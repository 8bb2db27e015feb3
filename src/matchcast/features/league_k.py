"""Which Elo K fits each league: the one whose forecasts of its own last results were best.

The main, fast and slow Elo differ only in K. Leagues differ in how fast strength moves
(squad turnover, salary caps, parity), so the K that serves one league best need not serve
another. For every match, each system's error on the league's last ``window`` finished
matches before that date (the squared difference between the home side's score — win 1,
draw 0.5, loss 0 — and the system's expectation) picks the system with the smallest one;
its K and rating difference become features. A league with no results yet uses the main
system. Errors are summed as integers (micro-units), so adding later matches or other
leagues never changes a past value by a rounding.
"""

from __future__ import annotations

import numpy as np

from matchcast.features.timeline import FloatArray, Timeline
from matchcast.features.windows import KeyedRows, gather

SCALE = 1_000_000  # squared errors in micro-units: integer window sums are exact


def league_k_choice(
    tl: Timeline, systems: list[tuple[float, FloatArray]], window: int
) -> dict[str, FloatArray]:
    """Per match, the K (and rating difference) that fitted its league's recent results best.

    Args:
        tl: Chronological match arrays.
        systems: (K, home rating + home advantage - away rating) per Elo system, the main
            one first (it is chosen when the league has no results or on a tie).
        window: The league's last this many finished matches score each system.

    Returns:
        ``f_elo_league_k`` (the chosen K) and ``f_elo_league_diff`` (its difference).
    """
    idx = np.flatnonzero(tl.finished)
    rows = KeyedRows.build(tl.league[idx], tl.day[idx], idx.astype(np.int64))
    hit = rows.last_before(tl.league, tl.day)
    hg, ag = tl.home_goals[idx], tl.away_goals[idx]
    score = np.where(hg > ag, 1.0, np.where(hg == ag, 0.5, 0.0))
    errors = []
    for _, diff in systems:
        expected = 1.0 / (1.0 + 10.0 ** (-diff[idx] / 400.0))
        micro = np.rint((score - expected) ** 2 * SCALE).astype(np.int64)
        errors.append(np.nan_to_num(gather(rows.window_sum(micro, window), hit), nan=0.0))
    best = np.argmin(np.vstack(errors), axis=0)  # the first (main) system wins ties
    ks = np.array([k for k, _ in systems], dtype=np.float64)
    diffs = np.vstack([d for _, d in systems])
    return {
        "f_elo_league_k": ks[best],
        "f_elo_league_diff": diffs[best, np.arange(tl.n)],
    }
