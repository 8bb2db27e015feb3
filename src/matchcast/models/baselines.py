"""Naive reference forecasts that every model must beat."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


class ClassPrior:
    """Home/draw/away frequencies of earlier matches, optionally per league.

    Per-league frequencies are shrunk towards the pooled frequencies with ``prior_strength``
    pseudo-matches, so a league with little history falls back to the overall rates and an
    unseen league gets exactly the overall rates.

    Args:
        per_league: Estimate separate frequencies for each league.
        prior_strength: Pseudo-matches of the pooled frequencies added to each league.
    """

    def __init__(self, per_league: bool = False, prior_strength: float = 50.0) -> None:
        self.per_league = per_league
        self.prior_strength = prior_strength
        self.overall_: FloatArray | None = None
        self.by_league_: dict[str, FloatArray] = {}

    def fit(
        self, y: npt.ArrayLike, leagues: Sequence[str] | npt.ArrayLike | None = None
    ) -> ClassPrior:
        """Count outcomes.

        Args:
            y: Outcome codes (0 = H, 1 = D, 2 = A) of the training matches.
            leagues: League of each training match; required when ``per_league``.

        Returns:
            ``self``.
        """
        outcomes = np.asarray(y, dtype=np.int64)
        if outcomes.size == 0:
            raise ValueError("ClassPrior needs at least one training outcome")
        counts = np.bincount(outcomes, minlength=3).astype(np.float64)
        self.overall_ = counts / counts.sum()
        self.by_league_ = {}
        if self.per_league:
            if leagues is None:
                raise ValueError("per_league=True needs the league of each match")
            league_arr = np.asarray(leagues, dtype=object).astype(str)
            for league in np.unique(league_arr):
                league_counts = np.bincount(outcomes[league_arr == league], minlength=3)
                shrunk = league_counts + self.prior_strength * self.overall_
                self.by_league_[str(league)] = shrunk / shrunk.sum()
        return self

    def predict_proba(self, leagues: Sequence[str] | npt.ArrayLike) -> FloatArray:
        """Frequencies for each match to forecast.

        Args:
            leagues: League of each match (only its length matters when not ``per_league``).

        Returns:
            Array of shape ``(n, 3)`` ordered ``[H, D, A]``.
        """
        if self.overall_ is None:
            raise RuntimeError("ClassPrior is not fitted")
        league_arr = np.asarray(leagues, dtype=object).astype(str)
        out = np.tile(self.overall_, (league_arr.shape[0], 1))
        for league, freq in self.by_league_.items():
            out[league_arr == league] = freq
        return out
