"""Elementwise kernels: y ← αx + βy in place, and ReLU's max(x, 0)."""

from __future__ import annotations

import numpy as np

from . import openblas
from .switch import FAST


def axpby_(alpha: float, x: np.ndarray, beta: float, y: np.ndarray) -> np.ndarray:
    """``y ← α·x + β·y`` in place (BLAS's axpby); returns ``y``.

    The optimizers' moving averages (m ← β₁m + (1 − β₁)g) and parameter updates
    (θ ← θ − γ·step, with β = 1) are this. ``x`` may be any array that broadcasts to ``y``.
    Reference: NumPy's expression ``y *= β; y += α * x``, each product and each sum rounded
    (the multiplications by 1 and −1 are skipped, which changes no value). Fast path, for large
    contiguous float32/float64 arrays: one pass of OpenBLAS's axpby (axpy on every BLAS thread
    when β = 1), see ``openblas``; its fused multiply-adds round αx + βy once, so the two agree
    to a couple of roundings of the terms, not bit for bit.
    """
    if FAST["axpby_"] and openblas.axpby_(alpha, x, beta, y):
        return y
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
