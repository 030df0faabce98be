"""Functions that move elements without changing them: reshape, permute, broadcast, index,
concatenate, pad, tile, gather.

Each backward routes G = dL/dY back to where each output element came from; an input element
that feeds several outputs (broadcast, tile, repeated indices) receives the sum.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function


def sum_to(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added or stretched, giving ``shape``.

    Only ``BroadcastTo.backward`` calls this: broadcasting is undone in exactly one place.
    """
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, size in enumerate(shape) if size == 1 and grad.shape[lead + i] != 1
    )
    if axes:
        grad = np.sum(grad, axis=axes, keepdims=True)
    return grad.reshape(shape) if lead or grad.shape != shape else grad


class BroadcastTo(Function):
    """Y = X broadcast to ``shape`` (NumPy rules).

    Every element of X is copied to each position along the stretched axes, so
    dL/dX = Σ of G over those axes (``sum_to``).
    """

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad_out):
        return sum_to(grad_out, ctx.shape)


class Reshape(Function):
    """Y = X with a new shape (same elements, C order).   dL/dX = G reshaped to X's shape."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return np.reshape(x, shape)

    @staticmethod
    def backward(ctx, grad_out):
        return np.reshape(grad_out, ctx.shape)


class Permute(Function):
    """Y = X with axes reordered: Y's axis i is X's axis perm[i].

    dL/dX = G with the inverse permutation (argsort of perm).
    """

    @staticmethod
    def forward(ctx, x, perm):
        ctx.perm = perm
        return np.transpose(x, perm)

    @staticmethod
    def backward(ctx, grad_out):
        return np.transpose(grad_out, np.argsort(ctx.perm))


def is_basic_index(index) -> bool:
    """True when ``index`` uses only ints, slices, None and Ellipsis (a view, no repeats)."""
    items = index if isinstance(index, tuple) else (index,)
    return all(
        isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis for i in items
    )


class GetItem(Function):
    """Y = X[index] for any NumPy index (ints, slices, None, Ellipsis, masks, int arrays).

    dL/dX is zero except at the selected positions, which receive G. Integer arrays may select
    one element several times; ``np.add.at`` then adds every copy's gradient (plain assignment
    would keep only the last).
    """

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.dtype, ctx.index = x.shape, x.dtype, index
        return x[index]

    @staticmethod
    def backward(ctx, grad_out):
        grad = np.zeros(ctx.shape, dtype=grad_out.dtype)
        if is_basic_index(ctx.index):
            grad[ctx.index] = grad_out
        else:
            np.add.at(grad, ctx.index, grad_out)
        return grad


class TakeAlongAxis(Function):
    """Y = take_along_axis(X, I, axis): Yᵢ = X at index Iᵢ along ``axis`` (PyTorch ``gather``).

    dL/dX: each G element is added at the position it was read from (``np.add.at``, so an
    index read twice receives both gradients). I is an integer array without a gradient.
    """

    @staticmethod
    def forward(ctx, x, indices, axis):
        ctx.shape, ctx.indices, ctx.axis = x.shape, indices, axis
        return np.take_along_axis(x, indices, axis)

    @staticmethod
    def backward(ctx, grad_out):
        grad = np.zeros(ctx.shape, dtype=grad_out.dtype)
        idx = list(np.ix_(*[np.arange(n) for n in ctx.indices.shape]))
        idx[ctx.axis] = ctx.indices
        np.add.at(grad, tuple(idx), grad_out)
        return grad


class Concatenate(Function):
    """Y = concatenate([X₁, …, Xₖ], axis).   dL/dXᵢ = the slice of G that Xᵢ occupies."""

    @staticmethod
    def forward(ctx, *xs, axis=0):
        ctx.axis = axis
        ctx.bounds = np.cumsum([x.shape[axis] for x in xs])[:-1]
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def backward(ctx, grad_out):
        return tuple(np.split(grad_out, ctx.bounds, axis=ctx.axis))


class Pad(Function):
    """Y = X surrounded by a constant; ``widths`` is one (before, after) pair per axis.

    The padding is constant, so dL/dX = G with the padded border cut away.
    """

    @staticmethod
    def forward(ctx, x, widths, value=0.0):
        ctx.slices = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, x.shape))
        return np.pad(x, widths, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out[ctx.slices]


class Tile(Function):
    """Y = X repeated ``reps[i]`` times along axis i (PyTorch ``repeat``, NumPy ``tile``).

    Viewing G as (r₀, n₀, r₁, n₁, …), every copy of X contributes, so dL/dX = G summed over
    the r axes.
    """

    @staticmethod
    def forward(ctx, x, reps):
        ctx.shape = x.shape
        return np.tile(x, reps)

    @staticmethod
    def backward(ctx, grad_out):
        shape = ctx.shape
        lead = grad_out.ndim - len(shape)
        grad = np.sum(grad_out, axis=tuple(range(lead))) if lead else grad_out
        paired = []
        for i, size in enumerate(shape):
            paired += [grad.shape[i] // size, size]
        return np.sum(grad.reshape(paired), axis=tuple(range(0, 2 * len(shape), 2)))


class Flip(Function):
    """Y = X reversed along ``axes``.   dL/dX = G reversed along the same axes."""

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return np.flip(x, axes)

    @staticmethod
    def backward(ctx, grad_out):
        return np.flip(grad_out, ctx.axes)


class EmbeddingLookup(Function):
    """Y = W[I]: the rows of W: (num, dim) picked by integer indices I: (*), Y: (*, dim).

    Backward, from Y[p] = W[I[p]] (each output row is a copy of one row of W):
        dL/dW[k] = Σ_{p : I[p] = k} G[p]          (num, dim); a row never picked gets 0
    (``np.add.at``, so a repeated index adds up the gradient of every copy). I gets none.

    PyTorch's conventions on top of the derivative:
      * the row ``padding_idx`` receives 0, so training leaves it as it is;
      * ``scale_grad_by_freq``: with n_k = #{p : B[p] = k}, the number of times index k
        occurs in the mini-batch B,
            dL/dW[k] = (1/n_k) Σ_{p : I[p] = k} G[p]
        so a frequent index takes no larger steps than a rare one. This rescales the
        derivative (it is not the derivative of Y); the padding row stays 0. B is I unless
        ``batch`` is given: embedding_bag passes its input there, because its padded (B, L)
        table I holds the filler index 0 in the empty places (whose G is 0 but which would
        add to n_0).
      * ``sparse``: chainrule has no sparse tensors, so the gradient is this dense (num, dim)
        array whatever ``sparse`` says (the values of PyTorch's ``weight.grad.to_dense()``);
        as in PyTorch, backward refuses ``scale_grad_by_freq`` with ``sparse``.

    Saves: I (and B) and W's shape, no values of W; so W may change in place after the
    lookup (max_norm's renormalisation by a later lookup) without making this gradient wrong
    (``unread_inputs``).
    """

    unread_inputs = (0,)

    @staticmethod
    def forward(ctx, weight, indices, padding_idx=None, scale_grad_by_freq=False, sparse=False,
                batch=None):
        ctx.shape, ctx.indices, ctx.padding_idx = weight.shape, indices, padding_idx
        ctx.scale_grad_by_freq, ctx.sparse = scale_grad_by_freq, sparse
        ctx.batch = indices if batch is None else batch
        return weight[indices]

    @staticmethod
    def backward(ctx, grad_out):
        if ctx.scale_grad_by_freq and ctx.sparse:
            raise RuntimeError("embedding_backward: scale_grad_by_freq not supported with sparse "
                               "gradients (PyTorch's rule; chainrule's gradient is dense, so "
                               "sparse=False loses nothing)")
        num, dim = ctx.shape
        grad = np.zeros(ctx.shape, dtype=grad_out.dtype)
        np.add.at(grad, ctx.indices.reshape(-1), grad_out.reshape(-1, dim))
        if ctx.scale_grad_by_freq:
            occurrences = np.bincount(ctx.batch.reshape(-1).astype(np.intp), minlength=num)
            grad /= np.maximum(occurrences, 1).astype(grad.dtype)[:, None]
        if ctx.padding_idx is not None:
            grad[ctx.padding_idx] = 0
        return grad
