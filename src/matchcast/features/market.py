"""Market-derived features (``m_*``): pre-match prices with the margin removed.

Only used when ``model.use_market_features`` is true. Pre-match (not closing) prices are
used because they exist for scheduled matches too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from matchcast.data import columns as c
from matchcast.features.timeline import FloatArray


def market_features(matches: pd.DataFrame) -> dict[str, FloatArray]:
    """Proportionally de-margined pre-match probabilities and the overround.

    Args:
        matches: Match rows (already in output order).

    Returns:
        ``m_p_home``, ``m_p_draw``, ``m_p_away``, ``m_overround``; NaN without prices.
    """
    odds = np.column_stack(
        [pd.to_numeric(matches[col], errors="coerce").to_numpy(np.float64) for col in c.ODDS_PRE]
    )
    odds = np.where(odds > 1.0, odds, np.nan)
    inverse = 1.0 / odds
    book = inverse.sum(axis=1)
    probs = inverse / book[:, None]
    return {
        "m_p_home": probs[:, 0],
        "m_p_draw": probs[:, 1],
        "m_p_away": probs[:, 2],
        "m_overround": book - 1.0,
    }
