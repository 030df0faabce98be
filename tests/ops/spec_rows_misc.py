"""Op table rows for the misc family: tile, unfold, scatter_reduce, index_put, put, index_copy,
masked_scatter, kthvalue, msort, unique_consecutive, sum_to_size, narrow_copy, unravel_index,
the products (mv, inner, vdot, addmv, addr, addbmm, chain_matmul, vander) and the statistics
(cov, corrcoef, trapezoid, cumulative_trapezoid, histogram).

The NumPy references are written element by element (loops over indices) where a vectorised
form would repeat the implementation. The rows are part of the op table (``op_specs.SPECS``)
and go through all its checks.
"""

from __future__ import annotations

import numpy as np

import chainrule as cr
from tests.ops.spec_types import (
    ANY,
    DISTINCT,
    NONZERO,
    UNARY,
    Choice,
    Integers,
    M,
    Mask,
    OpSpec,
    S,
)

# ---------------------------------------------------------------- references


def np_unfold(x, axis, size, step):
    n = x.shape[axis]
    windows = [np.take(x, range(s, s + size), axis=axis)
               for s in range(0, n - size + 1, step)]
    return np.moveaxis(np.stack(windows, axis=axis), axis + 1, -1)


_COMBINE = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}


def np_scatter_reduce(x, axis, index, src, reduce, include_self=True):
    """Collect the factors of every output position in a dict, then reduce each list."""
    factors = {}
    for j in np.ndindex(index.shape):
        target = j[:axis] + (index[j],) + j[axis + 1:]
        factors.setdefault(target, []).append(src[j])
    out = x.copy()
    for target, values in factors.items():
        values = values + ([x[target]] if include_self else [])
        out[target] = _COMBINE[reduce](values)
    return out


def np_index_put(x, indices, values, accumulate):
    out = x.copy()
    if accumulate:
        np.add.at(out, indices, values)
    else:
        out[indices] = values
    return out


def np_put(x, flat, values, accumulate):
    out = x.copy().reshape(-1)
    for i, v in zip(np.asarray(flat) % x.size, values.reshape(-1)):
        out[i] = out[i] + v if accumulate else v
    return out.reshape(x.shape)


def np_index_copy(x, axis, index, source):
    out = x.copy()
    for j, i in enumerate(index):
        out[(slice(None),) * axis + (i,)] = np.take(source, j, axis=axis)
    return out


def np_masked_scatter(x, mask, source):
    shape = np.broadcast_shapes(x.shape, mask.shape)
    out = np.broadcast_to(x, shape).copy()
    mask = np.broadcast_to(mask, shape)
    k = 0
    for j in np.ndindex(shape):
        if mask[j]:
            out[j] = source.reshape(-1)[k]
            k += 1
    return out


def np_kthvalue(x, k, axis, keepdim=False):
    order = np.argsort(x, axis=axis, kind="stable")
    pick = np.take(order, [k - 1], axis=axis)
    values = np.take_along_axis(x, pick, axis=axis)
    if not keepdim:
        values, pick = values.squeeze(axis), pick.squeeze(axis)
    return values, pick


def np_unique_consecutive(x):
    flat = x.reshape(-1)
    values, inverse, counts = [], [], []
    for v in flat:
        if not values or v != values[-1]:
            values.append(v)
            counts.append(0)
        counts[-1] += 1
        inverse.append(len(values) - 1)
    return (np.array(values, dtype=x.dtype), np.array(inverse, dtype=np.int64).reshape(x.shape),
            np.array(counts, dtype=np.int64))


def np_inner(a, b):
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    return np.tensordot(a, b, axes=([-1], [-1]))


def np_vander(x, n, increasing=False):
    powers = np.stack([x ** p for p in range(n)], axis=1)
    return powers if increasing else powers[:, ::-1]


def np_cov(x, correction=1, fweights=None, aweights=None):
    x = np.atleast_2d(x)
    w = np.ones(x.shape[1], dtype=x.dtype)
    w = w * fweights if fweights is not None else w
    w = w * aweights if aweights is not None else w
    mean = (x * w).sum(1, keepdims=True) / w.sum()
    if aweights is None:
        divisor = w.sum() - correction
    else:
        divisor = w.sum() - correction * (w * aweights).sum() / w.sum()
    out = (x - mean) * w @ (x - mean).T / divisor
    out = out.astype(x.dtype)
    return out.squeeze() if out.size == 1 else out


def np_corrcoef(x):
    return np.clip(np.corrcoef(x), -1, 1).astype(x.dtype)


def np_trapezoid(y, x=None, dx=1.0, axis=-1, cumulative=False):
    y = np.moveaxis(y, axis, -1)
    if x is None:
        steps = np.full(y.shape[-1] - 1, dx)
    else:
        steps = np.diff(np.moveaxis(x, axis, -1) if x.ndim > 1 else x, axis=-1)
    areas = (y[..., 1:] + y[..., :-1]) / 2 * steps
    out = np.cumsum(areas, -1) if cumulative else areas.sum(-1)
    out = out.astype(y.dtype)
    return np.moveaxis(out, -1, axis) if cumulative else out


def np_histogram(x, bins, range_=None):
    hist, edges = np.histogram(x, bins, range=range_)
    return hist.astype(x.dtype), edges.astype(x.dtype)


# ---------------------------------------------------------------- rows
# NOTE: torch.vander's backward fails in torch 2.x (an in-place cumprod inside it), so the
# vander rows compare with torch.linalg.vander, the same matrix in increasing order; the
# values of torch.vander itself are compared in tests/test_tensor_misc.py.

TWO_D = (((S, M),),)
INDEX_2D = (np.array([0, 4, 2, 3]), np.array([9, 0, 5, 5]))
REPEATED_2D = (np.array([0, 4, 0, 0]), np.array([9, 0, 9, 9]))
FLAT = np.array([-1, 7, 0, 33, 12])
FWEIGHTS = np.array([1, 2, 0, 3, 1, 1, 2, 1, 1, 4])
AWEIGHTS = np.linspace(0.2, 2.0, M)


def _tensors(arrays):
    return tuple(cr.tensor(a) for a in arrays)


def _torch_tensors(torch, arrays):
    return tuple(torch.tensor(a) for a in arrays)


def _scatter_reduce_rows(reduce, domain):
    rows = []
    for include_self in (True, False):
        rows.append(OpSpec(
            f"scatter_reduce_{reduce}_{'with' if include_self else 'without'}_self",
            lambda x, i, s, r=reduce, inc=include_self: x.scatter_reduce(
                0, i, s, r, include_self=inc),
            lambda x, i, s, r=reduce, inc=include_self: np_scatter_reduce(x, 0, i, s, r, inc),
            cases=(((S, M), (7, M), (7, M)), ((S,), (9,), (9,)), ((S, 3), (4, 2), (4, 2))),
            domain=(domain, Integers(0, S), domain),
            big=((64, 32), (80, 32), (80, 32))))
    return rows


MISC = [
    OpSpec("tile", lambda x: x.tile(2, 1, 3), lambda x: np.tile(x, (2, 1, 3)), cases=UNARY),
    OpSpec("tile_fn_fewer_dims", lambda x: cr.tile(x, (2,)), lambda x: np.tile(x, (2,)),
           lambda torch, x: torch.tile(x, (2,)), cases=UNARY[1:]),
    OpSpec("unfold_overlapping", lambda x: x.unfold(-1, 3, 2),
           lambda x: np_unfold(x, x.ndim - 1, 3, 2), cases=(((S,),), ((S, M),), ((2, 3, 7),))),
    OpSpec("unfold_dim0", lambda x: x.unfold(0, 2, 1), lambda x: np_unfold(x, 0, 2, 1),
           cases=(((S, M),), ((2, 3, 4),))),
    OpSpec("unfold_0d", lambda x: x.unfold(0, 1, 1), lambda x: x.reshape(1), cases=(((),),)),
    *_scatter_reduce_rows("sum", ANY),
    *_scatter_reduce_rows("mean", ANY),
    *_scatter_reduce_rows("prod", NONZERO),
    *_scatter_reduce_rows("amax", DISTINCT),
    *_scatter_reduce_rows("amin", DISTINCT),
    OpSpec("scatter_reduce_prod_at_zeros",
           lambda x, i, s: x.scatter_reduce(0, i, s, "prod"),
           lambda x, i, s: np_scatter_reduce(x, 0, i, s, "prod"),
           cases=(((S, 4), (8, 4), (8, 4)),), domain=(Choice((0.0, 0.5, -1.5)), Integers(0, S),
                                                         Choice((0.0, 2.0, -0.75))),
           big=((16, 8), (24, 8), (24, 8))),
    OpSpec("index_put", lambda x, v: x.index_put(_tensors(INDEX_2D), v),
           lambda x, v: np_index_put(x, INDEX_2D, v, False),
           lambda torch, x, v: x.index_put(_torch_tensors(torch, INDEX_2D), v),
           cases=(((S, M), (4,)), ((S, M), ())), big=((64, 32), (4,))),
    OpSpec("index_put_accumulate", lambda x, v: x.index_put(_tensors(REPEATED_2D), v, True),
           lambda x, v: np_index_put(x, REPEATED_2D, v, True),
           lambda torch, x, v: x.index_put(_torch_tensors(torch, REPEATED_2D), v, True),
           cases=(((S, M), (4,)),), big=((64, 32), (4,))),
    OpSpec("index_put_bool_mask", lambda x, m, v: x.index_put((m,), v),
           lambda x, m, v: np_index_put(x, (m,), v, False), cases=(((S, M), (S, M), ()),),
           domain=(ANY, Mask(), ANY), big=((64, 32), (64, 32), ())),
    OpSpec("index_put_rows", lambda x, v: x.index_put((cr.tensor([3, 1]),), v),
           lambda x, v: np_index_put(x, (np.array([3, 1]),), v, False),
           lambda torch, x, v: x.index_put((torch.tensor([3, 1]),), v),
           cases=(((S, M), (2, M)), ((S, M), (M,))), big=((64, 32), (2, 32))),
    OpSpec("put", lambda x, v: x.put(cr.tensor(FLAT), v),
           lambda x, v: np_put(x, FLAT, v, False),
           lambda torch, x, v: x.put(torch.tensor(FLAT), v),
           cases=(((S, M), (5,)), ((S, M), (5, 1))), big=((64, 32), (5,))),
    OpSpec("put_accumulate", lambda x, v: x.put(cr.tensor([3, 3, -47]), v, accumulate=True),
           lambda x, v: np_put(x, [3, 3, -47], v, True),
           lambda torch, x, v: x.put(torch.tensor([3, 3, -47]), v, accumulate=True),
           cases=(((S, M), (3,)),), big=((64, 32), (3,))),
    OpSpec("index_copy", lambda x, s: x.index_copy(1, cr.tensor([4, 0, 9]), s),
           lambda x, s: np_index_copy(x, 1, [4, 0, 9], s),
           lambda torch, x, s: x.index_copy(1, torch.tensor([4, 0, 9]), s),
           cases=(((S, M), (S, 3)),), big=((64, 32), (64, 3))),
    OpSpec("index_copy_fn_dim0", lambda x, s: cr.index_copy(x, 0, cr.tensor([2]), s),
           lambda x, s: np_index_copy(x, 0, [2], s),
           lambda torch, x, s: torch.index_copy(x, 0, torch.tensor([2]), s),
           cases=(((S, M), (1, M)), ((S,), (1,))), big=((64, 32), (1, 32))),
    OpSpec("masked_scatter", lambda x, m, s: x.masked_scatter(m, s), np_masked_scatter,
           cases=(((S, M), (S, M), (S * M + 3,)), ((S, M), (M,), (S, M)),
                  ((M,), (S, 1), (S, M))), domain=(ANY, Mask(), ANY)),
    OpSpec("kthvalue", lambda x: x.kthvalue(2, 1), lambda x: np_kthvalue(x, 2, 1),
           cases=(((S, M),), ((2, 3, 4),)), domain=DISTINCT),
    OpSpec("kthvalue_fn_keepdim", lambda x: cr.kthvalue(x, 3, 0, keepdim=True),
           lambda x: np_kthvalue(x, 3, 0, True),
           lambda torch, x: torch.kthvalue(x, 3, 0, keepdim=True),
           cases=(((S,),), ((S, M),)), domain=DISTINCT),
    OpSpec("msort", lambda x: x.msort(), lambda x: np.sort(x, axis=0),
           cases=(((S,),), ((S, M),)), domain=DISTINCT),
    OpSpec("sum_to_size", lambda x: x.sum_to_size(3, 1), lambda x: x.sum(0).sum(1, keepdims=True),
           cases=(((2, 3, 4),),), big=((6, 3, 4),)),
    OpSpec("sum_to_size_same_rank", lambda x: x.sum_to_size(1, M),
           lambda x: x.sum(0, keepdims=True), cases=TWO_D, big=((64, M),)),
    OpSpec("narrow_copy", lambda x: x.narrow_copy(1, 2, 3), lambda x: x[:, 2:5].copy(),
           cases=TWO_D),
    OpSpec("unique_consecutive", lambda x: x.unique_consecutive(True, True),
           np_unique_consecutive, cases=(((S * M,),), ((S, M),), ((),)),
           domain=Choice((0.0, 1.0, 2.5)), grad=False),
    OpSpec("unravel_index", lambda i: cr.unravel_index(i, (S, 3, 4)),
           lambda i: np.unravel_index(np.where(i < 0, i + 60, i), (S, 3, 4)),
           lambda torch, i: torch.unravel_index(i, (S, 3, 4)), cases=(((7,),), ((2, 3),), ((),)),
           domain=Integers(-60, 60), grad=False),
    # ------------------------------------------------------------ products
    OpSpec("mv", lambda a, v: cr.mv(a, v), lambda a, v: a @ v, lambda torch, a, v: torch.mv(a, v),
           cases=(((S, M), (M,)), ((0, 3), (3,))), big=((64, 32), (32,))),
    OpSpec("mv_method", lambda a, v: a.mv(v), lambda a, v: a @ v, cases=(((S, M), (M,)),),
           big=((64, 32), (32,))),
    OpSpec("inner", lambda a, b: cr.inner(a, b), np_inner,
           lambda torch, a, b: torch.inner(a, b),
           cases=(((S,), (S,)), ((2, 3, 4), (S, 4)), ((), (S, M)), ((S, M), ()))),
    OpSpec("vdot", lambda a, b: a.vdot(b), lambda a, b: np.dot(a, b), cases=(((M,), (M,)),),
           big=((64,), (64,))),
    OpSpec("addmv", lambda c, a, v: cr.addmv(c, a, v, beta=0.5, alpha=2.0),
           lambda c, a, v: 0.5 * c + 2.0 * (a @ v),
           lambda torch, c, a, v: torch.addmv(c, a, v, beta=0.5, alpha=2.0),
           cases=(((S,), (S, M), (M,)), ((), (S, M), (M,))), big=((64,), (64, 32), (32,))),
    OpSpec("addr", lambda c, a, b: c.addr(a, b, alpha=-1.5),
           lambda c, a, b: c - 1.5 * np.outer(a, b),
           cases=(((S, M), (S,), (M,)), ((M,), (S,), (M,))), big=((64, 32), (64,), (32,))),
    OpSpec("addbmm", lambda c, a, b: cr.addbmm(c, a, b, beta=2.0),
           lambda c, a, b: 2.0 * c + np.einsum("bij,bjk->ik", a, b),
           lambda torch, c, a, b: torch.addbmm(c, a, b, beta=2.0),
           cases=(((S, 4), (3, S, 2), (3, 2, 4)), ((4,), (2, S, 3), (2, 3, 4))),
           big=((16, 8), (4, 16, 5), (4, 5, 8))),
    OpSpec("chain_matmul", lambda a, b, c: cr.chain_matmul(a, b, c), lambda a, b, c: a @ b @ c,
           lambda torch, a, b, c: torch.linalg.multi_dot([a, b, c]),
           cases=(((S, 3), (3, 4), (4, 2)),), big=((16, 8), (8, 12), (12, 4))),
    OpSpec("vander", lambda x: cr.vander(x), lambda x: np_vander(x, x.shape[0]),
           lambda torch, x: torch.linalg.vander(x).flip(1), cases=(((S,),),), big=((12,),)),
    OpSpec("vander_increasing_with_zero", lambda x: cr.vander(x, 4, increasing=True),
           lambda x: np_vander(x, 4, True), lambda torch, x: torch.linalg.vander(x, N=4),
           cases=(((S,),),), domain=Choice((0.0, 0.5, -1.25, 2.0)), big=((12,),)),
    # ------------------------------------------------------------ statistics
    OpSpec("cov", lambda x: cr.cov(x), np_cov, lambda torch, x: torch.cov(x),
           cases=(((S, M),), ((M,),), ((1, M),))),
    OpSpec("cov_weighted", lambda x: x.cov(correction=0, fweights=cr.tensor(FWEIGHTS),
                                           aweights=cr.tensor(AWEIGHTS).to(x.dtype)),
           lambda x: np_cov(x, 0, FWEIGHTS, AWEIGHTS),
           lambda torch, x: x.cov(correction=0, fweights=torch.tensor(FWEIGHTS),
                                  aweights=torch.tensor(AWEIGHTS).to(x.dtype)),
           cases=(((3, M),),), big=((6, M),)),
    OpSpec("cov_weighted_corrected", lambda x, w: cr.cov(x, aweights=w),
           lambda x, w: np_cov(x, 1, None, w), lambda torch, x, w: torch.cov(x, aweights=w),
           cases=(((3, M), (M,)),), domain=(ANY, Choice((0.5, 1.0, 2.0))),
           big=((6, M), (M,))),
    OpSpec("corrcoef", lambda x: x.corrcoef(), np_corrcoef, cases=(((S, M),),)),
    OpSpec("trapezoid", lambda y: cr.trapezoid(y), lambda y: np_trapezoid(y),
           lambda torch, y: torch.trapezoid(y), cases=(((S,),), ((S, M),))),
    OpSpec("trapezoid_dx_dim0", lambda y: cr.trapezoid(y, dx=0.25, dim=0),
           lambda y: np_trapezoid(y, dx=0.25, axis=0),
           lambda torch, y: torch.trapezoid(y, dx=0.25, dim=0), cases=(((S, M),),)),
    OpSpec("trapezoid_x", lambda y, x: cr.trapezoid(y, x), lambda y, x: np_trapezoid(y, x),
           lambda torch, y, x: torch.trapezoid(y, x), cases=(((S, M), (M,)), ((S, M), (S, M)))),
    OpSpec("trapz", lambda y, x: cr.trapz(y, x, dim=0), lambda y, x: np_trapezoid(y, x, axis=0),
           lambda torch, y, x: torch.trapz(y, x, dim=0), cases=(((S, M), (S,)),)),
    OpSpec("cumulative_trapezoid", lambda y, x: cr.cumulative_trapezoid(y, x),
           lambda y, x: np_trapezoid(y, x, cumulative=True),
           lambda torch, y, x: torch.cumulative_trapezoid(y, x), cases=(((S, M), (M,)),)),
    OpSpec("cumulative_trapezoid_dx", lambda y: cr.cumulative_trapezoid(y, dx=2.0, dim=0),
           lambda y: np_trapezoid(y, dx=2.0, axis=0, cumulative=True),
           lambda torch, y: torch.cumulative_trapezoid(y, dx=2.0, dim=0),
           cases=(((S, M),), ((S,),))),
    OpSpec("histogram", lambda x: x.histogram(4), lambda x: np_histogram(x, 4),
           cases=(((S, M),), ((S,),)), grad=False),
    OpSpec("histogram_range", lambda x: cr.histogram(x, 3, range=(-1.0, 1.0)),
           lambda x: np_histogram(x, 3, (-1.0, 1.0)),
           lambda torch, x: torch.histogram(x, 3, range=(-1.0, 1.0)), cases=(((S, M),),),
           grad=False),
]
