"""The fast median imputer gives scikit-learn's median imputation to the bit."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.impute import SimpleImputer

from matchcast.models.imputation import column_median, median_imputer


def _matrix() -> np.ndarray:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2001, 6)).round(2)
    x[rng.random(x.shape) < 0.2] = np.nan
    x[:, 2] = np.nan  # empty column: kept, filled with 0
    x[:1000, 3] = np.nan  # an even number of values left: mean of the two middle ones
    x[:, 4] = rng.integers(0, 3, size=len(x))  # ties, no missing value
    return x


@pytest.mark.parametrize("add_indicator", [True, False])
def test_same_statistics_and_output_as_sklearns_median(add_indicator: bool) -> None:
    x = _matrix()
    reference = SimpleImputer(
        strategy="median", add_indicator=add_indicator, keep_empty_features=True
    ).fit(x)
    fast = median_imputer(add_indicator=add_indicator).fit(x)
    np.testing.assert_array_equal(fast.statistics_, reference.statistics_)
    assert fast.statistics_[2] == 0.0
    new = _matrix()[::-1]
    np.testing.assert_array_equal(fast.transform(new), reference.transform(new))
    assert fast.transform(new).shape[1] == (11 if add_indicator else 6)


def test_column_median_of_nothing_is_zero_and_pickles_by_reference() -> None:
    assert column_median(np.array([], dtype=np.float64)) == 0.0
    assert column_median(np.array([3.0, 1.0, 2.0, 10.0])) == 2.5
    fitted = median_imputer(add_indicator=True).fit(_matrix())
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.transform(_matrix()), fitted.transform(_matrix()))
