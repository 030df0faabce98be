"""Scatter with a reduction (PyTorch ``scatter_reduce``): the one backward of the misc family.

The other misc ops (tile, unfold, index_put, put, index_copy, masked_scatter, the products and
the statistics) compose existing Functions: ``Scatter``, ``ScatterAdd``, ``GetItem``,
``MatMul`` and the reductions.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from .select import scatter_positions

REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def _factors(x, src, positions, region, include_self):
    """Per output position: how many factors reach it (``count``) and, for each src element,
    the flat position it lands on (``flat``); x counts as a factor only when included."""
    flat = np.ravel_multi_index(positions, x.shape) if x.size else np.zeros(0, np.intp)
    flat = np.broadcast_to(flat, src[region].shape).reshape(-1)
    count = np.bincount(flat, minlength=x.size).astype(np.int64)
    touched = count > 0
    if include_self:
        count = count + 1
    return flat, count, touched


def _combine(reduce, x, values, flat, count, touched, include_self):
    """The reduced output, flattened: the src ``values`` combined at ``flat`` (with x where
    included, x alone where no src element lands)."""
    out = x.reshape(-1).copy()
    if not include_self and reduce in ("amax", "amin"):
        out[touched] = values[np.unique(flat, return_index=True)[1]]  # one factor of each
    elif not include_self:
        out[touched] = 1 if reduce == "prod" else 0
    ufunc = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum,
             "amin": np.minimum}[reduce]
    with np.errstate(invalid="ignore"):  # NaN propagates through amax and amin, quietly
        ufunc.at(out, flat, values)
    if reduce == "mean":
        divisor = np.maximum(count, 1).astype(out.dtype)
        out = out // divisor if out.dtype.kind in "iu" else out / divisor
    return out


class ScatterReduce(Function):
    """Y = X, then every src element S[j] is combined into Y[p(I, j)] by ``reduce`` (PyTorch
    ``scatter_reduce``; p(I, j) is j with its ``axis`` coordinate replaced by I[j], as in
    ``Scatter``). At a position reached by src elements, the factors are those elements and,
    when ``include_self``, X there; elsewhere Y = X.

    Backward, per position q with factors f_1 … f_c (c = count[q]) and G = dL/dY[q]:
        sum:   ∂Y/∂f_k = 1                 → each factor gets G;
        mean:  Y = Σf / c                  → each factor gets G / c;
        prod:  ∂Y/∂f_k = Π_{i≠k} f_i       → with z the number of zero factors and Q the
               product of the non-zero ones: f_k ≠ 0 gets G·Q/f_k when z = 0, else 0;
               f_k = 0 gets G·Q when z = 1, else 0 (exact at zeros; f_k ≠ 0 divides);
        amax/amin: Y = f_m for the extreme factors; ties share G equally (PyTorch's rule).
    X where no src element lands gets G; X where it lands but is not included gets 0. Only
    the leading block of S of I's shape is read (as in ``Scatter``); the rest gets 0. I has
    no gradient. Saves X, the read S, Y, the flat positions and the counts (prod, amax and
    amin need the values, mean the counts).
    NOTE: integer ``mean`` floors the quotient, as PyTorch does.
    """

    @staticmethod
    def forward(ctx, x, src, indices, axis, reduce, include_self):
        positions = scatter_positions(indices, axis)
        region = tuple(slice(0, n) for n in indices.shape)
        flat, count, touched = _factors(x, src, positions, region, include_self)
        values = src[region].reshape(-1)
        out = _combine(reduce, x, values, flat, count, touched, include_self)
        ctx.reduce, ctx.include_self = reduce, include_self
        ctx.region, ctx.src_shape = region, src.shape
        ctx.save_for_backward(x, values, out, flat, count, touched)
        return out.reshape(x.shape)

    @staticmethod
    def backward(ctx, grad_out):
        x, values, out, flat, count, touched = ctx.saved
        g = grad_out.reshape(-1)
        own, each = _factor_grads(ctx.reduce, x.reshape(-1), values, out, flat, count,
                                  touched, ctx.include_self, g)
        grad_x = np.where(touched, own if ctx.include_self else 0, g).astype(g.dtype)
        grad_src = np.zeros(ctx.src_shape, dtype=g.dtype)
        grad_src[ctx.region] = each.reshape(grad_src[ctx.region].shape)
        return grad_x.reshape(x.shape), grad_src


def _factor_grads(reduce, x, values, out, flat, count, touched, include_self, g):
    """(gradient of X's factor at every position, gradient of every src element), from G."""
    if reduce == "sum":
        return g, g[flat]
    if reduce == "mean":
        scaled = g / np.maximum(count, 1)
        return scaled, scaled[flat]
    if reduce == "prod":
        return _prod_grads(x, values, flat, touched, include_self, g)
    ties = (values == out[flat]).astype(g.dtype)
    shared = np.bincount(flat, weights=ties, minlength=x.size)
    if include_self:
        shared = shared + (x == out)
    share = g / np.maximum(shared, 1)
    return share * (x == out), ties * share[flat]


def _prod_grads(x, values, flat, touched, include_self, g):
    """Π of the other factors at each position, times G, without dividing by a zero factor."""
    zero = values == 0
    zeros = np.bincount(flat, weights=zero, minlength=x.size)
    nonzero = np.ones_like(x)
    np.multiply.at(nonzero, flat, np.where(zero, 1, values))
    if include_self:
        zeros = zeros + (x == 0)
        nonzero = nonzero * np.where(x == 0, 1, x)
    one = np.ones((), dtype=x.dtype)
    own = np.where(x == 0, (zeros == 1) * nonzero, (zeros == 0) * nonzero / np.where(x == 0,
                                                                                   one, x))
    z, q = zeros[flat], nonzero[flat]
    each = np.where(zero, (z == 1) * q, (z == 0) * q / np.where(zero, one, values))
    return g * own, g[flat] * each
