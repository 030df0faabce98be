"""Padding that copies input elements into the border: 'reflect', 'replicate', 'circular'.

Each mode is a map s from output positions to input positions, one per padded axis
(I = the axis' size, the output position i runs over −lo … I − 1 + hi):

    reflect     s(i) = |i| mirrored at I − 1:  s(i) = I − 1 − |I − 1 − |i||   (edges not repeated)
    replicate   s(i) = min(max(i, 0), I − 1)                                  (edges repeated)
    circular    s(i) = i mod I                                                (wraps around)

Constant padding is ``ops.shape.Pad``.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function


def source_index(size: int, lo: int, hi: int, mode: str) -> np.ndarray:
    """The input position s(i) that each output position reads along one axis (see above)."""
    positions = np.arange(-lo, size + hi)
    if mode == "reflect":
        last = size - 1
        return last - np.abs(last - np.abs(positions))
    if mode == "replicate":
        return np.clip(positions, 0, size - 1)
    if mode == "circular":
        return positions % size
    raise ValueError(f"source_index: unknown padding mode {mode!r}")


class IndexPad(Function):
    """Y = X read at per-axis source positions: Y[…, i, …] = X[…, s(i), …] along each padded
    axis (``axes`` lists (axis, s) pairs; s as in the module docstring).

    Backward. Along one axis, Y_i = X_{s(i)}, so ∂Y_i/∂X_j = [s(i) = j] and
        dL/dX_j = Σ_i G_i [s(i) = j] = Σ over the output positions that copied X_j of G_i:
    G is scatter-added back to the source positions (``np.add.at``: an edge element copied
    into the border receives its own gradient plus every copy's). Several axes compose, so
    their scatters run in the reverse order of the forward gathers.

    Saves: the index maps and the input's axis sizes (no arrays of values).
    """

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        ctx.sizes = [x.shape[axis] for axis, _ in axes]
        y = x
        for axis, index in axes:
            y = np.take(y, index, axis=axis)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        grad = grad_out
        for (axis, index), size in reversed(list(zip(ctx.axes, ctx.sizes))):
            grad = scatter_add(grad, index, axis, size)
        return grad


def scatter_add(grad: np.ndarray, index: np.ndarray, axis: int, size: int) -> np.ndarray:
    """The array A with ``size`` entries along ``axis`` where A[…, j, …] = Σ_{index[i] = j}
    grad[…, i, …]: the transpose of ``np.take(·, index, axis)``."""
    moved = np.moveaxis(grad, axis, 0)
    out = np.zeros((size,) + moved.shape[1:], dtype=grad.dtype)
    np.add.at(out, index, moved)
    return np.moveaxis(out, 0, axis)
