"""Data and prediction drift: population stability index and two-sample KS tests.

The reference sample is chosen by :func:`reference_window` (the same stretch of the
calendar in earlier seasons, see ADR-0007); the current sample is the scheduled matches
being predicted. Every function here is pure: frames in, numbers out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from matchcast.data import columns as C
from matchcast.data.prediction_contract import PROBABILITY_COLUMNS

FloatArray = npt.NDArray[np.float64]

#: Bin shares are floored here before taking logs, so an empty bin costs a finite amount.
PSI_EPS = 1e-4
MISSING_BIN = "missing"


@dataclass(frozen=True)
class DriftThresholds:
    """When a feature (or a predicted probability) counts as drifted.

    Attributes:
        psi: PSI at or above this is a large shift (0.1 moderate, 0.25 major by convention).
        ks_alpha: Family-wise level of the KS tests; each test uses ``ks_alpha / k``
            for ``k`` tested columns (Bonferroni), so 100 stable features do not flag one
            by chance.
        bins: Quantile bins of the reference for PSI.
        min_samples: Fewer non-missing values than this on either side: not tested.
    """

    psi: float = 0.25
    ks_alpha: float = 0.01
    bins: int = 10
    min_samples: int = 30

    def __post_init__(self) -> None:
        if self.psi <= 0 or not 0 < self.ks_alpha < 1 or self.bins < 2 or self.min_samples < 1:
            raise ValueError(f"invalid drift thresholds: {self}")


def _finite(values: npt.ArrayLike) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    return np.asarray(array[np.isfinite(array)], dtype=np.float64)


def quantile_edges(reference: npt.ArrayLike, bins: int) -> FloatArray:
    """Interior bin edges at the reference's quantiles (ties merged).

    Args:
        reference: Reference values (NaN ignored).
        bins: Wanted number of bins; fewer come out when values repeat.

    Returns:
        Sorted unique edges; ``len(edges) + 1`` bins, the outer ones open-ended.
    """
    values = _finite(reference)
    if values.size == 0:
        return np.empty(0)
    inner = np.quantile(values, np.linspace(0.0, 1.0, bins + 1)[1:-1])
    return np.asarray(np.unique(inner), dtype=np.float64)


def bin_shares(values: npt.ArrayLike, edges: FloatArray) -> FloatArray:
    """Share of values in each bin, plus a last entry for missing (NaN) values.

    A value equal to an edge goes to the bin above it, on both sides alike.
    """
    array = np.asarray(values, dtype=np.float64)
    if array.size == 0:
        return np.zeros(len(edges) + 2)
    missing = ~np.isfinite(array)
    index = np.searchsorted(edges, array[~missing], side="right")
    counts = np.bincount(index, minlength=len(edges) + 1).astype(np.float64)
    counts = np.append(counts, float(missing.sum()))
    return np.asarray(counts / array.size, dtype=np.float64)


def psi_from_shares(reference: FloatArray, current: FloatArray, eps: float = PSI_EPS) -> float:
    """``sum((c - r) * ln(c / r))`` over bins, shares floored at ``eps``."""
    r = np.maximum(reference, eps)
    c = np.maximum(current, eps)
    return float(np.sum((c - r) * np.log(c / r)))


def psi(reference: npt.ArrayLike, current: npt.ArrayLike, bins: int = 10) -> float:
    """Population stability index of ``current`` against ``reference``.

    Bins are the reference's quantiles (about equal reference mass per bin); missing
    values form one more bin, so a change in how often a feature is missing counts too.

    Args:
        reference: Reference sample.
        current: Current sample.
        bins: Number of quantile bins.

    Returns:
        PSI (0 = same distribution).
    """
    edges = quantile_edges(reference, bins)
    return psi_from_shares(bin_shares(reference, edges), bin_shares(current, edges))


def ks_test(reference: npt.ArrayLike, current: npt.ArrayLike) -> tuple[float, float]:
    """Two-sample Kolmogorov–Smirnov statistic and p-value on the non-missing values."""
    result = stats.ks_2samp(_finite(reference), _finite(current))
    return float(result.statistic), float(result.pvalue)


@dataclass(frozen=True)
class ColumnDrift:
    """Drift of one column between the reference and the current sample."""

    column: str
    n_reference: int
    n_current: int
    missing_reference: float
    missing_current: float
    mean_reference: float | None
    mean_current: float | None
    psi: float | None
    ks_statistic: float | None
    ks_pvalue: float | None
    drifted: bool
    edges: tuple[float, ...]
    reference_shares: tuple[float, ...]
    current_shares: tuple[float, ...]

    def to_json(self) -> dict[str, Any]:
        """The JSON entry of this column (without the bin detail)."""
        return {
            "feature": self.column,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "missing_reference": _round(self.missing_reference),
            "missing_current": _round(self.missing_current),
            "mean_reference": _round(self.mean_reference),
            "mean_current": _round(self.mean_current),
            "psi": _round(self.psi),
            "ks_statistic": _round(self.ks_statistic),
            "ks_pvalue": _pvalue(self.ks_pvalue),
            "drifted": self.drifted,
        }


def _round(value: float | None, digits: int = 6) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def _pvalue(value: float | None) -> float | None:
    # p-values span hundreds of orders of magnitude: keep significant digits, not decimals.
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.6g}")


def _mean(values: FloatArray) -> float | None:
    return float(values.mean()) if values.size else None


def column_drift(
    column: str,
    reference: npt.ArrayLike,
    current: npt.ArrayLike,
    thresholds: DriftThresholds,
    n_tests: int = 1,
) -> ColumnDrift:
    """PSI, KS test and the drift flag of one column.

    The column is drifted when both tests agree: its PSI reaches ``thresholds.psi`` (the
    shift is large) and the KS test rejects at ``ks_alpha / n_tests`` (it is not noise of
    a small sample, or of quantile bins on a feature with few distinct values). With
    fewer than ``min_samples`` non-missing values on either side nothing is tested.

    Args:
        column: Column name (reported).
        reference: Reference values.
        current: Current values.
        thresholds: Drift thresholds.
        n_tests: Number of columns tested together (Bonferroni divisor).

    Returns:
        The column's drift.
    """
    ref = np.asarray(reference, dtype=np.float64)
    cur = np.asarray(current, dtype=np.float64)
    ref_ok, cur_ok = _finite(ref), _finite(cur)
    missing_ref = 1.0 - ref_ok.size / ref.size if ref.size else 0.0
    missing_cur = 1.0 - cur_ok.size / cur.size if cur.size else 0.0
    edges = quantile_edges(ref, thresholds.bins)
    ref_shares, cur_shares = bin_shares(ref, edges), bin_shares(cur, edges)
    value_psi = ks_stat = ks_p = None
    drifted = False
    if min(ref_ok.size, cur_ok.size) >= thresholds.min_samples:
        value_psi = psi_from_shares(ref_shares, cur_shares)
        ks_stat, ks_p = ks_test(ref_ok, cur_ok)
        ks_rejects = ks_p < thresholds.ks_alpha / max(n_tests, 1)
        drifted = value_psi >= thresholds.psi and ks_rejects
    return ColumnDrift(
        column=column,
        n_reference=int(ref.size),
        n_current=int(cur.size),
        missing_reference=missing_ref,
        missing_current=missing_cur,
        mean_reference=_mean(ref_ok),
        mean_current=_mean(cur_ok),
        psi=value_psi,
        ks_statistic=ks_stat,
        ks_pvalue=ks_p,
        drifted=drifted,
        edges=tuple(float(e) for e in edges),
        reference_shares=tuple(float(s) for s in ref_shares),
        current_shares=tuple(float(s) for s in cur_shares),
    )


def frame_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    columns: Sequence[str],
    thresholds: DriftThresholds,
) -> list[ColumnDrift]:
    """Drift of every listed column (a column absent from a frame counts as all missing).

    Args:
        reference: Reference rows.
        current: Current rows.
        columns: Columns to compare.
        thresholds: Drift thresholds; the KS level is shared by all ``columns``.

    Returns:
        One :class:`ColumnDrift` per column, in the given order.
    """

    def values(frame: pd.DataFrame, name: str) -> FloatArray:
        if name not in frame.columns:
            return np.full(len(frame), np.nan)
        return np.asarray(
            pd.to_numeric(frame[name], errors="coerce").to_numpy(np.float64, na_value=np.nan)
        )

    return [
        column_drift(name, values(reference, name), values(current, name), thresholds, len(columns))
        for name in columns
    ]


def reference_window(
    finished: pd.DataFrame,
    current: pd.DataFrame,
    as_of: pd.Timestamp,
    years: int,
) -> pd.DataFrame:
    """The reference rows: the current matches' stretch of the calendar in earlier seasons.

    For ``k = 1 .. years`` the current matches' date span is shifted back ``k`` years;
    reference rows are finished matches of the same leagues whose date falls in one of
    those spans and on or before ``as_of``. Comparing like with like (the end of a season
    with the ends of earlier seasons) keeps features that follow the season's phase, such
    as the league table, from drifting by construction.

    Args:
        finished: Candidate reference rows (``date`` and ``league`` columns).
        current: The rows being predicted (``date`` and ``league``).
        as_of: Information cut-off; no reference row lies after it.
        years: How many earlier seasons to take.

    Returns:
        The reference rows (a subset of ``finished``).
    """
    if current.empty or finished.empty or years < 1:
        return finished.iloc[0:0]
    dates = pd.to_datetime(current[C.DATE]).dt.normalize()
    start, end = dates.min(), dates.max()
    when = pd.to_datetime(finished[C.DATE]).dt.normalize()
    inside = pd.Series(False, index=finished.index)
    for k in range(1, years + 1):
        shift = pd.DateOffset(years=k)
        inside |= (when >= start - shift) & (when <= end - shift)
    leagues = set(current[C.LEAGUE].astype(str))
    keep = inside & (when <= as_of) & finished[C.LEAGUE].astype(str).isin(leagues)
    return finished.loc[keep]


# --- the report ----------------------------------------------------------------------------------


def _span(frame: pd.DataFrame) -> dict[str, Any]:
    if frame.empty:
        return {"n": 0, "date_from": None, "date_to": None, "leagues": []}
    dates = pd.to_datetime(frame[C.DATE])
    return {
        "n": len(frame),
        "date_from": dates.min().strftime("%Y-%m-%d"),
        "date_to": dates.max().strftime("%Y-%m-%d"),
        "leagues": sorted(frame[C.LEAGUE].astype(str).unique().tolist()),
    }


def _tested(results: Sequence[ColumnDrift]) -> list[ColumnDrift]:
    return [r for r in results if r.psi is not None]


def drift_report(
    features: pd.DataFrame,
    predictions: pd.DataFrame,
    feature_columns: Sequence[str],
    reference_predictions: pd.DataFrame,
    as_of: str,
    thresholds: DriftThresholds,
    reference_years: int,
    horizon_days: int | None = None,
    generated_at: str | None = None,
) -> tuple[dict[str, Any], list[ColumnDrift], list[ColumnDrift]]:
    """Feature drift and prediction drift of the scheduled matches being predicted.

    Args:
        features: The features table (finished and scheduled rows).
        predictions: ``predictions.parquet`` of the batch being monitored.
        feature_columns: The champion's features.
        reference_predictions: Out-of-sample forecasts of the evaluation
            (``test_predictions.parquet``: match_id, league, date, p_*).
        as_of: ``data.as_of``.
        thresholds: Drift thresholds.
        reference_years: Earlier seasons in the reference (see :func:`reference_window`).
        horizon_days: Only matches within this many days after ``as_of`` (None: all).
        generated_at: Time stamp of the run.

    Returns:
        The JSON report, the feature drifts and the prediction drifts (with bin detail,
        for the HTML report).
    """
    cut = pd.Timestamp(as_of)
    current = features.loc[features[C.MATCH_ID].isin(predictions[C.MATCH_ID])]
    keys = current.set_index(C.MATCH_ID).reindex(predictions[C.MATCH_ID])
    current_predictions = predictions.drop(columns=[C.LEAGUE, C.DATE], errors="ignore").assign(
        **{C.LEAGUE: keys[C.LEAGUE].to_numpy(), C.DATE: keys[C.DATE].to_numpy()}
    )
    if horizon_days is not None:
        last = cut + pd.Timedelta(days=horizon_days)
        current = current.loc[pd.to_datetime(current[C.DATE]) <= last]
        current_predictions = current_predictions.loc[
            pd.to_datetime(current_predictions[C.DATE]) <= last
        ]
    finished = features.loc[features[C.STATUS] == C.FINISHED]
    reference = reference_window(finished, current, cut, reference_years)
    feature_drift = frame_drift(reference, current, feature_columns, thresholds)
    reference_preds = reference_window(
        reference_predictions, current_predictions, cut, reference_years
    )
    prediction_drift = frame_drift(
        reference_preds, current_predictions, PROBABILITY_COLUMNS, thresholds
    )
    tested = _tested(feature_drift)
    drifted = [r.column for r in tested if r.drifted]
    psis = [r.psi for r in tested if r.psi is not None]
    report: dict[str, Any] = {
        "generated_at": generated_at,
        "as_of": as_of,
        "thresholds": {
            "psi": thresholds.psi,
            "ks_alpha": thresholds.ks_alpha,
            "ks_alpha_per_feature": thresholds.ks_alpha / max(len(feature_columns), 1),
            "ks_alpha_per_prediction": thresholds.ks_alpha / len(PROBABILITY_COLUMNS),
            "bins": thresholds.bins,
            "min_samples": thresholds.min_samples,
            "rule": "drifted = psi >= psi and ks_pvalue < ks_alpha / columns tested together",
        },
        "reference": {
            "rule": f"finished matches of the same leagues in the current matches' date span "
            f"shifted back 1..{reference_years} years, on or before as_of",
            "years": reference_years,
            **_span(reference),
        },
        "current": {"horizon_days": horizon_days, **_span(current)},
        "summary": {
            "features_total": len(feature_columns),
            "features_checked": len(tested),
            "features_over_threshold": len(drifted),
            "drifted_features": drifted,
            "max_psi": _round(max(psis)) if psis else None,
            "predictions_over_threshold": sum(r.drifted for r in prediction_drift),
        },
        "features": [r.to_json() for r in feature_drift],
        "prediction": {
            "reference": {
                "source": "out-of-sample forecasts of the evaluation (test_predictions), "
                "same window rule",
                **_span(reference_preds),
            },
            "columns": [r.to_json() for r in prediction_drift],
        },
    }
    return report, feature_drift, prediction_drift
