"""Reductions: the column sums 1ᵀM of a matrix (the bias gradient of a dense layer)."""

from __future__ import annotations

import numpy as np


def column_sums(matrix: np.ndarray) -> np.ndarray:
    """1ᵀM, the sums of the columns of a 2-D array, as a new array of its dtype."""
    return matrix.sum(axis=0)
