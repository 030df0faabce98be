"""Reductions: the column sums 1ᵀM of a matrix (the bias gradient of a dense layer)."""

from __future__ import annotations

import functools

import numpy as np

from .switch import FAST


def column_sums(matrix: np.ndarray) -> np.ndarray:
    """1ᵀM, the sums of the columns of a 2-D array, as a new array.

    Reference: ``matrix.sum(axis=0)``, which NumPy computes by adding one row after another.
    Fast path, for float32/float64: one BLAS matrix-vector product with a cached vector of
    ones, which runs on every BLAS thread. The two add in different orders, so they agree to
    rounding: each differs from the exact sum by at most about n·ε·Σ|mᵢⱼ| (n rows, ε the
    dtype's machine epsilon), not bit for bit.
    """
    if FAST["column_sums"] and matrix.dtype.kind == "f" and matrix.dtype.itemsize in (4, 8):
        return _ones(matrix.shape[0], matrix.dtype) @ matrix
    return matrix.sum(axis=0)


@functools.lru_cache(maxsize=16)
def _ones(n: int, dtype: np.dtype) -> np.ndarray:
    ones = np.ones(n, dtype)
    ones.flags.writeable = False
    return ones
