"""PSI, KS and the drift flag, checked against hand-derived values and scipy."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from matchcast.monitoring.drift import (
    PSI_EPS,
    DriftThresholds,
    bin_shares,
    column_drift,
    frame_drift,
    ks_test,
    psi,
    quantile_edges,
    reference_window,
)

REFERENCE = np.arange(1.0, 11.0)  # 1..10: the median edge is 5.5


def test_psi_of_a_tiny_case_matches_the_hand_derivation() -> None:
    # Two bins split at 5.5: reference 50 % / 50 %, current 75 % / 25 %, nothing missing.
    # PSI = (.75 - .5) ln(.75/.5) + (.25 - .5) ln(.25/.5) = .25 ln 1.5 + .25 ln 2 = .25 ln 3
    assert quantile_edges(REFERENCE, 2).tolist() == [5.5]
    assert psi(REFERENCE, [1.0, 2.0, 3.0, 9.0], bins=2) == pytest.approx(0.25 * math.log(3.0))


def test_missing_values_form_their_own_bin() -> None:
    current = [1.0, np.nan, 9.0, np.nan]
    assert bin_shares(current, np.array([5.5])).tolist() == [0.25, 0.25, 0.5]
    expected = 2 * (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.5 - PSI_EPS) * math.log(0.5 / PSI_EPS)
    assert psi(REFERENCE, current, bins=2) == pytest.approx(expected)


def test_identical_samples_have_zero_psi_and_values_on_an_edge_go_up() -> None:
    assert psi(REFERENCE, REFERENCE, bins=4) == pytest.approx(0.0, abs=1e-12)
    discrete = np.array([0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 2.0])
    edges = quantile_edges(discrete, 10)
    assert edges.tolist() == sorted(set(edges.tolist()))  # ties merged
    shares = bin_shares([1.0], edges)
    assert shares[np.searchsorted(edges, 1.0, side="right")] == 1.0


def test_ks_matches_scipy_on_the_non_missing_values() -> None:
    rng = np.random.default_rng(7)
    a, b = rng.normal(0, 1, 300), rng.normal(0.2, 1.1, 200)
    b_with_gaps = np.concatenate([b, [np.nan] * 20])
    expected = stats.ks_2samp(a, b)
    statistic, pvalue = ks_test(a, b_with_gaps)
    assert statistic == pytest.approx(expected.statistic)
    assert pvalue == pytest.approx(expected.pvalue)


def test_a_large_shift_is_drift_and_a_second_draw_of_the_same_law_is_not() -> None:
    rng = np.random.default_rng(11)
    reference = rng.normal(0, 1, 2000)
    same = column_drift("x", reference, rng.normal(0, 1, 2000), DriftThresholds())
    shifted = column_drift("x", reference, rng.normal(1.0, 1, 500), DriftThresholds())
    assert not same.drifted and same.psi is not None and same.psi < 0.05
    assert shifted.drifted and shifted.psi is not None and shifted.psi > 0.25
    assert shifted.ks_pvalue is not None and shifted.ks_pvalue < 1e-6


def test_ks_level_is_shared_by_the_columns_tested_together() -> None:
    rng = np.random.default_rng(3)
    reference, current = rng.normal(0, 1, 400), rng.normal(0.3, 1, 200)
    pvalue = stats.ks_2samp(reference, current).pvalue
    assert pvalue < 0.01  # rejects alone ...
    only_ks = DriftThresholds(psi=1e-9)  # let the KS test decide
    assert column_drift("x", reference, current, only_ks, n_tests=1).drifted
    many = math.ceil(0.01 / pvalue) + 1  # ... but not among this many columns
    assert not column_drift("x", reference, current, only_ks, n_tests=many).drifted


def test_too_few_values_are_not_tested() -> None:
    result = column_drift("x", REFERENCE, [100.0] * 5, DriftThresholds(min_samples=30))
    assert result.psi is None and result.ks_pvalue is None and not result.drifted
    assert result.to_json()["psi"] is None


def test_a_column_absent_from_the_current_frame_is_all_missing() -> None:
    reference = pd.DataFrame({"a": np.arange(100.0)})
    current = pd.DataFrame({"b": np.arange(100.0)})
    (result,) = frame_drift(reference, current, ["a"], DriftThresholds())
    assert result.missing_current == 1.0 and result.ks_pvalue is None


def test_bad_thresholds_are_refused() -> None:
    with pytest.raises(ValueError, match="invalid drift thresholds"):
        DriftThresholds(bins=1)


def test_reference_window_is_the_same_calendar_span_of_earlier_seasons() -> None:
    finished = pd.DataFrame(
        {
            "date": pd.to_datetime(
                ["2024-03-10", "2024-06-01", "2025-03-05", "2025-03-20", "2023-03-15", "2025-03-06"]
            ),
            "league": ["E0", "E0", "E0", "E0", "E0", "D1"],
        }
    )
    current = pd.DataFrame(
        {"date": pd.to_datetime(["2026-03-02", "2026-03-21"]), "league": ["E0", "E0"]}
    )
    as_of = pd.Timestamp("2026-03-01")
    one = reference_window(finished, current, as_of, years=1)
    two = reference_window(finished, current, as_of, years=2)
    three = reference_window(finished, current, as_of, years=3)
    assert one["date"].dt.strftime("%Y-%m-%d").tolist() == ["2025-03-05", "2025-03-20"]
    assert len(two) == 3 and len(three) == 4  # other leagues and other months stay out
    assert reference_window(finished, current, pd.Timestamp("2025-03-10"), 1).shape[0] == 1
