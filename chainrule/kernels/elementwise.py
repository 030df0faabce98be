"""Elementwise kernels: y ← αx + βy in place, and ReLU's max(x, 0)."""

from __future__ import annotations

import functools

import numpy as np

from .switch import FAST


def axpby_(alpha: float, x: np.ndarray, beta: float, y: np.ndarray) -> np.ndarray:
    """``y ← α·x + β·y`` in place (BLAS's axpby); returns ``y``.

    The optimizers' moving averages (m ← β₁m + (1 − β₁)g) and parameter updates
    (θ ← θ − γ·step, with β = 1) are this. ``x`` may be any array that broadcasts to ``y``.
    Each product and each sum is rounded, as NumPy's expression ``y *= β; y += α * x`` does;
    the multiplications by 1 and −1 are skipped, which changes no value.
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
    """max(x, 0) of an array, elementwise, as a new array (NaN stays NaN, −0 stays −0).

    Reference: ``np.maximum(x, 0)``. Fast path, for C-contiguous float arrays of
    ``_RELU_MIN_SIZE`` elements or more: the same ``np.maximum`` against a read-only block of
    zeros, a block at a time. NumPy runs its vectorised loop only when both operands are arrays
    with unit strides; against the scalar 0 it takes a slower element-by-element loop. The
    results are the same bits.
    """
    if (not FAST["relu"] or x.dtype.kind != "f" or not x.flags.c_contiguous
            or x.size < _RELU_MIN_SIZE):
        return np.maximum(x, 0)
    zeros = _zeros(x.dtype)
    y = np.empty_like(x)
    flat_x, flat_y = x.reshape(-1), y.reshape(-1)
    for start in range(0, x.size, _ZERO_BLOCK):
        stop = min(start + _ZERO_BLOCK, x.size)
        np.maximum(flat_x[start:stop], zeros[: stop - start], out=flat_y[start:stop])
    return y


_RELU_MIN_SIZE = 4096  # smaller arrays: the plain call, whose fixed cost is lower
_ZERO_BLOCK = 1 << 16  # elements per block: 256 KiB of zeros in float32, per dtype


@functools.cache
def _zeros(dtype: np.dtype) -> np.ndarray:
    zeros = np.zeros(_ZERO_BLOCK, dtype)
    zeros.flags.writeable = False
    return zeros
