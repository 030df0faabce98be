"""Top-level reductions and statistics with PyTorch's names: ``amax``/``amin``/``aminmax``,
``count_nonzero``, ``nansum``/``nanmean``, ``median``, ``mode``, ``quantile``/``nanquantile``,
``cummax``/``cummin``, ``logcumsumexp``, ``std_mean``/``var_mean`` and ``diff``.

Values chosen by position (median, mode, quantile's neighbours, cummax, cummin) are taken with
``TakeAlongAxis`` at indices computed on the data, so their gradient flows to the chosen
elements; the NaN-skipping sums are ``where`` then ``sum``; ``logcumsumexp`` is its own
Function (``ops.structure``). Tensor method forms are in ``methods.structure``.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from .. import dtypes
from ..ops import shape as shape_ops
from ..ops import structure as ops
from .math import where
from .reduce import normalize_dim, reduction_axes
from .select import sort_order
from .shape import cat

AMinMax = namedtuple("aminmax", ["min", "max"])
Median = namedtuple("median", ["values", "indices"])
Mode = namedtuple("mode", ["values", "indices"])
CumMax = namedtuple("cummax", ["values", "indices"])
CumMin = namedtuple("cummin", ["values", "indices"])


def _dims(dim: Any) -> Any:
    """PyTorch's ``dim=()`` (and ``[]``) means every dimension, as None does."""
    return None if isinstance(dim, (tuple, list)) and len(dim) == 0 else dim


# ---------------------------------------------------------------- extremes and counts


def amax(input: Any, dim: Any = (), keepdim: bool = False) -> Any:
    """``torch.amax``: the maximum over ``dim`` (all when empty); tied maxima share the
    gradient equally."""
    return _extreme("amax", np.max, input, _dims(dim), keepdim)


def amin(input: Any, dim: Any = (), keepdim: bool = False) -> Any:
    """``torch.amin``: the minimum over ``dim`` (all when empty); tied minima share the
    gradient equally."""
    return _extreme("amin", np.min, input, _dims(dim), keepdim)


def aminmax(input: Any, *, dim: Any = None, keepdim: bool = False) -> Any:
    """``torch.aminmax``: the named tuple ``(min, max)`` over ``dim`` (an int; all when None)."""
    if dim is None and keepdim:
        ones = (1,) * input.ndim
        return AMinMax(amin(input).reshape(ones), amax(input).reshape(ones))
    return AMinMax(_extreme("aminmax", np.min, input, dim, keepdim),
                   _extreme("aminmax", np.max, input, dim, keepdim))


def _extreme(name: str, reduce: Any, input: Any, dim: Any, keepdim: bool) -> Any:
    """amax or amin (``reduce``): the differentiable Amax for floats; for integers and bool,
    which have no gradient, the NumPy reduction itself (negating those would wrap around)."""
    axes = reduction_axes(dim, None, input.ndim)
    if input.numel() == 0:
        if axes is None or any(input.shape[a] == 0 for a in axes):
            raise IndexError(f"{name}: cannot reduce an empty dimension of a tensor of shape "
                             f"{tuple(input.shape)} (dim={dim}): the operation has no "
                             "identity")
    if input.numel() == 0 or not dtypes.is_floating(input.dtype):
        return input._const(np.asarray(reduce(input.data, axis=axes, keepdims=keepdim)))
    if reduce is np.max:
        return input.amax(axes, keepdim)
    return input.amin(axes, keepdim)


def count_nonzero(input: Any, dim: Any = None) -> Any:
    """``torch.count_nonzero``: how many elements are not zero over ``dim`` (an int or a
    tuple; all when None), as int64; no gradient."""
    axes = reduction_axes(dim, None, input.ndim)
    return input._const(np.asarray(np.count_nonzero(input.data, axis=axes), dtype=np.int64))


# ---------------------------------------------------------------- NaN-skipping sums


def _without_nan(input: Any) -> Any:
    """``input`` with NaN replaced by 0 (a ``where``: no gradient reaches the NaN)."""
    if not dtypes.is_floating(input.dtype):
        return input
    zero = input._const(np.zeros((), dtype=input.dtype))
    return where(input._const(np.isnan(input.data)), zero, input)


def nansum(input: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
    """``torch.nansum``: the sum over ``dim`` counting NaN as zero; the gradient is 0 at NaN."""
    x = input if dtype is None else input.to(dtype)
    return _without_nan(x).sum(dim, keepdim)


def nanmean(input: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
    """``torch.nanmean``: the mean of the elements that are not NaN (NaN where there are
    none); floating-point tensors only."""
    x = input if dtype is None else input.to(dtype)
    if not dtypes.is_floating(x.dtype):
        raise TypeError(f"nanmean() needs a floating-point tensor, got {x.dtype}")
    axes = reduction_axes(dim, None, x.ndim)
    count = np.sum(~np.isnan(x.data), axis=axes, keepdims=keepdim).astype(x.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _without_nan(x).sum(dim, keepdim) / x._const(np.asarray(count))


# ---------------------------------------------------------------- order statistics


def _along(input: Any, dim: int, name: str) -> tuple[Any, int]:
    """``input`` (0-d as (1,)) and ``dim`` as an axis of it."""
    if input.ndim == 0:
        normalize_dim(dim, 0)
        return input.reshape(1), 0
    axis = normalize_dim(dim, input.ndim)
    if input.shape[axis] == 0:
        raise IndexError(f"{name}: cannot reduce the empty dimension {dim} of shape "
                         f"{tuple(input.shape)}")
    return input, axis


def _pick(input: Any, x: Any, axis: int, index: np.ndarray, keepdim: bool, kind: Any) -> Any:
    """The named tuple (values at ``index`` along ``axis``, ``index``), shaped as ``input``
    reduced over ``axis`` (kept with size 1 when ``keepdim``)."""
    values = x._apply(shape_ops.TakeAlongAxis, indices=index, axis=axis)
    if input.ndim == 0:
        return kind(values.reshape(()), input._const(index.reshape(())))
    if not keepdim:
        values, index = values.squeeze(axis), np.squeeze(index, axis)
    return kind(values, input._const(index))


def median(input: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """``torch.median``: the lower median (the ⌊(n − 1)/2⌋-th smallest element).

    Without ``dim``, the median of all elements (NaN for an empty tensor); with ``dim``, the
    named tuple ``(values, indices)`` along it. A slice holding NaN has median NaN (the index
    of its first NaN). The gradient flows to the element chosen (among equal values, the one
    a stable sort puts at the median's place, as PyTorch)."""
    if dim is None:
        return _median_of_all(input)
    x, axis = _along(input, dim, "median")
    order = sort_order(x.data, axis, False)
    n = x.shape[axis]
    nan_count = _nan_count(x.data, axis)
    position = np.where(nan_count > 0, n - nan_count, (n - 1) // 2)
    index = np.take_along_axis(order, position, axis)
    return _pick(input, x, axis, index, keepdim, Median)


def _median_of_all(input: Any) -> Any:
    """The median of every element, its gradient shared equally among the elements equal to
    it (as PyTorch): the maximum of the input with every other element set to −inf, since
    ``Amax`` shares its gradient among tied maxima. With a NaN the median is NaN and its
    gradient 1/k on each of the k NaN elements (as PyTorch): their mean (a ``where`` keeps
    the others out), since NaN is equal to nothing and ``Amax`` would find no tie to share."""
    if input.numel() == 0:
        return input._const(np.asarray(np.nan, dtype=input.dtype))
    value = median(input.reshape(-1), 0).values
    if not dtypes.is_floating(input.dtype):
        return value
    zero = input._const(np.zeros((), dtype=input.dtype))
    nan = np.isnan(input.data)
    if nan.any():
        return where(input._const(nan), input, zero).sum() / int(nan.sum())
    floor = input._const(np.asarray(-np.inf, dtype=input.dtype))
    return where(input._const(input.data == value.data), input, floor).amax()


def _nan_count(data: np.ndarray, axis: int) -> np.ndarray:
    if data.dtype.kind != "f":
        return np.zeros(data.shape[:axis] + (1,) + data.shape[axis + 1:], dtype=np.int64)
    return np.sum(np.isnan(data), axis=axis, keepdims=True)


def mode(input: Any, dim: int = -1, keepdim: bool = False) -> Any:
    """``torch.mode``: the named tuple ``(values, indices)`` of the most frequent value along
    ``dim`` (the smallest of equally frequent ones) and the index of its last occurrence; the
    gradient flows to that element."""
    x, axis = _along(input, dim, "mode")
    data = np.moveaxis(x.data, axis, -1)
    ordered = np.sort(data, axis=-1)
    n = ordered.shape[-1]
    ramp = np.arange(n)
    new_run = np.ones(ordered.shape, dtype=bool)
    new_run[..., 1:] = ~_same(ordered[..., 1:], ordered[..., :-1])
    start = np.maximum.accumulate(np.where(new_run, ramp, 0), axis=-1)
    run_end = np.flip(np.minimum.accumulate(
        np.flip(np.where(np.roll(new_run, -1, axis=-1), ramp, n - 1), -1), axis=-1), -1)
    best = np.argmax(run_end - start, axis=-1)[..., None]
    value = np.take_along_axis(ordered, best, -1)
    last = np.max(np.where(_same(data, value), ramp, -1), axis=-1, keepdims=True)
    return _pick(input, x, axis, np.moveaxis(last, -1, axis), keepdim, Mode)


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a == b, with NaN equal to NaN (mode counts NaN as one value)."""
    equal = a == b
    if a.dtype.kind == "f":
        equal |= np.isnan(a) & np.isnan(b)
    return equal


# ---------------------------------------------------------------- quantiles

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def quantile(input: Any, q: Any, dim: Any = None, keepdim: bool = False, *,
             interpolation: str = "linear") -> Any:
    """``torch.quantile``: the ``q``-quantiles of ``input`` over ``dim`` (of all elements,
    flattened, when None). A slice holding NaN gives NaN.

    Args:
        q: a number in [0, 1], or a 0-d or 1-D tensor of them (then the result has a leading
            dimension of their number).
        dim: an int, or None.
        keepdim: keep ``dim`` with size 1 (every dimension, when ``dim`` is None).
        interpolation: between the sorted neighbours i ≤ q·(n − 1) ≤ j: 'linear' (default),
            'lower', 'higher', 'midpoint' or 'nearest' (halves to the even index).

    Differentiable: the neighbours come from a sort and are mixed with constant weights."""
    return _quantile("quantile", input, q, dim, keepdim, interpolation, skip_nan=False)


def nanquantile(input: Any, q: Any, dim: Any = None, keepdim: bool = False, *,
                interpolation: str = "linear") -> Any:
    """``torch.nanquantile``: ``quantile`` of the elements that are not NaN (NaN for a slice
    of NaN only); the arguments of ``quantile``."""
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, skip_nan=True)


def _quantile(name, input, q, dim, keepdim, interpolation, skip_nan):
    if not dtypes.is_floating(input.dtype):
        raise TypeError(f"{name}() needs a floating-point tensor, got {input.dtype}")
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"{name}(): interpolation must be one of {_INTERPOLATIONS}, got "
                         f"{interpolation!r}")
    if input.numel() == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    qs, scalar = _quantile_levels(name, input, q)
    x = input.reshape(-1) if dim is None else input.reshape(1) if input.ndim == 0 else input
    axis = 0 if dim is None or input.ndim == 0 else normalize_dim(dim, input.ndim)
    moved = x.movedim(axis, -1)
    ordered = moved.sort(-1).values.unsqueeze(0)  # (1, ..., n)
    below, above, weight = _neighbours(moved.data, qs, interpolation, skip_nan)
    low = ordered.take_along_dim(moved._const(below), -1)
    high = ordered.take_along_dim(moved._const(above), -1)
    out = low + (high - low) * moved._const(weight.astype(input.dtype))  # (Q, ..., 1)
    if keepdim:
        out = out.reshape((len(qs),) + (1,) * input.ndim) if dim is None else \
            out.movedim(-1, axis + 1).reshape((len(qs),) + input.shape[:axis] + (1,)
                                              + input.shape[axis + 1:])
    else:
        out = out.squeeze(-1)
    return out[0] if scalar else out


def _quantile_levels(name: str, input: Any, q: Any) -> tuple[np.ndarray, bool]:
    """``q`` as a 1-D float64 array, checked, and whether it was a scalar."""
    if hasattr(q, "data") and hasattr(q, "ndim"):
        if q.dtype != input.dtype:
            raise TypeError(f"{name}() q tensor must be the same dtype as the input "
                            f"({input.dtype}), got {q.dtype}")
        if q.ndim > 1:
            raise ValueError(f"{name}() q must be a scalar or 1D tensor, got shape "
                             f"{tuple(q.shape)}")
        levels, scalar = np.asarray(q.data, dtype=np.float64).reshape(-1), q.ndim == 0
    else:
        levels, scalar = np.asarray([float(q)]), True
    if levels.size and not ((levels >= 0) & (levels <= 1)).all():
        raise RuntimeError(f"{name}() q must be in the range [0, 1], got {levels.tolist()}")
    return levels, scalar


def _neighbours(data, qs, interpolation, skip_nan):
    """For each level q and slice (last axis of ``data``): the sorted positions just below and
    above q·(count − 1), each (Q, ..., 1), and the weight of the upper one."""
    n = data.shape[-1]
    nan = np.isnan(data).sum(-1, keepdims=True)
    count = n - nan if skip_nan else np.full(nan.shape, n)
    rank = qs.reshape((-1,) + (1,) * data.ndim) * (count - 1)
    # a slice with NaN (quantile) or only NaN (nanquantile) reads its last, NaN, element
    unreadable = (count == 0) if skip_nan else (nan > 0)
    rank = np.where(unreadable, n - 1, rank)
    rank = np.broadcast_to(rank, (len(qs),) + nan.shape)
    below, above = np.floor(rank), np.ceil(rank)
    weight = rank - below
    if interpolation == "lower":
        above, weight = below, np.zeros_like(weight)
    elif interpolation == "higher":
        below, weight = above, np.zeros_like(weight)
    elif interpolation == "midpoint":
        weight = np.where(above > below, 0.5, 0.0)
    elif interpolation == "nearest":
        below = above = np.round(rank)
        weight = np.zeros_like(weight)
    return below.astype(np.int64), above.astype(np.int64), weight


# ---------------------------------------------------------------- scans


def cummax(input: Any, dim: int) -> Any:
    """``torch.cummax``: the named tuple ``(values, indices)`` of the running maximum along
    ``dim``, with the index of the latest element equal to it (NaN, once met, stays); the
    gradient flows to that element."""
    return _running(input, dim, np.maximum, CumMax)


def cummin(input: Any, dim: int) -> Any:
    """``torch.cummin``: the running minimum along ``dim``, as ``cummax``."""
    return _running(input, dim, np.minimum, CumMin)


def _running(input, dim, ufunc, kind):
    if input.ndim == 0:
        normalize_dim(dim, 0)
        return kind(input.reshape(input.shape), input._const(np.zeros((), dtype=np.int64)))
    axis = normalize_dim(dim, input.ndim)
    data = input.data
    best = ufunc.accumulate(data, axis=axis)
    reached = data == best
    if data.dtype.kind == "f":
        reached |= np.isnan(data)
    shape = [1] * input.ndim
    shape[axis] = -1
    ramp = np.arange(data.shape[axis]).reshape(shape)
    index = np.maximum.accumulate(np.where(reached, ramp, 0), axis=axis).astype(np.int64)
    values = input._apply(shape_ops.TakeAlongAxis, indices=index, axis=axis)
    return kind(values, input._const(index))


def logcumsumexp(input: Any, dim: int) -> Any:
    """``torch.logcumsumexp``: ln Σ_{i≤j} exp(x_i) along ``dim``, computed stably (finite for
    inputs of ±1000); floating-point tensors only."""
    if not dtypes.is_floating(input.dtype):
        raise TypeError(f"logcumsumexp() needs a floating-point tensor, got {input.dtype}")
    if input.ndim == 0:
        normalize_dim(dim, 0)
        return input.reshape(1)._apply(ops.LogCumSumExp, axis=0).reshape(())
    return input._apply(ops.LogCumSumExp, axis=normalize_dim(dim, input.ndim))


# ---------------------------------------------------------------- moments and differences


def std_mean(input: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
             correction: Any = None) -> tuple:
    """``torch.std_mean``: ``(std, mean)`` over ``dim``, the arguments of ``std``."""
    mean_dim = None if isinstance(dim, bool) else dim
    return (input.std(dim, unbiased, keepdim, correction=correction),
            input.mean(mean_dim, keepdim))


def var_mean(input: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
             correction: Any = None) -> tuple:
    """``torch.var_mean``: ``(var, mean)`` over ``dim``, the arguments of ``var``."""
    mean_dim = None if isinstance(dim, bool) else dim
    return (input.var(dim, unbiased, keepdim, correction=correction),
            input.mean(mean_dim, keepdim))


def diff(input: Any, n: int = 1, dim: int = -1, prepend: Any = None,
         append: Any = None) -> Any:
    """``torch.diff``: the ``n``-th forward difference x[i + 1] − x[i] along ``dim`` (for bool
    tensors x[i + 1] != x[i]), after joining ``prepend`` and ``append`` (tensors with
    ``input``'s number of dimensions) at either end."""
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if int(n) < 0:
        raise RuntimeError(f"diff: order must be non-negative but got {n}")
    axis = normalize_dim(dim, input.ndim)
    parts = [t for t in (prepend, input, append) if t is not None]
    for t in parts:
        if t.ndim != input.ndim:
            raise RuntimeError(f"diff expects prepend or append to be the same dimension as "
                               f"input ({input.ndim}), got shape {tuple(t.shape)}")
    x = cat(parts, axis) if len(parts) > 1 else input
    lead = (slice(None),) * axis
    for _ in range(int(n)):
        later, earlier = x[lead + (slice(1, None),)], x[lead + (slice(None, -1),)]
        x = later != earlier if x.dtype == np.bool_ else later - earlier
        if x.shape[axis] == 0:
            break
    return x
