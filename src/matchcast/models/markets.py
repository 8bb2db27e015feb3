"""Every market priced from one score grid: 1X2, double chance, totals, BTTS, Asian handicap.

A grid is ``(n, G + 1, G + 1)`` with ``grid[i, h, a]`` = P(match ``i`` ends ``h``–``a``).
:func:`reconcile` rescales its home-win, draw and away-win regions so that the grid's 1X2
equals the served 1X2 exactly; every market below is then a sum over the grid, so the
markets of one record never contradict each other or the served 1X2.

Asian handicap (line ``L`` on the home side; the away side takes ``-L``): the bet is
settled on ``d + L`` with ``d`` = home minus away goals. Whole and half lines: win if
``d + L > 0``, push (stake back) if ``= 0``, loss if ``< 0``. Quarter lines (``±0.25``,
``±0.75`` …) split the stake over the two neighbouring lines ``L ± 0.25``, so one half can
win or push while the other loses: half-win / half-loss. The fair price is the
expected-payout price: the decimal odds ``O`` at which the expected return of a unit
stake is exactly 1 (:func:`fair_odds`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

import numpy as np
import orjson
from numpy.typing import NDArray

from matchcast.data.prediction_contract import MARKET_NAMES

FloatArray = NDArray[np.float64]
Settlement = Literal["win", "half_win", "push", "half_loss", "loss"]

OU_LINES: Final = (0.5, 1.5, 2.5, 3.5, 4.5)
AH_LINES: Final = tuple(float(x) for x in np.arange(-2.5, 2.5001, 0.25))
TOP_SCORES: Final = 10
DIGITS: Final = 6


def regions(grid: FloatArray) -> FloatArray:
    """Home-win, draw and away-win probabilities of each grid, shape ``(n, 3)``."""
    size = grid.shape[-1]
    home = np.tril(np.ones((size, size), dtype=bool), -1)  # h > a
    draw = np.eye(size, dtype=bool)
    away = ~(home | draw)
    return np.stack([grid[:, m].sum(axis=1) for m in (home, draw, away)], axis=1)


def reconcile(grid: FloatArray, probs: FloatArray) -> FloatArray:
    """Rescale each grid's H/D/A regions so that its 1X2 equals ``probs`` exactly.

    Inside each region the relative likelihood of scores is the scoreline model's; the
    mass of the region is the served 1X2's.

    Args:
        grid: ``(n, G + 1, G + 1)`` score grids.
        probs: ``(n, 3)`` served H/D/A probabilities (rows sum to 1).

    Returns:
        The reconciled grids (a new array).
    """
    size = grid.shape[-1]
    current = regions(grid)
    if (current <= 0).any():
        raise ValueError("a grid has an empty home, draw or away region")
    scale = np.asarray(probs, dtype=np.float64) / current
    h, a = np.indices((size, size))
    which = np.where(h > a, 0, np.where(h == a, 1, 2))
    out = grid * np.take_along_axis(scale, which.reshape(1, -1), axis=1).reshape(-1, size, size)
    return np.asarray(out, dtype=np.float64)


def goal_difference(grid: FloatArray) -> FloatArray:
    """P(home minus away goals = d) for ``d`` in ``-G..G``, shape ``(n, 2G + 1)``."""
    size = grid.shape[-1]
    return np.stack(
        [np.trace(grid, offset=-d, axis1=1, axis2=2) for d in range(-(size - 1), size)], axis=1
    )


def total_goals(grid: FloatArray) -> FloatArray:
    """P(home plus away goals = t) for ``t`` in ``0..2G``, shape ``(n, 2G + 1)``."""
    size = grid.shape[-1]
    flipped = grid[:, :, ::-1]
    return np.stack(
        [np.trace(flipped, offset=size - 1 - t, axis1=1, axis2=2) for t in range(2 * size - 1)],
        axis=1,
    )


def _whole_or_half(adjusted: float) -> Settlement:
    if adjusted > 0:
        return "win"
    return "push" if adjusted == 0 else "loss"


def settle(goal_diff: int, line: float) -> Settlement:
    """Settlement of an Asian-handicap bet on the home side at ``line``.

    Args:
        goal_diff: Home minus away goals.
        line: The home side's handicap (a multiple of 0.25; ``-0.75`` = gives 0.75 goals).

    Returns:
        ``win``, ``half_win``, ``push``, ``half_loss`` or ``loss``.
    """
    quarters = round(line * 4)
    if abs(line * 4 - quarters) > 1e-9:
        raise ValueError(f"Asian-handicap line {line} is not a multiple of 0.25")
    if quarters % 2 == 0:  # whole or half line
        return _whole_or_half(goal_diff + line)
    halves = {_whole_or_half(goal_diff + line - 0.25), _whole_or_half(goal_diff + line + 0.25)}
    if halves == {"win"}:
        return "win"
    if halves == {"loss"}:
        return "loss"
    return "half_win" if "win" in halves else "half_loss"


def payout(settlement: Settlement, odds: float) -> float:
    """Return of a unit stake at decimal ``odds`` (stake included)."""
    return {
        "win": odds,
        "half_win": (odds + 1.0) / 2.0,
        "push": 1.0,
        "half_loss": 0.5,
        "loss": 0.0,
    }[settlement]


SETTLEMENTS: Final[tuple[Settlement, ...]] = ("win", "half_win", "push", "half_loss", "loss")


def handicap_outcomes(diff_probs: FloatArray, line: float) -> dict[Settlement, FloatArray]:
    """P(each settlement) of the home side at ``line``, from goal-difference probabilities."""
    size = (diff_probs.shape[1] + 1) // 2
    out = {s: np.zeros(diff_probs.shape[0]) for s in SETTLEMENTS}
    for j, d in enumerate(range(-(size - 1), size)):
        out[settle(d, line)] += diff_probs[:, j]
    return out


def fair_odds(p: Mapping[Settlement, FloatArray]) -> FloatArray:
    """Expected-payout fair odds: ``O`` with expected return 1 per unit stake.

    ``p_win O + p_half_win (O + 1) / 2 + p_push + p_half_loss / 2 = 1``.
    """
    numerator = 1.0 - p["push"] - 0.5 * p["half_win"] - 0.5 * p["half_loss"]
    denominator = p["win"] + 0.5 * p["half_win"]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(numerator / denominator, dtype=np.float64)


def handicap_home_probability(diff_probs: FloatArray, lines: FloatArray) -> FloatArray:
    """Two-way probability of the home side at each row's own line (expected-payout form).

    ``1 / O_home`` normalised with ``1 / O_away``: the number a de-margined two-way
    price is compared with. NaN where the line is missing.
    """
    out = np.full(len(lines), np.nan)
    for line in np.unique(lines[np.isfinite(lines)]):
        rows = np.flatnonzero(lines == line)
        sub = diff_probs[rows]
        home = 1.0 / fair_odds(handicap_outcomes(sub, float(line)))
        away = 1.0 / fair_odds(handicap_outcomes(sub[:, ::-1], float(-line)))
        out[rows] = home / (home + away)
    return out


def over_probability(grid: FloatArray, line: float) -> FloatArray:
    """P(total goals > ``line``) for a half line."""
    totals = total_goals(grid)
    return np.asarray(totals[:, np.arange(totals.shape[1]) > line].sum(axis=1), dtype=np.float64)


def btts_probability(grid: FloatArray) -> FloatArray:
    """P(both teams score)."""
    return np.asarray(grid[:, 1:, 1:].sum(axis=(1, 2)), dtype=np.float64)


def expected_goals(grid: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Expected home and away goals of each grid."""
    goals = np.arange(grid.shape[-1], dtype=np.float64)
    return grid.sum(axis=2) @ goals, grid.sum(axis=1) @ goals


def _r(value: float) -> float:
    return round(float(value), DIGITS)


def _odds(value: float) -> float | None:
    return None if not np.isfinite(value) or value <= 0 else round(float(value), 4)


def price_markets(grid: FloatArray) -> list[dict[str, Any]]:
    """Every market of each grid as a JSON-ready record (keys: ``MARKET_NAMES`` of the contract)."""
    n = grid.shape[0]
    hda = regions(grid)
    totals = {line: over_probability(grid, line) for line in OU_LINES}
    btts = btts_probability(grid)
    xg_home, xg_away = expected_goals(grid)
    diffs = goal_difference(grid)
    ah: dict[float, tuple[dict[Settlement, FloatArray], dict[Settlement, FloatArray]]] = {
        line: (handicap_outcomes(diffs, line), handicap_outcomes(diffs[:, ::-1], -line))
        for line in AH_LINES
    }
    ah_odds = {line: (fair_odds(h), fair_odds(a)) for line, (h, a) in ah.items()}
    size = grid.shape[-1]
    flat = grid.reshape(n, -1)
    top = np.argsort(-flat, axis=1, kind="stable")[:, :TOP_SCORES]
    records: list[dict[str, Any]] = []
    for i in range(n):
        h, d, a = (float(v) for v in hda[i])
        records.append(
            {
                "1x2": {"home": _r(h), "draw": _r(d), "away": _r(a)},
                "double_chance": {
                    "home_or_draw": _r(h + d),
                    "home_or_away": _r(h + a),
                    "draw_or_away": _r(d + a),
                },
                "over_under": [
                    {"line": line, "over": _r(p[i]), "under": _r(1.0 - p[i])}
                    for line, p in totals.items()
                ],
                "btts": {"yes": _r(btts[i]), "no": _r(1.0 - btts[i])},
                "asian_handicap": [
                    {
                        "line": line,
                        "home": {s: _r(home[s][i]) for s in SETTLEMENTS}
                        | {"fair_odds": _odds(ah_odds[line][0][i])},
                        "away": {s: _r(away[s][i]) for s in SETTLEMENTS}
                        | {"fair_odds": _odds(ah_odds[line][1][i])},
                    }
                    for line, (home, away) in ah.items()
                ],
                "correct_scores": [
                    {"home": int(k // size), "away": int(k % size), "p": _r(flat[i, k])}
                    for k in top[i]
                ],
                "expected_goals": {"home": _r(xg_home[i]), "away": _r(xg_away[i])},
            }
        )
    return records


def markets_json(grid: FloatArray) -> list[str]:
    """:func:`price_markets` serialised, one JSON text per grid (keys in contract order)."""
    records = price_markets(grid)
    return [orjson.dumps({name: r[name] for name in MARKET_NAMES}).decode() for r in records]
