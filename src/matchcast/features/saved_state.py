"""The arrays a chronological pass saves of its state, and how they nest in one file.

A pass keeps its state in Python lists while it runs (the fastest container for its
per-match loop) and converts it to named NumPy arrays only to save it. Values go through
float64/int64 arrays unchanged, so a restored pass continues bit for bit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

Arrays = dict[str, npt.NDArray[Any]]


def nested(prefix: str, arrays: Mapping[str, npt.NDArray[Any]]) -> Arrays:
    """``arrays`` named under ``prefix``: ``"elo"`` and ``"rating"`` give ``"elo.rating"``."""
    return {f"{prefix}.{name}": value for name, value in arrays.items()}


def part(prefix: str, arrays: Mapping[str, npt.NDArray[Any]]) -> Arrays:
    """The arrays :func:`nested` put under ``prefix``, with their own names back."""
    head = f"{prefix}."
    return {name[len(head) :]: value for name, value in arrays.items() if name.startswith(head)}


def floats(values: list[float]) -> npt.NDArray[np.float64]:
    """A list of floats as a float64 array (exact)."""
    return np.asarray(values, dtype=np.float64)


def ints(values: list[int] | list[bool]) -> npt.NDArray[np.int64]:
    """A list of ints or booleans as an int64 array."""
    return np.asarray(values, dtype=np.int64)
