"""The median imputer in front of every linear model (1X2 logistic, scoreline GLMs).

scikit-learn's ``SimpleImputer(strategy="median")`` takes the median of a masked array,
which sorts the whole matrix: about 4 s per fit on 250,000 matches x 112 features, the
largest single cost of a logistic fit at that size. Passing the same median as a callable
makes scikit-learn take it column by column on the non-missing values only: the same
statistics to the bit (a test says so), four times faster. The callable is a module-level
function so that fitted pipelines pickle by reference.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from sklearn.impute import SimpleImputer


def column_median(values: NDArray[np.float64]) -> float:
    """The median of one column's non-missing values; 0.0 for a column with none.

    scikit-learn fills an all-missing column with 0 when ``keep_empty_features`` is on;
    returning 0.0 here keeps that rule.
    """
    return float(np.median(values)) if values.size else 0.0


def median_imputer(*, add_indicator: bool) -> SimpleImputer:
    """A median imputer that keeps empty columns (as 0), optionally with missing flags."""
    return SimpleImputer(
        strategy=column_median, add_indicator=add_indicator, keep_empty_features=True
    )
