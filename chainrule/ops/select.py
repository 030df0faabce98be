"""Functions that select, write or accumulate along one axis: scatter, scatter-add, cumulative
sum and product, roll.

The other selection ops compose existing Functions: sort, topk and max along a dim are
``TakeAlongAxis`` with the chosen indices, index_select and narrow are ``GetItem``, masked_fill,
tril and triu are ``Where``.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function


def scatter_positions(indices: np.ndarray, axis: int) -> tuple:
    """The index tuple that addresses, for every element of ``indices``, the position it names
    along ``axis`` and its own position along the other axes (PyTorch's scatter/gather rule)."""
    grids = list(np.indices(indices.shape, sparse=True))
    grids[axis] = indices
    return tuple(grids)


def _region(shape: tuple[int, ...]) -> tuple[slice, ...]:
    """The leading block of that shape: the part of ``src`` that an index of ``shape`` reads."""
    return tuple(slice(0, n) for n in shape)


class Scatter(Function):
    """Y = X with Y[p(I, j)] = S[j] for every position j of the integer index I, where p(I, j)
    is j with its ``axis`` coordinate replaced by I[j] (PyTorch ``scatter``). Only the leading
    block of S of I's shape is read.

    Every written position of Y no longer depends on X, every other one is X's element, so
        dL/dX = G with the written positions set to 0,
        dL/dS = G read back at p(I, j) for j in I's block, 0 elsewhere (a gather of G).
    When I names one position twice, which S element lands there is not specified (NumPy keeps
    the last, PyTorch does not promise an order), and both S elements receive G there, as in
    PyTorch. I has no gradient; it is saved (as a setting) with the shapes.
    """

    @staticmethod
    def forward(ctx, x, src, indices, axis):
        positions = scatter_positions(indices, axis)
        ctx.positions, ctx.src_shape, ctx.region = positions, src.shape, _region(indices.shape)
        out = x.copy()
        out[positions] = src[ctx.region]
        return out

    @staticmethod
    def backward(ctx, grad_out):
        grad_x = grad_src = None
        if ctx.needs_input_grad[0]:
            grad_x = grad_out.copy()
            grad_x[ctx.positions] = 0
        if ctx.needs_input_grad[1]:
            grad_src = np.zeros(ctx.src_shape, dtype=grad_out.dtype)
            grad_src[ctx.region] = grad_out[ctx.positions]
        return grad_x, grad_src


class ScatterAdd(Function):
    """Y = X, then Y[p(I, j)] += S[j] for every position j of I (PyTorch ``scatter_add``;
    p as in ``Scatter``). Repeated positions add every contribution (``np.add.at``).

    Y is X plus a sum of S elements, so
        dL/dX = G,
        dL/dS = G read back at p(I, j) for j in I's block, 0 elsewhere (a gather of G).
    """

    @staticmethod
    def forward(ctx, x, src, indices, axis):
        positions = scatter_positions(indices, axis)
        ctx.positions, ctx.src_shape, ctx.region = positions, src.shape, _region(indices.shape)
        out = x.copy()
        np.add.at(out, positions, src[ctx.region])
        return out

    @staticmethod
    def backward(ctx, grad_out):
        grad_src = None
        if ctx.needs_input_grad[1]:
            grad_src = np.zeros(ctx.src_shape, dtype=grad_out.dtype)
            grad_src[ctx.region] = grad_out[ctx.positions]
        return grad_out, grad_src


def reverse_cumsum(a: np.ndarray, axis: int) -> np.ndarray:
    """R_k = Σ_{i ≥ k} a_i along ``axis``."""
    return np.flip(np.cumsum(np.flip(a, axis), axis=axis), axis)


class Cumsum(Function):
    """Y_i = Σ_{j ≤ i} X_j along ``axis``.

    ∂Y_i/∂X_k = 1 for i ≥ k, so dL/dX_k = Σ_{i ≥ k} G_i: the cumulative sum of G taken from
    the end. Saves nothing.
    """

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        return np.cumsum(x, axis=axis, dtype=x.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        return reverse_cumsum(grad_out, ctx.axis)


class Cumprod(Function):
    """Y_i = Π_{j ≤ i} X_j along ``axis``.

    ∂Y_i/∂X_k = Π_{j ≤ i, j ≠ k} X_j for i ≥ k, so dL/dX_k = Σ_{i ≥ k} G_i Π_{j ≤ i, j ≠ k} X_j.
    Along each line, let z be the position of the first zero of X (z = n when there is none):
        k < z:  X_k ≠ 0 and the product is Y_i / X_k, so dL/dX_k = (Σ_{i ≥ k} G_i Y_i) / X_k;
        k = z:  the product is Y'_i, the cumulative product of X with X_z replaced by 1, so
                dL/dX_z = Σ_{i ≥ z} G_i Y'_i (no division: exact when X_z = 0);
        k > z:  every product holds X_z = 0, so dL/dX_k = 0.
    Later zeros need no care: they sit inside the products Y'_i themselves. Saves X and Y.
    NOTE: the division by X_k (k < z) loses accuracy when |X_k| is tiny next to the others;
    PyTorch divides in the same way when there is no zero.
    """

    @staticmethod
    def forward(ctx, x, axis):
        y = np.cumprod(x, axis=axis, dtype=x.dtype)
        ctx.axis = axis
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        x, y = ctx.saved
        axis = ctx.axis
        zero = x == 0
        position = np.arange(x.shape[axis]).reshape((-1,) + (1,) * (x.ndim - axis - 1))
        first_zero = np.where(zero.any(axis=axis, keepdims=True),
                              np.argmax(zero, axis=axis, keepdims=True), x.shape[axis])
        before, at = position < first_zero, position == first_zero
        one = np.ones((), dtype=x.dtype)
        grad = reverse_cumsum(grad_out * y, axis) / np.where(before, x, one)
        if at.any():
            y_skip = np.cumprod(np.where(at, one, x), axis=axis)
            grad = np.where(at, reverse_cumsum(grad_out * y_skip, axis), grad)
        return np.where(before | at, grad, np.zeros((), dtype=x.dtype))


class Roll(Function):
    """Y = X rolled by ``shifts[i]`` positions along ``axes[i]`` (elements that leave at one
    end come back at the other): Y[(j + s) mod n] = X[j].

    A permutation of the elements, so dL/dX = G rolled back by −shifts. Saves nothing.
    """

    @staticmethod
    def forward(ctx, x, shifts, axes):
        ctx.shifts, ctx.axes = shifts, axes
        return np.roll(x, shifts, axes)

    @staticmethod
    def backward(ctx, grad_out):
        return np.roll(grad_out, tuple(-s for s in ctx.shifts), ctx.axes)
