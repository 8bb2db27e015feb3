"""Vectorised "last N earlier rows of the same key" sums, exact and point-in-time.

Rows (team-matches, league matches, meetings of a pair) are sorted by (key, day). A query
(key, day) sees only rows of its key from strictly earlier days, so matches played on the
same date never see each other. Sums run on integers (goals, shots, points), so they are
exact: adding rows for other keys or later days never changes a past value by a rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matchcast.features.timeline import FloatArray, IntArray


@dataclass(frozen=True)
class KeyedRows:
    """Rows sorted by (key, day, tie-break), with the start of each key's block."""

    keys: IntArray
    days: IntArray
    order: IntArray  # sorted position -> original row
    start: IntArray  # sorted position -> first sorted position of its key

    @classmethod
    def build(cls, keys: IntArray, days: IntArray, tiebreak: IntArray) -> KeyedRows:
        """Sort rows by (key, day, tiebreak).

        Args:
            keys: Grouping key per row (team, league, pair).
            days: Day number per row.
            tiebreak: Deterministic order among rows of one key and day.

        Returns:
            The sorted rows.
        """
        order = np.lexsort((tiebreak, days, keys)).astype(np.int64)
        k = keys[order]
        return cls(keys=k, days=days[order], order=order, start=np.searchsorted(k, k, "left"))

    def last_before(self, q_keys: IntArray, q_days: IntArray) -> IntArray:
        """Sorted position of the last row with the same key and an earlier day, else -1."""
        if len(self.keys) == 0:
            return np.full(len(q_keys), -1, dtype=np.int64)
        lo = min(int(self.days.min()), int(q_days.min()) if len(q_days) else 0)
        span = max(int(self.days.max()), int(q_days.max()) if len(q_days) else 0) - lo + 2
        row_code = self.keys * span + (self.days - lo)
        q_code = q_keys * span + (q_days - lo)
        pos = np.searchsorted(row_code, q_code, "left").astype(np.int64) - 1
        valid = pos >= 0
        valid[valid] = self.keys[pos[valid]] == q_keys[valid]
        return np.where(valid, pos, -1)

    def window_sum(self, values: IntArray, window: int) -> IntArray:
        """Sum of ``values`` (original row order) over the last ``window`` rows of each key.

        Element ``p`` covers sorted positions ``max(p - window + 1, start[p]) .. p``.
        """
        cs0 = np.concatenate([[0], np.cumsum(values[self.order])])
        p = np.arange(len(self.keys), dtype=np.int64)
        first = np.maximum(p - window + 1, self.start)
        return np.asarray(cs0[p + 1] - cs0[first], dtype=np.int64)

    def window_len(self, window: int) -> IntArray:
        """Number of rows inside each row's window."""
        p = np.arange(len(self.keys), dtype=np.int64)
        return np.asarray(p - np.maximum(p - window + 1, self.start) + 1, dtype=np.int64)


def gather(values: FloatArray | IntArray, pos: IntArray) -> FloatArray:
    """``values[pos]`` as floats, NaN where ``pos`` is -1."""
    out = np.full(len(pos), np.nan)
    ok = pos >= 0
    out[ok] = values[pos[ok]]
    return out


def as_counts(values: FloatArray) -> tuple[IntArray, IntArray]:
    """Integer counts (NaN -> 0) and a 0/1 'known' indicator."""
    known = ~np.isnan(values)
    return np.where(known, np.rint(np.nan_to_num(values)), 0).astype(np.int64), known.astype(
        np.int64
    )
