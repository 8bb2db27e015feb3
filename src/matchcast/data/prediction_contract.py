"""The contract of ``predictions.parquet`` and ``finished.parquet``: columns, dtypes, checks.

One owner for the published forecast files (ADR-0017). The batch stage builds its frames
with :func:`forecast_frame` and checks them with :func:`validate_forecasts` before writing;
the API's prediction index checks every file it loads with the same function; the test
fixtures build their synthetic files with :func:`forecast_frame` too.

``predictions.parquet`` has one row per scheduled match with :data:`PREDICTION_COLUMNS`;
its ``markets`` column holds every market priced from the match's score grid as one JSON
object keyed by :data:`MARKET_NAMES` (null when no scoreline model was available, and in
``finished.parquet``, whose forecasts come from the prediction log).
``forecast_kind`` says which forecast ``p_*`` is (``football``: the registry champion,
features only, the default of ADR-0019); ``p_market_aware_*`` is the market-aware forecast
(pre-match price plus football residual) where the match has pre-match odds, else null.
``finished.parquet`` has the same columns plus :data:`OUTCOME_COLUMNS`: the last forecast
each recently finished match got before kick-off, with its result and whether it was right.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import orjson
import pandas as pd

from matchcast.data import columns as C

PROBABILITY_COLUMNS: Final = ("p_home", "p_draw", "p_away")
FAIR_ODDS_COLUMNS: Final = ("fair_odds_home", "fair_odds_draw", "fair_odds_away")
#: Which forecast ``p_*`` holds (ADR-0019); the other one, where it exists, is beside it.
FORECAST_KIND: Final = "forecast_kind"
FORECAST_KINDS: Final = ("football", "market_aware")
DEFAULT_FORECAST_KIND: Final = "football"
MARKET_AWARE_COLUMNS: Final = ("p_market_aware_home", "p_market_aware_draw", "p_market_aware_away")
MARKET_ODDS_COLUMNS: Final = ("market_odds_home", "market_odds_draw", "market_odds_away")
MARKET_ODDS_SOURCE: Final = "market_odds_source"
PREDICTED: Final = "predicted"
REASONS: Final = "reasons"
MARKETS: Final = "markets"
#: Keys of the ``markets`` object (and of ``GET /predict/{id}?markets=…``).
MARKET_NAMES: Final = ("1x2", "double_chance", "over_under", "btts", "asian_handicap",
                       "correct_scores", "expected_goals")  # fmt: skip
#: Short names accepted by ``?markets=`` beside the full ones.
MARKET_ALIASES: Final[Mapping[str, str]] = {
    "dc": "double_chance",
    "ou": "over_under",
    "ah": "asian_handicap",
    "scores": "correct_scores",
    "xg": "expected_goals",
}
#: The grid's 1X2 and the served 1X2 may differ by at most this much (ADR-0015).
MARKETS_1X2_TOLERANCE: Final = 0.005
CORRECT: Final = "correct"
KEY_COLUMNS: Final = (C.MATCH_ID, C.LEAGUE, C.SEASON, C.KICKOFF, C.HOME_TEAM, C.AWAY_TEAM)
PROVENANCE_COLUMNS: Final = (
    "model_name",
    "model_version",
    "model_alias",
    "model_run_id",
    "data_version",
    "features_as_of",
    "computed_at",
)
PREDICTION_COLUMNS: Final = (
    *KEY_COLUMNS,
    *PROBABILITY_COLUMNS,
    FORECAST_KIND,
    *MARKET_AWARE_COLUMNS,
    PREDICTED,
    *FAIR_ODDS_COLUMNS,
    *MARKET_ODDS_COLUMNS,
    MARKET_ODDS_SOURCE,
    REASONS,
    MARKETS,
    *PROVENANCE_COLUMNS,
)
OUTCOME_COLUMNS: Final = (C.STATUS, C.RESULT, CORRECT)
FINISHED_COLUMNS: Final = (*PREDICTION_COLUMNS, *OUTCOME_COLUMNS)

# The kind of each column: text (str or object), float64, UTC timestamp, bool.
TEXT, FLOAT, TIMESTAMP, BOOL = "text", "float", "timestamp", "bool"
DTYPES: Final[Mapping[str, str]] = {
    **{name: TEXT for name in FINISHED_COLUMNS},
    **{
        name: FLOAT
        for name in (
            *PROBABILITY_COLUMNS,
            *MARKET_AWARE_COLUMNS,
            *FAIR_ODDS_COLUMNS,
            *MARKET_ODDS_COLUMNS,
        )
    },
    C.KICKOFF: TIMESTAMP,
    "computed_at": TIMESTAMP,
    CORRECT: BOOL,
}
PROBABILITY_SUM_TOLERANCE: Final = 1e-6


def _has_kind(series: pd.Series[Any], kind: str) -> bool:
    if kind == FLOAT:
        return pd.api.types.is_float_dtype(series.dtype)
    if kind == TIMESTAMP:
        return isinstance(series.dtype, pd.DatetimeTZDtype) and str(series.dtype.tz) == "UTC"
    if kind == BOOL:
        return pd.api.types.is_bool_dtype(series.dtype)
    return pd.api.types.is_string_dtype(series.dtype) or series.dtype == object


def validate_forecasts(frame: pd.DataFrame, finished: bool = False) -> None:
    """Check a frame against the contract of ``predictions.parquet`` / ``finished.parquet``.

    Args:
        frame: The frame to check (extra columns are allowed).
        finished: It is a ``finished.parquet`` frame: the outcome columns are required,
            every row is finished with a result, and data versions may differ between rows
            (each logged forecast keeps the one it was made with).

    Raises:
        ValueError: A column is missing or of the wrong dtype, a match id repeats,
            probabilities do not sum to 1, or the rows break the file's invariants.
    """
    required = FINISHED_COLUMNS if finished else PREDICTION_COLUMNS
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(f"predictions file lacks columns {missing}")
    mistyped = [
        f"{c} ({frame[c].dtype}, expected {DTYPES[c]})"
        for c in required
        if not frame.empty and not _has_kind(frame[c], DTYPES[c])
    ]
    if mistyped:
        raise ValueError(f"predictions file has columns of the wrong dtype: {mistyped}")
    duplicated = frame[C.MATCH_ID][frame[C.MATCH_ID].duplicated()].tolist()
    if duplicated:
        raise ValueError(f"predictions file has duplicate match_id values, e.g. {duplicated[:3]}")
    total = frame[list(PROBABILITY_COLUMNS)].sum(axis=1)
    bad = frame.loc[(total - 1.0).abs() > PROBABILITY_SUM_TOLERANCE, C.MATCH_ID].tolist()
    if bad:
        raise ValueError(f"probabilities do not sum to 1 for {len(bad)} rows, e.g. {bad[:3]}")
    _check_market_aware(frame)
    _check_markets(frame)
    if finished:
        if (frame[C.STATUS] != C.FINISHED).any() or frame[C.RESULT].isna().any():
            raise ValueError("finished forecasts file has rows without status finished or result")
        return
    versions = frame["data_version"].unique().tolist()
    if len(versions) > 1:
        raise ValueError(f"predictions file mixes data versions {versions[:3]}")


def _check_market_aware(frame: pd.DataFrame) -> None:
    """Known forecast kinds; a market-aware triple is all null or sums to 1."""
    kinds = sorted(set(frame[FORECAST_KIND].astype(str)) - set(FORECAST_KINDS))
    if kinds:
        raise ValueError(f"unknown {FORECAST_KIND} values {kinds[:3]}; expected {FORECAST_KINDS}")
    aware = frame[list(MARKET_AWARE_COLUMNS)].to_numpy(dtype=np.float64, na_value=np.nan)
    known = np.isfinite(aware)
    partial = known.any(axis=1) & ~known.all(axis=1)
    off = known.all(axis=1) & (np.abs(aware.sum(axis=1) - 1.0) > PROBABILITY_SUM_TOLERANCE)
    bad = frame.loc[partial | off, C.MATCH_ID].tolist()
    if bad:
        raise ValueError(
            f"market-aware probabilities are partial or do not sum to 1 for {len(bad)} rows, "
            f"e.g. {bad[:3]}"
        )


def _check_markets(frame: pd.DataFrame) -> None:
    """Each non-null ``markets`` object is JSON with every market and the served 1X2."""
    for match_id, text, p_home, p_draw, p_away in zip(
        frame[C.MATCH_ID], frame[MARKETS], *(frame[c] for c in PROBABILITY_COLUMNS), strict=True
    ):
        if text is None or (isinstance(text, float) and np.isnan(text)):
            continue
        try:
            markets = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"markets of {match_id} is not JSON: {exc}") from None
        absent = [name for name in MARKET_NAMES if name not in markets]
        if absent:
            raise ValueError(f"markets of {match_id} lack {absent}")
        grid = markets["1x2"]
        gap = max(
            abs(grid["home"] - p_home), abs(grid["draw"] - p_draw), abs(grid["away"] - p_away)
        )
        if gap > MARKETS_1X2_TOLERANCE:
            raise ValueError(
                f"markets of {match_id}: the grid's 1X2 is {gap:.4f} from the served 1X2 "
                f"(at most {MARKETS_1X2_TOLERANCE})"
            )


def market_odds(rows: pd.DataFrame, market: pd.DataFrame) -> pd.DataFrame:
    """The pre-match odds of ``rows`` (by match id), null where unknown or not above 1.

    Args:
        rows: Frame with ``match_id``.
        market: The match table's ``match_id``, ``odds_pre_*`` and ``odds_pre_source``.

    Returns:
        :data:`MARKET_ODDS_COLUMNS` and :data:`MARKET_ODDS_SOURCE`, aligned with ``rows``.
    """
    odds = rows[[C.MATCH_ID]].merge(market, on=C.MATCH_ID, how="left")
    pre = np.array(
        odds.reindex(columns=list(C.ODDS_PRE)).to_numpy(dtype=np.float64, na_value=np.nan)
    )
    known = np.isfinite(pre).all(axis=1) & (pre > 1.0).all(axis=1)
    pre[~known] = np.nan
    source = odds.get(C.ODDS_PRE_SOURCE, pd.Series([None] * len(odds))).astype(object)
    source = source.where(pd.Series(known) & source.notna(), None)
    out = pd.DataFrame(pre, columns=list(MARKET_ODDS_COLUMNS))
    out[MARKET_ODDS_SOURCE] = source.to_numpy()
    return out


def forecast_frame(
    keys: pd.DataFrame,
    probs: npt.NDArray[np.float64],
    odds: pd.DataFrame,
    reasons: Sequence[str] | str,
    provenance: Mapping[str, Any],
    predicted: Sequence[str] | npt.NDArray[Any] | None = None,
    outcome: Mapping[str, Any] | None = None,
    markets: Sequence[str | None] | None = None,
    market_aware: npt.NDArray[np.float64] | None = None,
) -> pd.DataFrame:
    """Lay out forecasts in the contract's column order and dtypes.

    Args:
        keys: One row per forecast with :data:`KEY_COLUMNS`.
        probs: (n, 3) probabilities aligned with ``keys``.
        odds: :data:`MARKET_ODDS_COLUMNS` and the source, aligned (see :func:`market_odds`).
        reasons: JSON reasons per row, or one string for every row.
        provenance: Every :data:`PROVENANCE_COLUMNS` entry, a scalar or one value per row.
        predicted: The predicted outcome per row; None takes the most likely one.
        outcome: For ``finished.parquet``: ``result`` and ``correct`` per row.
        markets: JSON markets per row (see :data:`MARKET_NAMES`); None: null for every row.
        market_aware: (n, 3) market-aware probabilities aligned with ``keys`` (NaN rows
            without pre-match odds); None: null for every row. ``p_*`` stays the
            football-only forecast (``forecast_kind`` ``football``, ADR-0019).

    Returns:
        :data:`PREDICTION_COLUMNS` (plus :data:`OUTCOME_COLUMNS` when ``outcome`` is given).
    """
    if predicted is None:
        predicted = np.array(C.RESULTS)[probs.argmax(axis=1)] if len(probs) else []
    aware = np.full((len(keys), 3), np.nan) if market_aware is None else market_aware
    columns: dict[str, Any] = {
        C.MATCH_ID: keys[C.MATCH_ID].astype(str).to_numpy(),
        C.LEAGUE: keys[C.LEAGUE].astype(str).to_numpy(),
        C.SEASON: keys[C.SEASON].astype(str).to_numpy(),
        C.KICKOFF: pd.to_datetime(keys[C.KICKOFF], utc=True).to_numpy(),
        C.HOME_TEAM: keys[C.HOME_TEAM].astype(str).to_numpy(),
        C.AWAY_TEAM: keys[C.AWAY_TEAM].astype(str).to_numpy(),
        **{name: probs[:, i] for i, name in enumerate(PROBABILITY_COLUMNS)},
        FORECAST_KIND: DEFAULT_FORECAST_KIND,
        **{name: aware[:, i].astype(np.float64) for i, name in enumerate(MARKET_AWARE_COLUMNS)},
        PREDICTED: np.asarray(predicted, dtype=object).astype(str),
        **{name: 1.0 / probs[:, i] for i, name in enumerate(FAIR_ODDS_COLUMNS)},
        **{name: odds[name].to_numpy() for name in (*MARKET_ODDS_COLUMNS, MARKET_ODDS_SOURCE)},
        REASONS: reasons if isinstance(reasons, str) else list(reasons),
        MARKETS: [None] * len(keys) if markets is None else list(markets),
        **{name: provenance[name] for name in PROVENANCE_COLUMNS},
    }
    if outcome is not None:
        columns[C.STATUS] = C.FINISHED
        columns[C.RESULT] = np.asarray(outcome[C.RESULT]).astype(str)
        columns[CORRECT] = np.asarray(outcome[CORRECT]).astype(bool)
    frame = pd.DataFrame(columns)
    for name in (C.KICKOFF, "computed_at"):
        frame[name] = pd.to_datetime(frame[name], utc=True)
    return frame
