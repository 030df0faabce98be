"""Op table rows for the wider shape, statistics, search and product API: flips and rotations,
the stacks and splits, diagonals, and (below) reductions, scans, selections and products.

Each row runs the chainrule call against an independent NumPy reference, its gradient against
finite differences in float64 and its values and gradient against torch
(they are part of the op table, ``op_specs.SPECS``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

import chainrule as cr
from tests.ops.spec_types import (
    ANY,
    DISTINCT,
    REDUCE_ALL,
    REDUCE_DIM,
    UNARY,
    Choice,
    Integers,
    M,
    Mask,
    OpSpec,
    S,
    Shape,
    reduction,
    unary,
)

THREE_D = (((2, 3, 4),),)
BIG_3D = ((6, 5, 4),)


def np_atleast(x, ndim):
    return [np.atleast_1d, np.atleast_2d, np.atleast_3d][ndim - 1](x)


def np_diag_embed(x, offset, dim1, dim2):
    """Loops, not a clever index: each output matrix built entry by entry."""
    n = x.shape[-1] + abs(offset)
    out = np.zeros(x.shape[:-1] + (n, n), dtype=x.dtype)
    for index in np.ndindex(x.shape[:-1]):
        for i in range(x.shape[-1]):
            r, c = (i, i + offset) if offset >= 0 else (i - offset, i)
            out[index + (r, c)] = x[index + (i,)]
    return np.moveaxis(out, (-2, -1), (dim1, dim2))


def np_block_diag(*blocks):
    blocks = [np.atleast_2d(b) for b in blocks]
    out = np.zeros((sum(b.shape[0] for b in blocks), sum(b.shape[1] for b in blocks)),
                   dtype=np.result_type(*blocks))
    r = c = 0
    for b in blocks:
        out[r:r + b.shape[0], c:c + b.shape[1]] = b
        r, c = r + b.shape[0], c + b.shape[1]
    return out


def np_tensor_split(x, spec, axis):
    return tuple(np.array_split(x, spec, axis=axis))


# ---------------------------------------------------------------- flips, joins, splits

SHAPES = [
    unary("flip_function", lambda x: cr.flip(x, (0, -1)), lambda x: np.flip(x, (0, -1)),
          torch_op=lambda t, x: t.flip(x, (0, -1)), cases=(((S, M),), ((2, 3, 4),))),
    unary("fliplr", lambda x: cr.fliplr(x), np.fliplr, torch_op=lambda t, x: t.fliplr(x),
          cases=(((S, M),), ((2, 3, 4),))),
    unary("flipud", lambda x: cr.flipud(x), np.flipud, torch_op=lambda t, x: t.flipud(x),
          cases=(((S,),), ((S, M),))),
    unary("fliplr_method", lambda x: x.fliplr(), np.fliplr, cases=(((S, M),),)),
    unary("rot90", lambda x: cr.rot90(x), np.rot90, torch_op=lambda t, x: t.rot90(x),
          cases=(((S, M),), ((2, 3, 4),))),
    unary("rot90_k2", lambda x: x.rot90(2, (1, 2)), lambda x: np.rot90(x, 2, (1, 2)),
          cases=THREE_D, big=BIG_3D),
    unary("rot90_k3_neg_dims", lambda x: x.rot90(-1, [-1, 0]),
          lambda x: np.rot90(x, -1, (-1, 0)), cases=(((S, M),), ((2, 3, 4),))),
    unary("rot90_k4", lambda x: x.rot90(4), lambda x: np.rot90(x, 4), cases=(((S, M),),)),
    OpSpec("concat", lambda a, b: cr.concat([a, b], dim=1),
           lambda a, b: np.concatenate([a, b], 1), lambda t, a, b: t.concat([a, b], dim=1),
           cases=(((S, 2), (S, 3)),), big=((64, 32), (64, 16))),
    OpSpec("concatenate", lambda a, b: cr.concatenate((a, b), axis=-1),
           lambda a, b: np.concatenate([a, b], -1),
           lambda t, a, b: t.concatenate((a, b), axis=-1),
           cases=(((S,), (2,)), ((S, 2), (S, 3))), big=((64, 32), (64, 16))),
    OpSpec("hstack", lambda a, b: cr.hstack([a, b]), lambda a, b: np.hstack([a, b]),
           lambda t, a, b: t.hstack([a, b]),
           cases=(((), ()), ((), (S,)), ((S,), (3,)), ((S, 2), (S, 3)), ((2, 3, 4), (2, 1, 4))),
           big=((64, 32), (64, 16))),
    OpSpec("vstack", lambda a, b: cr.vstack([a, b]), lambda a, b: np.vstack([a, b]),
           lambda t, a, b: t.vstack([a, b]),
           cases=(((), ()), ((S,), (S,)), ((S,), (2, S)), ((2, 3, 4), (1, 3, 4))),
           big=((64, 32), (16, 32))),
    OpSpec("row_stack", lambda a, b: cr.row_stack([a, b]), lambda a, b: np.vstack([a, b]),
           lambda t, a, b: t.row_stack([a, b]), cases=(((S,), (S,)),), big=((32,), (32,))),
    OpSpec("dstack", lambda a, b: cr.dstack([a, b]), lambda a, b: np.dstack([a, b]),
           lambda t, a, b: t.dstack([a, b]),
           cases=(((), ()), ((S,), (S,)), ((S, M), (S, M)), ((2, 3, 4), (2, 3, 1))),
           big=((64, 32), (64, 32))),
    OpSpec("column_stack", lambda a, b, c: cr.column_stack([a, b, c]),
           lambda a, b, c: np.column_stack([a, b, c]),
           lambda t, a, b, c: t.column_stack([a, b, c]),
           cases=(((S,), (S, 2), (S,)), ((), (1, 3), ())), big=((64,), (64, 8), (64,))),
    OpSpec("atleast_1d", lambda x: cr.atleast_1d(x), lambda x: np_atleast(x, 1),
           lambda t, x: t.atleast_1d(x), cases=(((),), ((S,),), ((S, M),))),
    OpSpec("atleast_2d_many", lambda a, b: cr.atleast_2d(a, b),
           lambda a, b: (np_atleast(a, 2), np_atleast(b, 2)),
           lambda t, a, b: t.atleast_2d(a, b), cases=(((), (S,)), ((S, M), (2, 3, 4))),
           big=((64, 32), (32,))),
    OpSpec("atleast_3d", lambda x: cr.atleast_3d(x), lambda x: np_atleast(x, 3),
           lambda t, x: t.atleast_3d(x), cases=(((),), ((S,),), ((S, M),), ((2, 3, 4),))),
    OpSpec("broadcast_to_function", lambda x: cr.broadcast_to(x, (3, -1, M)),
           lambda x: np.broadcast_to(x, (3, S, M)), lambda t, x: t.broadcast_to(x, (3, -1, M)),
           cases=(((S, 1),), ((S, M),)), big=((64, 1),)),
    OpSpec("broadcast_tensors", lambda a, b: cr.broadcast_tensors(a, b),
           lambda a, b: tuple(np.broadcast_arrays(a, b)),
           lambda t, a, b: t.broadcast_tensors(a, b),
           cases=(((S, 1), (1, M)), ((), (S,)), ((M,), (S, M))), big=((64, 1), (32,))),
    OpSpec("tensor_split_sections", lambda x: cr.tensor_split(x, 3, dim=1),
           lambda x: np_tensor_split(x, 3, 1), lambda t, x: t.tensor_split(x, 3, dim=1),
           cases=(((S, M),), ((2, 7, 3),))),
    OpSpec("tensor_split_indices", lambda x: x.tensor_split([1, -2, 9]),
           lambda x: np_tensor_split(x, [1, x.shape[0] - 2, 9], 0),
           cases=(((M,),), ((M, 3),))),
    OpSpec("hsplit", lambda x: cr.hsplit(x, 2), lambda x: tuple(np.hsplit(x, 2)),
           lambda t, x: t.hsplit(x, 2), cases=(((M,),), ((S, M),))),
    OpSpec("hsplit_indices", lambda x: x.hsplit([1, 3]), lambda x: tuple(np.hsplit(x, [1, 3])),
           cases=(((S, M),),)),
    OpSpec("vsplit", lambda x: cr.vsplit(x, [2]), lambda x: tuple(np.vsplit(x, [2])),
           lambda t, x: t.vsplit(x, [2]), cases=(((S, M),), ((2, 3, 4),))),
    OpSpec("dsplit", lambda x: x.dsplit(2), lambda x: tuple(np.dsplit(x, 2)),
           cases=THREE_D, big=BIG_3D),
    OpSpec("select", lambda x: cr.select(x, -1, -2), lambda x: x[..., -2],
           lambda t, x: t.select(x, -1, -2), cases=(((S,),), ((S, M),), ((2, 3, 4),))),
    OpSpec("select_method", lambda x: x.select(0, 1), lambda x: x[1], cases=(((S, M),),)),
]

DIAGONALS = [
    OpSpec("diagonal", lambda x: cr.diagonal(x), lambda x: np.diagonal(x).copy(),
           lambda t, x: t.diagonal(x), cases=(((S, M),), ((M, S),), ((2, 3, 4),))),
    OpSpec("diagonal_offset_dims", lambda x: x.diagonal(1, 2, 0),
           lambda x: np.diagonal(x, 1, 2, 0).copy(), cases=THREE_D, big=BIG_3D),
    OpSpec("diagonal_negative_offset", lambda x: cr.diagonal(x, offset=-2, dim1=-1, dim2=-2),
           lambda x: np.diagonal(x, -2, -1, -2).copy(),
           lambda t, x: t.diagonal(x, offset=-2, dim1=-1, dim2=-2),
           cases=(((S, M),), ((2, 3, 4),))),
    OpSpec("diagonal_offset_past_the_end", lambda x: x.diagonal(M + 1),
           lambda x: np.diagonal(x, M + 1).copy(), cases=(((S, M),),)),
    OpSpec("trace", lambda x: cr.trace(x), np.trace, lambda t, x: t.trace(x),
           cases=(((S, M),), ((M, S),), ((3, 3),))),
    OpSpec("trace_method", lambda x: x.trace(), np.trace, cases=(((S, S),),)),
    OpSpec("diag_embed", lambda x: cr.diag_embed(x), lambda x: np_diag_embed(x, 0, -2, -1),
           lambda t, x: t.diag_embed(x), cases=(((S,),), ((2, 3),), ((2, 3, 4),))),
    OpSpec("diag_embed_offset_dims", lambda x: x.diag_embed(1, 0, 2),
           lambda x: np_diag_embed(x, 1, 0, 2), cases=(((2, 3),), ((2, 3, 4),)),
           big=((8, 6),)),
    OpSpec("diag_embed_negative_offset", lambda x: cr.diag_embed(x, -2, -1, 0),
           lambda x: np_diag_embed(x, -2, -1, 0), lambda t, x: t.diag_embed(x, -2, -1, 0),
           cases=(((S,),), ((2, 3),))),
    OpSpec("block_diag", lambda a, b, c: cr.block_diag(a, b, c), np_block_diag,
           lambda t, a, b, c: t.block_diag(a, b, c),
           cases=(((), (3,), (2, 2)), ((2, 3), (1, 1), (4,))), big=((8, 4), (16,), (3, 5))),
]


# ---------------------------------------------------------------- reductions and statistics


def holes(shape: Shape) -> np.ndarray:
    """NaN at every third element (flat positions 1, 4, 7, ...), 0 elsewhere: added to an input,
    it makes NaN that the NaN-skipping ops must ignore, at places finite differences cannot
    move (so the gradient there must be 0), and never a slice of NaN only."""
    flat = np.arange(int(np.prod(shape)))
    return np.where(flat % 3 == 1, np.nan, 0.0).reshape(shape)


def with_holes(x):
    """``x`` plus ``holes`` (chainrule tensors or NumPy arrays)."""
    if isinstance(x, np.ndarray):
        return x + holes(x.shape).astype(x.dtype)
    return x + cr.tensor(holes(tuple(x.shape)), dtype=x.dtype)


def torch_with_holes(torch, x):
    return x + torch.tensor(holes(tuple(x.shape)), dtype=x.dtype)


LEVELS = [0.0, 0.25, 0.6, 1.0]


def np_quantile(x, q, axis=None, keepdims=False, method="linear", nan=False):
    """NumPy's quantile; NumPy calls 'nearest' what PyTorch does too (halves to even). In the
    input's dtype: NumPy 1.26 gives float64 for some float32 inputs."""
    fn = np.nanquantile if nan else np.quantile
    return np.asarray(fn(x, q, axis=axis, keepdims=keepdims, method=method), dtype=x.dtype)


def np_median_dim(x, axis, keepdims=False):
    """The lower median and its index, by sorting each slice (values are distinct)."""
    order = np.argsort(x, axis=axis)
    k = (x.shape[axis] - 1) // 2
    index = np.take(order, [k], axis=axis)
    values = np.take_along_axis(x, index, axis)
    if not keepdims:
        values, index = np.squeeze(values, axis), np.squeeze(index, axis)
    return values, index


def np_running(x, axis, better):
    """(values, indices) of a running max (better=np.greater) or min, by an explicit loop."""
    x = np.moveaxis(x, axis, -1)
    values, index = x.copy(), np.zeros(x.shape, dtype=np.int64)
    for pos in np.ndindex(x.shape[:-1]):
        best = 0
        for j in range(x.shape[-1]):
            if not better(x[pos][best], x[pos][j]):
                best = j
            values[pos + (j,)], index[pos + (j,)] = x[pos][best], best
    return np.moveaxis(values, -1, axis), np.moveaxis(index, -1, axis)


def np_logcumsumexp(x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    return np.log(np.cumsum(np.exp(x - m), axis=axis)) + m


STATISTICS = [
    reduction("amax_function", lambda x: cr.amax(x, (0, -1)), lambda x: np.max(x, (0, -1)),
              torch_op=lambda t, x: t.amax(x, (0, -1)), domain=DISTINCT),
    reduction("amin_function_all", lambda x: cr.amin(x), np.min, cases=REDUCE_ALL,
              torch_op=lambda t, x: t.amin(x), domain=DISTINCT),
    reduction("aminmax", lambda x: cr.aminmax(x, dim=1, keepdim=True),
              lambda x: (np.min(x, 1, keepdims=True), np.max(x, 1, keepdims=True)),
              torch_op=lambda t, x: t.aminmax(x, dim=1, keepdim=True), domain=DISTINCT),
    reduction("aminmax_all", lambda x: x.aminmax(), lambda x: (np.min(x), np.max(x)),
              cases=REDUCE_ALL, domain=DISTINCT),
    reduction("count_nonzero", lambda x: cr.count_nonzero(x, (0, -1)),
              lambda x: np.count_nonzero(x, (0, -1)),
              torch_op=lambda t, x: t.count_nonzero(x, (0, -1)),
              domain=Choice((0.0, 1.5, -2.0)), grad=False),
    reduction("nansum", lambda x: cr.nansum(with_holes(x)), lambda x: np.nansum(with_holes(x)),
              cases=REDUCE_ALL, torch_op=lambda t, x: t.nansum(torch_with_holes(t, x))),
    reduction("nansum_dim_keepdim", lambda x: with_holes(x).nansum(1, keepdim=True),
              lambda x: np.nansum(with_holes(x), 1, keepdims=True),
              torch_op=lambda t, x: torch_with_holes(t, x).nansum(1, keepdim=True)),
    reduction("nanmean", lambda x: cr.nanmean(with_holes(x), (0, -1)),
              lambda x: np.nanmean(with_holes(x), (0, -1)),
              torch_op=lambda t, x: t.nanmean(torch_with_holes(t, x), (0, -1))),
    reduction("nanmean_all", lambda x: with_holes(x).nanmean(),
              lambda x: np.nanmean(with_holes(x)), cases=REDUCE_ALL[1:],
              torch_op=lambda t, x: torch_with_holes(t, x).nanmean()),
    reduction("median_all", lambda x: cr.median(x),
              lambda x: np.sort(x, None)[(x.size - 1) // 2], cases=REDUCE_ALL,
              torch_op=lambda t, x: t.median(x), domain=DISTINCT),
    reduction("median_dim", lambda x: cr.median(x, 1), lambda x: np_median_dim(x, 1),
              torch_op=lambda t, x: t.median(x, 1), domain=DISTINCT),
    reduction("median_dim_keepdim", lambda x: x.median(-1, keepdim=True),
              lambda x: np_median_dim(x, -1, True), cases=UNARY[1:], domain=DISTINCT),
    # distinct values: each occurs once, so the mode is the smallest (ties: test_structure_api)
    reduction("mode", lambda x: cr.mode(x), lambda x: (np.min(x, -1), np.argmin(x, -1)),
              cases=UNARY[1:],
              torch_op=lambda t, x: t.mode(x), domain=DISTINCT),
    reduction("quantile", lambda x: cr.quantile(x, 0.3), lambda x: np_quantile(x, 0.3),
              torch_op=lambda t, x: t.quantile(x, 0.3), cases=REDUCE_ALL, domain=DISTINCT),
    reduction("quantile_levels_dim",
              lambda x: cr.quantile(x, cr.tensor(LEVELS, dtype=x.dtype), dim=1, keepdim=True),
              lambda x: np_quantile(x, np.array(LEVELS, dtype=x.dtype), 1, True),
              torch_op=lambda t, x: t.quantile(x, t.tensor(LEVELS, dtype=x.dtype), dim=1,
                                               keepdim=True),
              domain=DISTINCT),
] + [
    reduction(f"quantile_{method}", lambda x, m=method: x.quantile(0.35, -1, interpolation=m),
              lambda x, m=method: np_quantile(x, 0.35, -1, method=m),
              torch_op=lambda t, x, m=method: t.quantile(x, 0.35, -1, interpolation=m),
              cases=UNARY[1:], domain=DISTINCT)
    for method in ("lower", "higher", "midpoint", "nearest")
] + [
    reduction("nanquantile", lambda x: cr.nanquantile(with_holes(x), 0.6, 0),
              lambda x: np_quantile(with_holes(x), 0.6, 0, nan=True),
              torch_op=lambda t, x: t.nanquantile(torch_with_holes(t, x), 0.6, 0),
              cases=UNARY[1:], domain=DISTINCT),
    reduction("cummax", lambda x: cr.cummax(x, 1), lambda x: np_running(x, 1, np.greater_equal),
              torch_op=lambda t, x: t.cummax(x, 1), domain=DISTINCT),
    reduction("cummin", lambda x: x.cummin(0), lambda x: np_running(x, 0, np.less_equal),
              cases=UNARY[1:], domain=DISTINCT),
    reduction("logcumsumexp", lambda x: cr.logcumsumexp(x, -1),
              lambda x: np_logcumsumexp(x, -1), torch_op=lambda t, x: t.logcumsumexp(x, -1),
              cases=UNARY[1:] + REDUCE_DIM[1:]),
    reduction("logcumsumexp_0d", lambda x: x.logcumsumexp(0), lambda x: x.copy(),
              cases=(((),),)),
    reduction("std_mean", lambda x: cr.std_mean(x, 1), lambda x: (np.std(x, 1, ddof=1),
                                                                  np.mean(x, 1)),
              torch_op=lambda t, x: t.std_mean(x, 1)),
    reduction("std_mean_unbiased_false", lambda x: cr.std_mean(x, unbiased=False),
              lambda x: (np.std(x), np.mean(x)),
              torch_op=lambda t, x: t.std_mean(x, unbiased=False)),
    reduction("var_mean_correction_keepdim",
              lambda x: cr.var_mean(x, (0, -1), correction=2, keepdim=True),
              lambda x: (np.var(x, (0, -1), ddof=2, keepdims=True),
                         np.mean(x, (0, -1), keepdims=True)),
              torch_op=lambda t, x: t.var_mean(x, (0, -1), correction=2, keepdim=True)),
    reduction("diff", lambda x: cr.diff(x), lambda x: np.diff(x),
              torch_op=lambda t, x: t.diff(x), cases=UNARY[1:] + REDUCE_DIM[1:]),
    reduction("diff_n2_dim0", lambda x: x.diff(2, 0), lambda x: np.diff(x, 2, 0),
              cases=UNARY[1:]),
    OpSpec("diff_prepend_append", lambda x, a, b: cr.diff(x, 1, 0, a, b),
           lambda x, a, b: np.diff(x, 1, 0, prepend=a, append=b),
           lambda t, x, a, b: t.diff(x, 1, 0, a, b),
           cases=(((S, 3), (1, 3), (2, 3)), ((S,), (2,), (1,))), big=((64, 8), (2, 8), (1, 8))),
]


# ---------------------------------------------------------------- indexing and search


@dataclass(frozen=True)
class Sorted:
    """U(−2, 2) sorted along the last axis (boundaries, sorted sequences)."""

    def __call__(self, rng: np.random.Generator, shape: Shape) -> np.ndarray:
        return np.sort(rng.uniform(-2, 2, shape), axis=-1)


def np_searchsorted_rows(sequence, values, side="left"):
    out = np.zeros(values.shape, dtype=np.int64)
    for row in np.ndindex(values.shape[:-1]):
        out[row] = np.searchsorted(sequence[row], values[row], side=side)
    return out


SEARCH = [
    OpSpec("masked_select", lambda x, m: cr.masked_select(x, m), lambda x, m: x[m],
           lambda t, x, m: t.masked_select(x, m),
           cases=(((), ()), ((S,), (S,)), ((S, M), (S, M))), domain=(ANY, Mask()),
           big=((64, 32), (64, 32))),
    OpSpec("masked_select_broadcast", lambda x, m: x.masked_select(m),
           lambda x, m: np.broadcast_to(x, np.broadcast_shapes(x.shape, m.shape))[
               np.broadcast_to(m, np.broadcast_shapes(x.shape, m.shape))],
           cases=(((S, 1), (1, M)), ((M,), (S, M)), ((S, M), ())), domain=(ANY, Mask()),
           big=((64, 1), (64, 32))),
    OpSpec("take", lambda x, i: cr.take(x, i), lambda x, i: x.reshape(-1)[i],
           lambda t, x, i: t.take(x, i), cases=(((S, M), (3, 4)), ((S, M), ())),
           domain=(ANY, Integers(-S * M, S * M)), big=((8, 8), (40,))),
    OpSpec("take_method", lambda x, i: x.take(i), lambda x, i: x.reshape(-1)[i],
           cases=(((S,), (M,)),), domain=(ANY, Integers(-S, S)), big=((64,), (40,))),
    OpSpec("argwhere", lambda x: cr.argwhere(x), np.argwhere, lambda t, x: t.argwhere(x),
           cases=(((),), ((S,),), ((S, M),)), domain=Choice((0.0, 1.0)), grad=False),
    OpSpec("isin", lambda a, b: cr.isin(a, b), np.isin, lambda t, a, b: t.isin(a, b),
           cases=(((S, M), (S,)), ((), (3,))), domain=Choice((0.0, 0.5, 1.0, 1.5)),
           grad=False),
    OpSpec("isin_invert", lambda a, b: cr.isin(a, b, invert=True),
           lambda a, b: np.isin(a, b, invert=True),
           lambda t, a, b: t.isin(a, b, invert=True), cases=(((S, M), (4,)),),
           domain=Choice((0.0, 0.5, 1.0, 1.5)), grad=False),
    OpSpec("bucketize", lambda x, b: cr.bucketize(x, b),
           lambda x, b: np.searchsorted(b, x, side="left"),
           lambda t, x, b: t.bucketize(x, b), cases=(((S, M), (4,)), ((), (3,))),
           domain=(ANY, Sorted()), grad=False),
    OpSpec("bucketize_right_int32", lambda x, b: cr.bucketize(x, b, right=True, out_int32=True),
           lambda x, b: np.searchsorted(b, x, side="right").astype(np.int32),
           lambda t, x, b: t.bucketize(x, b, right=True, out_int32=True),
           cases=(((S, M), (6,)),), domain=(Choice((-1.0, 0.0, 1.0)), Choice((-1.0, 0.0, 1.0))),
           grad=False),
    OpSpec("searchsorted", lambda s, v: cr.searchsorted(s, v),
           lambda s, v: np.searchsorted(s, v), lambda t, s, v: t.searchsorted(s, v),
           cases=(((M,), (S, 3)), ((M,), ())), domain=(Sorted(), ANY), grad=False),
    OpSpec("searchsorted_rows_right", lambda s, v: cr.searchsorted(s, v, side="right"),
           lambda s, v: np_searchsorted_rows(s, v, "right"),
           lambda t, s, v: t.searchsorted(s, v, side="right"),
           cases=(((S, M), (S, 3)), ((2, 3, 4), (2, 3, 5))),
           domain=(Choice((-1.0, 0.0, 1.0)), Choice((-1.0, 0.0, 1.0))), grad=False),
    OpSpec("bincount", lambda x: cr.bincount(x), np.bincount, lambda t, x: t.bincount(x),
           cases=(((M,),), ((0,),)), domain=Integers(0, 7), grad=False),
    OpSpec("bincount_weights_minlength", lambda x, w: x.bincount(w, minlength=9),
           lambda x, w: np.bincount(x, w, minlength=9).astype(w.dtype),
           lambda t, x, w: x.bincount(w, minlength=9), cases=(((M,), (M,)),),
           domain=(Integers(0, 7), ANY), grad=False),
    OpSpec("histc", lambda x: cr.histc(x, 7, -1.5, 1.5),
           lambda x: np.histogram(x, 7, (-1.5, 1.5))[0].astype(x.dtype),
           lambda t, x: t.histc(x, 7, -1.5, 1.5), cases=(((S, M),), ((M,),)), grad=False),
    OpSpec("histc_data_range", lambda x: x.histc(6),
           lambda x: np.histogram(x, 6)[0].astype(x.dtype), cases=(((S, M),),), grad=False),
]


# ---------------------------------------------------------------- products and linear algebra


@dataclass(frozen=True)
class WellConditioned:
    """I + U(−0.3, 0.3) in the last two dimensions (square): invertible, condition number
    small, so inverse and det are smooth there."""

    def __call__(self, rng: np.random.Generator, shape: Shape) -> np.ndarray:
        return np.eye(shape[-1]) + rng.uniform(-0.3, 0.3, shape)


WELL = WellConditioned()


def np_cdist(a, b, p):
    diff = np.abs(a[..., :, None, :] - b[..., None, :, :])
    if p == np.inf:
        return diff.max(-1)
    return (diff ** p).sum(-1) ** (1 / p)


def np_cartesian(*vectors):
    return np.array(list(itertools.product(*vectors))).reshape(-1, len(vectors))


def np_combinations(x, r, with_replacement=False):
    choose = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    rows = [[x[i] for i in c] for c in choose(range(len(x)), r)]
    return np.array(rows, dtype=x.dtype).reshape(-1, r)


def np_matrix_norm(x, ord):
    return np.linalg.norm(x, ord)


PRODUCTS = [
    OpSpec("tensordot", lambda a, b: cr.tensordot(a, b, 1), lambda a, b: np.tensordot(a, b, 1),
           lambda t, a, b: t.tensordot(a, b, 1), cases=(((S, M), (M, 3)), ((M,), (M, 2))),
           big=((64, 32), (32, 16))),
    OpSpec("tensordot_default", lambda a, b: cr.tensordot(a, b),
           lambda a, b: np.tensordot(a, b), lambda t, a, b: t.tensordot(a, b),
           cases=(((2, 3, 4), (3, 4, 5)), ((S, M), (S, M))), big=((16, 8, 4), (8, 4, 6))),
    OpSpec("tensordot_pairs", lambda a, b: cr.tensordot(a, b, ([0, 2], [1, 0])),
           lambda a, b: np.tensordot(a, b, ([0, 2], [1, 0])),
           lambda t, a, b: t.tensordot(a, b, ([0, 2], [1, 0])),
           cases=(((2, 3, 4), (4, 2)), ((2, 3, 4), (4, 2, 5))), big=((16, 8, 4), (4, 16, 3))),
    OpSpec("tensordot_outer", lambda a, b: cr.tensordot(a, b, 0),
           lambda a, b: np.tensordot(a, b, 0), lambda t, a, b: t.tensordot(a, b, 0),
           cases=(((S,), (3,)), ((), (2, 3))), big=((16,), (8, 4))),
    OpSpec("kron", lambda a, b: cr.kron(a, b), np.kron, lambda t, a, b: t.kron(a, b),
           cases=(((2, 3), (3, 2)), ((3,), (2, 2)), ((), (3,)), ((2, 1, 3), (2, 2))),
           big=((8, 6), (4, 5))),
    OpSpec("cross", lambda a, b: cr.cross(a, b), lambda a, b: np.cross(a, b),
           lambda t, a, b: t.cross(a, b, dim=-1), cases=(((S, 3), (S, 3)), ((3,), (3,))),
           big=((64, 3), (64, 3))),
    OpSpec("cross_dim0_broadcast", lambda a, b: a.cross(b, dim=0),
           lambda a, b: np.cross(a, b, axis=0),
           cases=(((3, S), (3, 1)), ((3, 3), (3, 3))), big=((3, 64), (3, 64))),
    OpSpec("linalg_cross", lambda a, b: cr.linalg.cross(a, b),
           lambda a, b: np.cross(a, b), lambda t, a, b: t.linalg.cross(a, b),
           cases=(((S, 3), (1, 3)), ((2, S, 3), (1, S, 3))), big=((64, 3), (64, 3))),
    OpSpec("cdist", lambda a, b: cr.cdist(a, b), lambda a, b: np_cdist(a, b, 2),
           lambda t, a, b: t.cdist(a, b), cases=(((S, 3), (4, 3)), ((2, S, 3), (4, 3))),
           big=((32, 8), (16, 8))),
] + [
    OpSpec(f"cdist_p{p}", lambda a, b, p=p: cr.cdist(a, b, p=p),
           lambda a, b, p=p: np_cdist(a, b, p), lambda t, a, b, p=p: t.cdist(a, b, p=p),
           cases=(((S, 3), (4, 3)),), big=((8, 4), (6, 4)))
    for p in (1.0, 3.0, np.inf)
] + [
    OpSpec(f"dist_p{p}", lambda a, b, p=p: cr.dist(a, b, p),
           lambda a, b, p=p: np.linalg.norm(np.ravel(np.broadcast_arrays(a, b)[0] - b), p),
           lambda t, a, b, p=p: t.dist(a, b, p),
           cases=(((S,), (S,)), ((S, M), (M,))), big=((64, 32), (32,)))
    for p in (2, 1, 3, np.inf)
] + [
    OpSpec("dist_method", lambda a, b: a.dist(b), lambda a, b: np.linalg.norm(a - b),
           cases=(((S,), (S,)),), big=((64,), (64,))),
    OpSpec("baddbmm", lambda c, a, b: cr.baddbmm(c, a, b, beta=0.5, alpha=2),
           lambda c, a, b: 0.5 * c + 2 * (a @ b),
           lambda t, c, a, b: t.baddbmm(c, a, b, beta=0.5, alpha=2),
           cases=(((3,), (2, 2, 4), (2, 4, 3)), ((2, 2, 3), (2, 2, 4), (2, 4, 3))),
           big=((8, 16, 8), (8, 16, 4), (8, 4, 8))),
    OpSpec("baddbmm_method", lambda c, a, b: c.baddbmm(a, b), lambda c, a, b: c + a @ b,
           cases=(((2, 2, 3), (2, 2, 4), (2, 4, 3)),), big=((8, 16, 8), (8, 16, 4), (8, 4, 8))),
    OpSpec("cartesian_prod", lambda a, b: cr.cartesian_prod(a, b), np_cartesian,
           lambda t, a, b: t.cartesian_prod(a, b), cases=(((2,), (3,)), ((4,), (1,))),
           big=((16,), (8,))),
    OpSpec("cartesian_prod_one", lambda a: cr.cartesian_prod(a), lambda a: a.copy(),
           lambda t, a: t.cartesian_prod(a), cases=(((S,),),), big=((64,),)),
    OpSpec("combinations", lambda x: cr.combinations(x), lambda x: np_combinations(x, 2),
           lambda t, x: t.combinations(x), cases=(((S,),), ((1,),)), big=((16,),)),
    OpSpec("combinations_r3_replacement", lambda x: cr.combinations(x, 3, True),
           lambda x: np_combinations(x, 3, True),
           lambda t, x: t.combinations(x, 3, True), cases=(((4,),),), big=((8,),)),
    OpSpec("det", lambda x: cr.det(x), np.linalg.det, lambda t, x: t.det(x),
           cases=(((3, 3),), ((2, 4, 4),), ((1, 1),)), big=((4, 6, 6),)),
    OpSpec("det_method", lambda x: x.det(), np.linalg.det, cases=(((S, S),),), domain=WELL,
           big=((8, 8),)),
    OpSpec("linalg_det", lambda x: cr.linalg.det(x), np.linalg.det,
           lambda t, x: t.linalg.det(x), cases=(((3, 3),),), big=((8, 8),)),
    OpSpec("inverse", lambda x: cr.inverse(x), np.linalg.inv, lambda t, x: t.inverse(x),
           cases=(((3, 3),), ((2, 4, 4),), ((1, 1),)), domain=WELL, big=((4, 6, 6),)),
    OpSpec("inverse_method", lambda x: x.inverse(), np.linalg.inv, cases=(((S, S),),),
           domain=WELL, big=((8, 8),)),
    OpSpec("linalg_inv", lambda x: cr.linalg.inv(x), np.linalg.inv,
           lambda t, x: t.linalg.inv(x), cases=(((3, 3),),), domain=WELL, big=((8, 8),)),
    OpSpec("linalg_norm", lambda x: cr.linalg.norm(x), lambda x: np.linalg.norm(x.ravel()),
           lambda t, x: t.linalg.norm(x), cases=(((S,),), ((S, M),), ((2, 3, 4),))),
    OpSpec("linalg_norm_dim", lambda x: cr.linalg.norm(x, 3, dim=1, keepdim=True),
           lambda x: np.linalg.norm(x, 3, axis=1, keepdims=True),
           lambda t, x: t.linalg.norm(x, 3, dim=1, keepdim=True), cases=(((S, M),),),
           domain=DISTINCT),
] + [
    OpSpec(f"linalg_norm_matrix_{name}", lambda x, o=o: cr.linalg.norm(x, o),
           lambda x, o=o: np_matrix_norm(x, o), lambda t, x, o=o: t.linalg.norm(x, o),
           cases=(((S, M),), ((M, S),)), domain=DISTINCT)
    for name, o in (("fro", "fro"), ("1", 1), ("minus1", -1), ("inf", np.inf),
                    ("minus_inf", -np.inf))
]

STRUCTURE2 = SHAPES + DIAGONALS + STATISTICS + SEARCH + PRODUCTS
