"""Elementwise kernels: y ← αx + βy in place, and ReLU's max(x, 0)."""

from __future__ import annotations

import numpy as np


def axpby_(alpha: float, x: np.ndarray, beta: float, y: np.ndarray) -> np.ndarray:
    """``y ← α·x + β·y`` in place (BLAS's axpby); returns ``y``.

    The optimizers' moving averages (m ← β₁m + (1 − β₁)g) and parameter updates
    (θ ← θ − γ·step, with β = 1) are this. ``x`` may be any array that broadcasts to ``y``.
    NumPy's expression ``y *= β; y += α * x``, each product and each sum rounded (the
    multiplications by 1 and −1 are skipped, which changes no value). An OpenBLAS fast path
    through ctypes earned under 5% of a workload and was removed (benchmarks/README.md).
    """
    if beta != 1:
        y *= beta
    if alpha == 1:
        y += x
    elif alpha == -1:
        y -= x
    else:
        y += alpha * x
    return y


def relu(x: np.ndarray) -> np.ndarray:
    """max(x, 0) of an array, elementwise, as a new array (NaN stays NaN, −0 stays −0)."""
    return np.maximum(x, 0)
