"""Op table rows: selection, sorting and indexing (sort, topk, the max/min family's top-level
forms, gather, scatter, index_select, masked_fill, take_along_dim, narrow, unbind, tril, triu,
diag, unique, nonzero) and scans and shifts (cumsum, cumprod, roll, repeat_interleave).

Sorting and selecting rows draw distinct values (``DISTINCT``): the gradient at a tie is not
defined, and a finite difference must not reorder the values. Scatter rows draw indices that
never name one position twice (``DistinctIndices``): which source element lands there would
then be unspecified, in PyTorch as here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

import chainrule as cr
from tests.ops.spec_types import (
    ANY,
    DISTINCT,
    REDUCE_DIM,
    UNARY,
    Choice,
    Integers,
    M,
    Mask,
    OpSpec,
    S,
    Shape,
    np_gather,
    np_max_dim,
    reduction,
    unary,
)


@dataclass(frozen=True)
class DistinctIndices:
    """int64 indices in [0, n) of a 1-D or 2-D shape that differ along ``axis``: each line
    along it is the start of a random permutation of range(n), so no two name one position."""

    n: int
    axis: int = 0

    def __call__(self, rng: np.random.Generator, shape: Shape) -> np.ndarray:
        if self.axis:
            return DistinctIndices(self.n)(rng, shape[::-1]).T
        columns = math.prod(shape[1:])
        picks = [rng.permutation(self.n)[: shape[0]] for _ in range(columns)]
        return np.asarray(picks, dtype=np.int64).T.reshape(shape)


@dataclass(frozen=True)
class WithZeros:
    """U(−2, 2) with about a third of the values exactly 0 (cumprod's gradient there)."""

    def __call__(self, rng: np.random.Generator, shape: Shape) -> np.ndarray:
        x = rng.uniform(-2.0, 2.0, shape)
        return np.where(rng.random(shape) < 0.3, 0.0, x)


# ---------------------------------------------------------------- NumPy references


def np_sort(x, axis=-1, descending=False):
    order = np.argsort(-x if descending else x, axis=axis, kind="stable")
    return np.take_along_axis(x, order, axis), order


def np_topk(x, k, axis=-1, largest=True):
    order = np.argsort(-x if largest else x, axis=axis, kind="stable")
    order = np.take(order, np.arange(k), axis=axis)
    return np.take_along_axis(x, order, axis), order


def np_scatter(x, axis, index, src, add=False):
    """Element by element: out[j with its ``axis`` coordinate set to index[j]] (+)= src[j]."""
    out = x.copy()
    for j in np.ndindex(*index.shape):
        target = list(j)
        target[axis] = index[j]
        value = src[j] if np.ndim(src) else src
        out[tuple(target)] = out[tuple(target)] + value if add else value
    return out


def np_index_add(x, axis, index, source):
    """Slice by slice: out[..., index[j], ...] += source[..., j, ...] along ``axis``."""
    out = np.moveaxis(x.copy(), axis, 0)
    for j, i in enumerate(index):
        out[i] = out[i] + np.take(source, j, axis=axis)
    return np.moveaxis(out, 0, axis)


def np_index_fill(x, axis, index, value):
    out = np.moveaxis(x.copy(), axis, 0)
    out[np.asarray(index)] = value
    return np.moveaxis(out, 0, axis)


def np_unique(x):
    values, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    return values, inverse.reshape(x.shape), counts


def np_diag(x, k=0):
    return np.diag(x, k)


def np_unbind(x, axis):
    return tuple(np.take(x, i, axis=axis) for i in range(x.shape[axis]))


def np_cumsum_dim0(x):
    """cumsum along dim 0, a 0-d array read as one element (PyTorch's rule)."""
    return np.cumsum(x.reshape(-1), 0).reshape(x.shape) if x.ndim == 0 else np.cumsum(x, 0)


SORT = [
    reduction("sort", lambda x: x.sort(), np_sort, cases=UNARY[1:] + REDUCE_DIM[1:],
              domain=DISTINCT),
    reduction("sort_dim0_descending", lambda x: x.sort(0, descending=True),
              lambda x: np_sort(x, 0, True), domain=DISTINCT),
    OpSpec("sort_fn_stable", lambda x: cr.sort(x, dim=1, stable=True), lambda x: np_sort(x, 1),
           lambda torch, x: torch.sort(x, dim=1, stable=True), REDUCE_DIM, DISTINCT),
    reduction("argsort", lambda x: x.argsort(1, descending=True),
              lambda x: np_sort(x, 1, True)[1], domain=DISTINCT, grad=False),
    OpSpec("argsort_fn", lambda x: cr.argsort(x), lambda x: np_sort(x)[1],
           lambda torch, x: torch.argsort(x), UNARY[1:], DISTINCT, grad=False),
    reduction("topk", lambda x: x.topk(3), lambda x: np_topk(x, 3), domain=DISTINCT),
    reduction("topk_smallest_dim0", lambda x: x.topk(2, dim=0, largest=False),
              lambda x: np_topk(x, 2, 0, largest=False), domain=DISTINCT),
    OpSpec("topk_fn", lambda x: cr.topk(x, 1, 1, True, True), lambda x: np_topk(x, 1, 1),
           lambda torch, x: torch.topk(x, 1, 1, True, True), REDUCE_DIM, DISTINCT),
    reduction("topk_k_all", lambda x: x.topk(S), lambda x: np_topk(x, S), cases=UNARY[1:2],
              domain=DISTINCT),
]

MAX_MIN_FUNCTIONS = [
    OpSpec("max_fn", lambda x: cr.max(x), np.max, lambda torch, x: torch.max(x),
           UNARY, DISTINCT),
    OpSpec("max_fn_dim", lambda x: cr.max(x, 1), lambda x: np_max_dim(x, 1),
           lambda torch, x: torch.max(x, 1), REDUCE_DIM, DISTINCT),
    OpSpec("min_fn_dim_keepdim", lambda x: cr.min(x, dim=0, keepdim=True),
           lambda x: np_max_dim(x, 0, True, np.argmin, np.min),
           lambda torch, x: torch.min(x, dim=0, keepdim=True), REDUCE_DIM, DISTINCT),
    OpSpec("max_fn_elementwise", lambda a, b: cr.max(a, b), np.maximum,
           lambda torch, a, b: torch.max(a, b), (((S, M), (S, M)), ((S, 1), (1, M))),
           (Choice((-1.0, 0.5, 2.0)), Choice((-0.75, 0.25, 1.5)))),
    OpSpec("min_fn_elementwise", lambda a, b: cr.min(a, b), np.minimum,
           lambda torch, a, b: torch.min(a, b), (((S, M), (S, M)),),
           (Choice((-1.0, 0.5, 2.0)), Choice((-0.75, 0.25, 1.5)))),
    OpSpec("argmax_fn", lambda x: cr.argmax(x, 1), lambda x: np.argmax(x, 1),
           lambda torch, x: torch.argmax(x, 1), REDUCE_DIM, DISTINCT, grad=False),
    OpSpec("argmin_fn", lambda x: cr.argmin(x), np.argmin, lambda torch, x: torch.argmin(x),
           UNARY, DISTINCT, grad=False),
]

GATHER_SCATTER = [
    OpSpec("gather_fn", lambda x, i: cr.gather(x, 1, i), lambda x, i: np_gather(x, 1, i),
           lambda torch, x, i: torch.gather(x, 1, i), (((S, M), (S, 4)), ((S, M), (3, 2))),
           (ANY, Integers(0, M)), big=((64, 32), (64, 8))),
    OpSpec("scatter", lambda x, i, s: x.scatter(0, i, s),
           lambda x, i, s: np_scatter(x, 0, i, s),
           cases=(((S, M), (3, M), (3, M)), ((S, M), (2, 4), (2, 4)), ((S,), (4,), (4,))),
           domain=(ANY, DistinctIndices(S), ANY), big=((64, 32), (4, 32), (4, 32))),
    OpSpec("scatter_dim1_fn", lambda x, i, s: cr.scatter(x, 1, i, s),
           lambda x, i, s: np_scatter(x, 1, i, s),
           lambda torch, x, i, s: torch.scatter(x, 1, i, s),
           (((M, S), (M, 3), (M, 3)),), (ANY, DistinctIndices(S, axis=1), ANY),
           big=((32, 64), (32, 4), (32, 4))),
    OpSpec("scatter_value", lambda x, i: x.scatter(0, i, 2.5),
           lambda x, i: np_scatter(x, 0, i, 2.5), cases=(((S, M), (3, M)), ((S, M), (2, 3))),
           domain=(ANY, Integers(0, S)), big=((64, 32), (64, 32))),
    OpSpec("scatter_add", lambda x, i, s: x.scatter_add(0, i, s),
           lambda x, i, s: np_scatter(x, 0, i, s, add=True),
           cases=(((S, M), (7, M), (7, M)), ((S, M), (2, 4), (2, 4)), ((S,), (9,), (9,))),
           domain=(ANY, Integers(0, S), ANY), big=((64, 32), (100, 32), (100, 32))),
    OpSpec("scatter_add_fn", lambda x, i, s: cr.scatter_add(x, 1, i, s),
           lambda x, i, s: np_scatter(x, 1, i, s, add=True),
           lambda torch, x, i, s: torch.scatter_add(x, 1, i, s),
           (((S, M), (S, 12), (S, 12)),), (ANY, Integers(0, M), ANY),
           big=((64, 32), (64, 50), (64, 50))),
    OpSpec("index_select", lambda x, i: x.index_select(1, i),
           lambda x, i: np.take(x, i, axis=1), cases=(((S, M), (7,)), ((2, 3, 4), (5,))),
           domain=(ANY, Integers(0, 3)), big=((64, 32), (50,))),
    OpSpec("index_select_fn_dim0", lambda x, i: cr.index_select(x, 0, i),
           lambda x, i: np.take(x, i, axis=0),
           lambda torch, x, i: torch.index_select(x, 0, i), (((S, M), (8,)), ((S,), (3,))),
           (ANY, Integers(0, S)), big=((64, 32), (70,))),
    OpSpec("index_add", lambda x, i, s: x.index_add(1, i, s), lambda x, i, s: np_index_add(
               x, 1, i, s), cases=(((S, M), (7,), (S, 7)), ((2, 3, 4), (5,), (2, 5, 4))),
           domain=(ANY, Integers(0, 3), ANY), big=((64, 32), (50,), (64, 50))),
    OpSpec("index_add_fn_alpha", lambda x, i, s: cr.index_add(x, 0, i, s, alpha=-2.5),
           lambda x, i, s: np_index_add(x, 0, i, -2.5 * s),
           lambda torch, x, i, s: torch.index_add(x, 0, i, s, alpha=-2.5),
           (((S, M), (8,), (8, M)), ((S,), (3,), (3,))), (ANY, Integers(0, S), ANY),
           big=((64, 32), (70,), (70, 32))),
    OpSpec("index_fill", lambda x, i: x.index_fill(1, i, -3.0),
           lambda x, i: np_index_fill(x, 1, i, -3.0), cases=(((S, M), (4,)), ((2, 3, 4), (2,))),
           domain=(ANY, Integers(0, 3)), big=((64, 32), (20,))),
    OpSpec("index_fill_fn_tensor_value", lambda x, i, v: cr.index_fill(x, 0, i, v),
           lambda x, i, v: np_index_fill(x, 0, i, v),
           lambda torch, x, i, v: torch.index_fill(x, 0, i, v), (((S, M), (3,), ()),),
           (ANY, Integers(0, S), ANY), big=((64, 32), (20,), ())),
    OpSpec("take_along_dim", lambda x, i: x.take_along_dim(i, 1),
           lambda x, i: np.take_along_axis(x, i, 1), cases=(((S, M), (S, 4)),),
           domain=(ANY, Integers(0, M)), big=((64, 32), (64, 8))),
    OpSpec("take_along_dim_flat_fn", lambda x, i: cr.take_along_dim(x, i),
           lambda x, i: x.reshape(-1)[i], lambda torch, x, i: torch.take_along_dim(x, i),
           (((S, M), (12,)),), (ANY, Integers(0, S * M)), big=((64, 32), (100,))),
]

MASKED = [
    OpSpec("masked_fill", lambda x, m: x.masked_fill(m, -1.5),
           lambda x, m: np.where(m, np.asarray(-1.5, x.dtype), x),
           cases=(((S, M), (S, M)), ((S, M), (M,)), ((S,), (S,))), domain=(ANY, Mask())),
    OpSpec("masked_fill_tensor_value_fn", lambda x, m, v: cr.masked_fill(x, m, v),
           lambda x, m, v: np.where(m, v, x),
           lambda torch, x, m, v: torch.masked_fill(x, m, v),
           (((S, M), (S, M), ()), ((S,), (S,), ())), (ANY, Mask(), ANY),
           big=((64, 32), (64, 32), ())),
    unary("tril", lambda x: x.tril(), np.tril, cases=UNARY[2:] + (((2, 3, 4),),)),
    unary("triu_diagonal", lambda x: x.triu(2), lambda x: np.triu(x, 2),
          cases=UNARY[2:] + (((2, 4, 3),),)),
    OpSpec("tril_fn_negative", lambda x: cr.tril(x, -1), lambda x: np.tril(x, -1),
           lambda torch, x: torch.tril(x, -1), UNARY[2:]),
    OpSpec("triu_fn", lambda x: cr.triu(x), np.triu, lambda torch, x: torch.triu(x),
           UNARY[2:]),
    unary("diag_of_matrix", lambda x: x.diag(), np.diag, cases=UNARY[2:] + (((M, S),),)),
    unary("diag_of_matrix_offset", lambda x: x.diag(3), lambda x: np.diag(x, 3),
          cases=UNARY[2:] + (((M, S),),)),
    OpSpec("diag_fn_below", lambda x: cr.diag(x, -2), lambda x: np.diag(x, -2),
           lambda torch, x: torch.diag(x, -2), UNARY[1:]),
    unary("diag_of_vector", lambda x: x.diag(), np.diag, cases=UNARY[1:2] + (((1,),),),
          big=((64,),)),
    unary("diag_of_vector_above", lambda x: x.diag(2), lambda x: np.diag(x, 2),
          cases=UNARY[1:2], big=((64,),)),
]

PICK = [
    unary("narrow", lambda x: x.narrow(1, 2, 5), lambda x: x[:, 2:7], cases=UNARY[2:]),
    OpSpec("narrow_fn_negative_start", lambda x: cr.narrow(x, 0, -3, 2),
           lambda x: x[-3:-1], lambda torch, x: torch.narrow(x, 0, -3, 2), UNARY[1:]),
    unary("unbind", lambda x: x.unbind(), lambda x: np_unbind(x, 0), cases=UNARY[1:]),
    OpSpec("unbind_fn_dim1", lambda x: cr.unbind(x, 1), lambda x: np_unbind(x, 1),
           lambda torch, x: torch.unbind(x, 1), (((S, 3),), ((2, 3, 4),)), big=((64, 4),)),
    OpSpec("unique", lambda x: x.unique(return_inverse=True, return_counts=True), np_unique,
           cases=UNARY, domain=Choice((-1.0, 0.0, 2.5)), grad=False),
    OpSpec("unique_fn_dim0", lambda x: cr.unique(x, dim=0),
           lambda x: np.unique(x, axis=0), lambda torch, x: torch.unique(x, dim=0),
           (((M, 2),),), Choice((0.0, 1.0)), grad=False),
    OpSpec("nonzero", lambda x: x.nonzero(), np.argwhere, cases=UNARY,
           domain=Choice((0.0, 1.5)), grad=False),
    OpSpec("nonzero_fn_as_tuple", lambda x: cr.nonzero(x, as_tuple=True), np.nonzero,
           lambda torch, x: torch.nonzero(x, as_tuple=True), UNARY[1:],
           Choice((0.0, -2.0)), grad=False),
]

SCAN = [
    reduction("cumsum", lambda x: x.cumsum(1), lambda x: np.cumsum(x, 1)),
    reduction("cumsum_dim0", lambda x: x.cumsum(0), np_cumsum_dim0, cases=UNARY),
    OpSpec("cumsum_fn_dtype", lambda x: cr.cumsum(x, -1, dtype=cr.float64),
           lambda x: np.cumsum(x, -1, dtype=np.float64),
           lambda torch, x: torch.cumsum(x, -1, dtype=torch.float64), REDUCE_DIM),
    reduction("cumprod", lambda x: x.cumprod(1), lambda x: np.cumprod(x, 1)),
    reduction("cumprod_with_zeros", lambda x: x.cumprod(0), lambda x: np.cumprod(x, 0),
              cases=UNARY[1:] + REDUCE_DIM[1:], domain=WithZeros()),
    OpSpec("cumprod_fn_zeros_dim_last", lambda x: cr.cumprod(x, -1),
           lambda x: np.cumprod(x, -1), lambda torch, x: torch.cumprod(x, -1), REDUCE_DIM,
           WithZeros()),
    unary("roll_flat", lambda x: x.roll(3), lambda x: np.roll(x, 3), cases=UNARY),
    unary("roll_dims", lambda x: x.roll((1, -4), (0, 1)), lambda x: np.roll(x, (1, -4), (0, 1)),
          cases=UNARY[2:]),
    OpSpec("roll_fn", lambda x: cr.roll(x, -2, 1), lambda x: np.roll(x, -2, 1),
           lambda torch, x: torch.roll(x, -2, 1), REDUCE_DIM),
    unary("repeat_interleave", lambda x: x.repeat_interleave(2, dim=0),
          lambda x: np.repeat(x, 2, axis=0), cases=UNARY[1:]),
    unary("repeat_interleave_flat", lambda x: x.repeat_interleave(3),
          lambda x: np.repeat(x, 3), cases=UNARY),
    OpSpec("repeat_interleave_fn_counts", lambda x, r: cr.repeat_interleave(x, r, dim=1),
           lambda x, r: np.repeat(x, r, axis=1),
           lambda torch, x, r: torch.repeat_interleave(x, r, dim=1), (((S, M), (M,)),),
           (ANY, Integers(0, 4)), big=((64, 32), (32,))),
]

SELECT = SORT + MAX_MIN_FUNCTIONS + GATHER_SCATTER + MASKED + PICK + SCAN
