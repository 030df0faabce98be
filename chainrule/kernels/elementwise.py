"""Elementwise kernels: y ← αx + βy in place, ReLU's max(x, 0) and its gradient G ⊙ [Y > 0].

ReLU and its gradient run a chunk of the leading (batch) axis per thread (``over_batch``);
elementwise work gives the same bits however the array is split.
"""

from __future__ import annotations

import numpy as np

from .parallel import MIN_PARALLEL_BYTES, over_batch

# relu_grad works a block of leading-axis rows of about this many bytes at a time, so the
# mask it writes is still in cache when the product reads it back.
BLOCK_BYTES = 1 << 18


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


def relu(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """max(x, 0) of an array, elementwise, as a new array in x's memory order (NaN stays
    NaN, −0 stays −0), or written into ``out`` (which may be ``x`` itself)."""
    if x.ndim == 0 or 2 * x.nbytes < MIN_PARALLEL_BYTES:  # never split: one call, no chunks
        return np.maximum(x, 0, out=out)
    y = np.empty_like(x) if out is None else out
    over_batch(lambda rows: np.maximum(x[rows], 0, out=y[rows]), len(x), 2 * x.nbytes)
    return y


def relu_grad(grad: np.ndarray, y: np.ndarray) -> np.ndarray:
    """G ⊙ [Y > 0] as a new array in G's memory order (ReLU's backward from its output Y).

    The comparison is written straight into the result as 0.0 / 1.0 in G's dtype and then
    multiplied in place, a cache-sized block at a time: two passes, no boolean temporary
    (NumPy multiplies two float arrays faster than a float array by a boolean one). The
    same bits as ``grad * (y > 0).astype(grad.dtype)`` (−0 where G < 0 and Y ≤ 0, NaN where
    G is NaN). An array of one block that no thread would split is done in one go.
    """
    out = np.empty_like(grad)
    if grad.ndim == 0 or (grad.nbytes <= BLOCK_BYTES and 3 * grad.nbytes < MIN_PARALLEL_BYTES):
        return masked_by_positive(grad, y, out)

    step = max(1, BLOCK_BYTES * len(grad) // max(grad.nbytes, 1))  # rows per block

    def rows(chunk: slice) -> None:
        for start in range(chunk.start, chunk.stop, step):
            block = slice(start, min(start + step, chunk.stop))
            masked_by_positive(grad[block], y[block], out[block])

    over_batch(rows, len(grad), 3 * grad.nbytes)
    return out


def masked_by_positive(grad: np.ndarray, y: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out`` ← G ⊙ [Y > 0] (arrays of one shape; ``out`` may not alias G or Y)."""
    np.greater(y, 0, out=out)
    return np.multiply(grad, out, out=out)
