"""Reductions over axes: sum, mean, var, std, amax, prod, p-norm, and the stable softmax family.

``axis`` is None (all axes) or a tuple of non-negative ints, normalised by the tensor layer.
The backward of a reduction first restores the reduced axes as size-1 dimensions
(``_expand``), so G broadcasts against X.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function


def _expand(grad_out, shape, axis, keepdims):
    """Give ``grad_out`` back the reduced axes (size 1) so it broadcasts against the input."""
    if keepdims or axis is None and grad_out.ndim == len(shape):
        return grad_out
    if axis is None:
        return grad_out.reshape((1,) * len(shape))
    return np.expand_dims(grad_out, axis)


def _spread(grad, shape):
    """``grad`` (with kept dims) copied out to ``shape``. A fresh array rather than a
    ``np.broadcast_to`` view: the view costs more Python time than the copy on small arrays,
    and ``.grad`` must be writable anyway."""
    out = np.empty(shape, dtype=grad.dtype)
    np.copyto(out, grad)
    return out


def _count(shape, axis):
    if axis is None:
        return int(np.prod(shape))
    return int(np.prod([shape[a] for a in axis]))


class Sum(Function):
    """Y = Σ_axis X.   dL/dX = G broadcast back over the summed axes (every input counts once)."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        return np.sum(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad_out):
        return _spread(_expand(grad_out, ctx.shape, ctx.axis, ctx.keepdims), ctx.shape)


class Mean(Function):
    """Y = (1/n) Σ_axis X, n the number of reduced elements.   dL/dX = G / n, broadcast back."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        if _count(x.shape, axis) == 0:  # the mean of nothing is NaN, quietly (as in PyTorch)
            return np.sum(x, axis=axis, keepdims=keepdims) * np.nan
        return np.mean(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad_out):
        grad = _expand(grad_out, ctx.shape, ctx.axis, ctx.keepdims)
        scale = 1.0 / max(_count(ctx.shape, ctx.axis), 1)
        return _spread(grad * scale, ctx.shape)


def _reduced(y, axis, keepdims):
    """``y`` (computed with kept dims) without the reduced axes unless ``keepdims``."""
    if keepdims:
        return y
    return np.squeeze(y, axis=axis) if axis is not None else y.reshape(())


def _centered_moments(x, axis, correction):
    """X − X̄ and Σ(X − X̄)² / (n − c), both with kept dims, and n − c clipped at 0. With
    n − c = 0 the variance is 0/0 = NaN (or inf), as in PyTorch, without NumPy's warning."""
    count = _count(x.shape, axis)
    centered = x - (np.mean(x, axis=axis, keepdims=True) if count else 0)
    total = np.sum(centered * centered, axis=axis, keepdims=True)
    dof = max(count - correction, 0)
    if dof:
        return centered, total / dof, dof
    with np.errstate(divide="ignore", invalid="ignore"):
        return centered, total / dof, dof


class Var(Function):
    """Y = Σ_axis (X − X̄)² / (n − c): the variance of the n reduced elements, with Bessel's
    correction c (1: unbiased, 0: biased) and X̄ their mean. Computed in two passes (the mean
    first), which stays accurate when the mean is large against the spread.

    Backward: dY/dXᵢ = 2(Xᵢ − X̄)/(n − c) − (2/(n − c)) Σⱼ (Xⱼ − X̄)·(1/n), and the last sum
    is 0, so  dL/dX = G ⊙ 2(X − X̄)/(n − c),  G broadcast back over the reduced axes. It is 0
    where the variance is 0 (every X = X̄). With n − c ≤ 0 the variance and its gradient are
    NaN (PyTorch: NaN or ±inf).   Saves X − X̄.
    """

    @staticmethod
    def forward(ctx, x, axis=None, correction=1, keepdims=False):
        centered, var, dof = _centered_moments(x, axis, correction)
        ctx.save_for_backward(centered)
        ctx.axis, ctx.keepdims, ctx.dof = axis, keepdims, dof
        return _reduced(var, axis, keepdims)

    @staticmethod
    def backward(ctx, grad_out):
        (centered,) = ctx.saved
        scale = 2.0 / ctx.dof if ctx.dof else np.nan
        return _expand(grad_out, centered.shape, ctx.axis, ctx.keepdims) * centered * scale


class Std(Function):
    """Y = √Var(X) over ``axis``, with n, c and X̄ as in ``Var``.

    Backward: dY/dX = (dVar/dX) / (2Y) = 2(X − X̄)/(n − c) / (2Y), so
        dL/dX = G ⊙ (X − X̄) / ((n − c) Y).
    Where Y = 0 (all reduced elements equal) this is 0/0; there X − X̄ = 0 and the gradient
    is taken as 0, PyTorch's convention (its std backward zeroes it where the result is 0), so
    standardising a constant batch gives zero gradients, not NaN. (1/∞ = 0 does it without a
    warning.) With n − c ≤ 0 the gradient is NaN, as for ``Var``.   Saves X − X̄ and Y (kept
    dims).
    """

    @staticmethod
    def forward(ctx, x, axis=None, correction=1, keepdims=False):
        centered, var, dof = _centered_moments(x, axis, correction)
        y = np.sqrt(var)
        ctx.save_for_backward(centered, y)
        ctx.axis, ctx.keepdims, ctx.dof = axis, keepdims, dof
        return _reduced(y, axis, keepdims)

    @staticmethod
    def backward(ctx, grad_out):
        centered, y = ctx.saved
        inverse = 1.0 / np.where(y == 0, np.inf, y * ctx.dof) if ctx.dof else np.nan
        return _expand(grad_out, centered.shape, ctx.axis, ctx.keepdims) * centered * inverse


class Amax(Function):
    """Y = max_axis X.

    dL/dX = G at the positions that attain the maximum; k tied maxima share it, G/k each
    (PyTorch's amax rule; it keeps the gradient's total equal to G).   Saves X and Y.
    """

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        y = np.amax(x, axis=axis, keepdims=True)
        ctx.save_for_backward(x, y)
        ctx.axis, ctx.keepdims = axis, keepdims
        return y if keepdims else np.squeeze(y, axis=axis)

    @staticmethod
    def backward(ctx, grad_out):
        x, y = ctx.saved
        mask = (x == y).astype(grad_out.dtype)
        count = np.sum(mask, axis=ctx.axis, keepdims=True)
        return mask * (_expand(grad_out, x.shape, ctx.axis, ctx.keepdims) / count)


class Prod(Function):
    """Y = Π_axis X.

    dL/dXᵢ = G ⊙ Π_{j≠i} Xⱼ. Computed as the product of the exclusive prefix and suffix
    products, so it is exact when some Xᵢ are zero (Y/Xᵢ would divide by zero).   Saves X.
    """

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.save_for_backward(x)
        ctx.axis, ctx.keepdims = axis, keepdims
        return np.prod(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        axes = tuple(range(x.ndim)) if ctx.axis is None else ctx.axis
        rest = [a for a in range(x.ndim) if a not in axes]
        moved = np.transpose(x, rest + list(axes))
        flat = moved.reshape(moved.shape[: len(rest)] + (-1,))
        others = _exclusive_cumprod(flat) * _exclusive_cumprod(flat[..., ::-1])[..., ::-1]
        others = np.transpose(others.reshape(moved.shape), np.argsort(rest + list(axes)))
        return _expand(grad_out, x.shape, ctx.axis, ctx.keepdims) * others


def _exclusive_cumprod(a):
    """[1, a0, a0·a1, ...] along the last axis."""
    shifted = np.concatenate([np.ones_like(a[..., :1]), a[..., :-1]], axis=-1)
    return np.cumprod(shifted, axis=-1)


class Norm(Function):
    """Y = (Σ |X|^p)^(1/p) over ``axis``, for a finite p ≥ 1.

    dY/dX = sign(X) |X|^(p−1) / Y^(p−1); for p = 2 that is X / Y. Where Y = 0 the gradient is
    taken as 0 (the subgradient PyTorch uses).   Saves X and Y (with kept dims).
    """

    @staticmethod
    def forward(ctx, x, p=2.0, axis=None, keepdims=False):
        y = np.sum(np.abs(x) ** p, axis=axis, keepdims=True) ** (1.0 / p)
        ctx.save_for_backward(x, y)
        ctx.p, ctx.axis, ctx.keepdims = p, axis, keepdims
        return y if keepdims else (np.squeeze(y, axis=axis) if axis is not None else y.reshape(()))

    @staticmethod
    def backward(ctx, grad_out):
        x, y = ctx.saved
        p = ctx.p
        safe_y = np.where(y == 0, 1, y)
        ratio = x / safe_y if p == 2 else np.sign(x) * (np.abs(x) / safe_y) ** (p - 1)
        zero = np.zeros((), dtype=ratio.dtype)
        grad = _expand(grad_out, x.shape, ctx.axis, ctx.keepdims) * np.where(y == 0, zero, ratio)
        return grad


class LogSumExp(Function):
    """Y = ln Σ_axis e^X, computed as M + ln Σ e^(X−M) with M = max X (never overflows; rows
    of −inf give −inf).   dL/dX = G ⊙ softmax(X) = G ⊙ e^(X−Y).   Saves X and Y (kept dims).
    """

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        y = _logsumexp(x, axis)
        ctx.save_for_backward(x, y)
        ctx.axis, ctx.keepdims = axis, keepdims
        return y if keepdims else (np.squeeze(y, axis=axis) if axis is not None else y.reshape(()))

    @staticmethod
    def backward(ctx, grad_out):
        x, y = ctx.saved
        return _expand(grad_out, x.shape, ctx.axis, ctx.keepdims) * np.exp(x - y)


def _max_shift(x, axis):
    """M = max X along ``axis`` with kept dims, taken as 0 on rows whose max is ±inf or NaN,
    and whether every row's max was finite."""
    m = np.maximum.reduce(x, axis=axis, keepdims=True)
    finite = np.isfinite(m)
    if finite.all():
        return m, True
    return np.where(finite, m, 0), False


def _log_sum_exp_shifted(shifted, axis, finite):
    """ln Σ e^(X−M) with kept dims, given X − M. When every max was finite, each sum holds
    e^0 = 1 and is at least 1; otherwise a row of −inf sums to 0, whose log is −inf (without
    the divide-by-zero warning, for which ``errstate``, costly per call, is entered)."""
    sums = np.add.reduce(np.exp(shifted), axis=axis, keepdims=True)
    if finite:
        return np.log(sums)
    with np.errstate(divide="ignore"):
        return np.log(sums)


def log_softmax_values(x, axis):
    """(X − M) − ln Σ e^(X−M) along ``axis``: log-softmax of an array, to full precision
    (shared by ``LogSoftmax`` and the fused cross-entropy)."""
    m, finite = _max_shift(x, axis)
    shifted = x - m
    shifted -= _log_sum_exp_shifted(shifted, axis, finite)
    return shifted


def _logsumexp(x, axis):
    """M + ln Σ e^(X−M) with kept dims."""
    m, finite = _max_shift(x, axis)
    return m + _log_sum_exp_shifted(x - m, axis, finite)


class Softmax(Function):
    """Y = e^(X−M) / Σ e^(X−M) along ``axis`` (M = max, for stability).

    Jacobian diag(Y) − Y Yᵀ, so  dL/dX = Y ⊙ (G − Σ_axis G ⊙ Y).   Saves Y.
    """

    @staticmethod
    def forward(ctx, x, axis=-1):
        e = np.exp(x - np.amax(x, axis=axis, keepdims=True))
        y = e / np.sum(e, axis=axis, keepdims=True)
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved
        return y * (grad_out - np.sum(grad_out * y, axis=ctx.axis, keepdims=True))


class LogSoftmax(Function):
    """Y = X − logsumexp(X) along ``axis`` (max-shifted: finite for inputs of ±1000).

    dYᵢ/dXⱼ = δᵢⱼ − softmax(X)ⱼ, so  dL/dX = G − softmax(X) ⊙ Σ_axis G,  with
    softmax(X) = e^Y.   Saves Y.

    Numerics: computed as (X − M) − ln Σ e^(X−M), M = max X. Subtracting logsumexp(X) itself
    would round M + ln Σ to the precision of M first (about 3e-5 next to 1000 in float32).
    """

    @staticmethod
    def forward(ctx, x, axis=-1):
        y = log_softmax_values(x, axis)
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved
        return grad_out - np.exp(y) * np.sum(grad_out, axis=ctx.axis, keepdims=True)
