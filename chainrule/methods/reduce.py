"""Tensor reductions: sum, mean, var, std, prod, max/min, argmax/argmin, norm, the softmax family.

Every reduction takes PyTorch's ``dim`` (an int or a tuple) and ``keepdim``; NumPy's ``axis``
and ``keepdims`` are accepted as aliases. ``max``/``min`` with a ``dim`` return the named tuple
``(values, indices)``; the gradient then flows to the returned index, as in PyTorch, while a
full ``max()``/``amax`` shares it among tied maxima.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from .. import dtypes
from ..ops import reduce, shape

MaxMin = namedtuple("MaxMin", ["values", "indices"])


def reduction_axes(dim: Any, axis: Any, ndim: int) -> tuple[int, ...] | None:
    """``dim`` (or its alias ``axis``) as a sorted tuple of non-negative axes, None for all."""
    dim = axis if dim is None else dim
    if dim is None:
        return None
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    if ndim == 0:
        for d in dims:
            normalize_dim(d, 0)
        return None
    return tuple(sorted({normalize_dim(d, ndim) for d in dims}))


def normalize_dim(dim: Any, ndim: int) -> int:
    """``dim`` in [0, ndim), or an IndexError that names the valid range."""
    size = max(ndim, 1)
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    if not -size <= dim < size:
        raise IndexError(
            f"dimension {dim} is out of range for a tensor with {ndim} dimensions "
            f"(expected a value in [{-size}, {size - 1}])"
        )
    return int(dim) % size


def _keep(keepdim: bool, keepdims: Any) -> bool:
    return bool(keepdim if keepdims is None else keepdims)


class ReduceMixin:
    """Reductions of ``Tensor``."""

    __slots__ = ()

    def sum(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        """Sum over ``dim`` (all dimensions when None)."""
        x = self if dtype is None else self.to(dtype)
        if x.dtype == dtypes.bool_:
            x = x.to(dtypes.int64)
        axes = reduction_axes(dim, axis, x.ndim)
        return x._apply(reduce.Sum, axis=axes, keepdims=_keep(keepdim, keepdims))

    def mean(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        """Arithmetic mean over ``dim``; floating-point tensors only (as in PyTorch)."""
        x = self if dtype is None else self.to(dtype)
        if not dtypes.is_floating(x.dtype):
            raise TypeError(f"mean() needs a floating-point tensor, got {x.dtype}; "
                            "convert it with .float() first")
        axes = reduction_axes(dim, axis, x.ndim)
        return x._apply(reduce.Mean, axis=axes, keepdims=_keep(keepdim, keepdims))

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None,
            keepdims=None):
        """Variance Σ(x − x̄)² / (n − correction); correction 1 (Bessel) unless told otherwise."""
        return self._moment(reduce.Var, dim, unbiased, keepdim, correction, axis, keepdims)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None,
            keepdims=None):
        """Standard deviation: the square root of ``var`` with the same arguments (its gradient
        is 0 where it is 0, as in PyTorch)."""
        return self._moment(reduce.Std, dim, unbiased, keepdim, correction, axis, keepdims)

    def prod(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        """Product over ``dim``."""
        x = self if dtype is None else self.to(dtype)
        axes = reduction_axes(dim, axis, x.ndim)
        return x._apply(reduce.Prod, axis=axes, keepdims=_keep(keepdim, keepdims))

    def amax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Maximum over ``dim``; tied maxima share the gradient equally."""
        self._check_nonempty("amax")
        axes = reduction_axes(dim, axis, self.ndim)
        return self._apply(reduce.Amax, axis=axes, keepdims=_keep(keepdim, keepdims))

    def amin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Minimum over ``dim``; tied minima share the gradient equally."""
        if not dtypes.is_floating(self.dtype):
            # NOTE: not through negation: bool has none, and −x wraps around for uint8.
            self._check_nonempty("amin")
            axes = reduction_axes(dim, axis, self.ndim)
            return self._const(np.asarray(np.min(self.data, axis=axes,
                                                 keepdims=_keep(keepdim, keepdims))))
        return -(-self).amax(dim, keepdim, axis=axis, keepdims=keepdims)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The maximum (no dim), or ``(values, indices)`` along ``dim``, or elementwise maximum
        when given a tensor."""
        if isinstance(dim, ReduceMixin):
            return self.maximum(dim)
        if dim is None and axis is None:
            return self.amax()
        return self._select(np.argmax, "max", dim if dim is not None else axis,
                            _keep(keepdim, keepdims))

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The minimum (no dim), or ``(values, indices)`` along ``dim``, or elementwise minimum
        when given a tensor."""
        if isinstance(dim, ReduceMixin):
            return self.minimum(dim)
        if dim is None and axis is None:
            return self.amin()
        return self._select(np.argmin, "min", dim if dim is not None else axis,
                            _keep(keepdim, keepdims))

    def argmax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Index of the (first) maximum along ``dim``, or into the flattened tensor."""
        dim = axis if dim is None else dim
        return self._arg(np.argmax, "argmax", dim, _keep(keepdim, keepdims))

    def argmin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Index of the (first) minimum along ``dim``, or into the flattened tensor."""
        dim = axis if dim is None else dim
        return self._arg(np.argmin, "argmin", dim, _keep(keepdim, keepdims))

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None, *, axis=None, keepdims=None):
        """Vector p-norm over ``dim`` (all elements when None): p = 2 ('fro'), 1, inf, −inf,
        or any p ≥ 1; ``dtype`` converts the tensor first. The gradient at the zero vector
        is 0."""
        if dtype is not None:
            return self.to(dtype).norm(p, dim, keepdim, axis=axis, keepdims=keepdims)
        p = 2.0 if p in ("fro", None) else p
        axes = reduction_axes(dim, axis, self.ndim)
        keepdim = _keep(keepdim, keepdims)
        if p == float("inf"):
            return self.abs().amax(axes, keepdim)
        if p == float("-inf"):
            return self.abs().amin(axes, keepdim)
        if not p >= 1:
            raise ValueError(f"norm: p must be >= 1, inf or -inf, got {p!r}")
        return self._float()._apply(reduce.Norm, p=float(p), axis=axes, keepdims=keepdim)

    def logsumexp(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """ln Σ exp(x) along ``dim``, computed stably (finite for inputs of ±1000)."""
        if dim is None and axis is None:
            raise TypeError("logsumexp() missing required argument 'dim'")
        axes = reduction_axes(dim, axis, self.ndim)
        return self._float()._apply(reduce.LogSumExp, axis=axes, keepdims=_keep(keepdim, keepdims))

    def softmax(self, dim):
        """exp(x) / Σ exp(x) along ``dim``, max-shifted so it never overflows."""
        return self._float()._apply(reduce.Softmax, axis=normalize_dim(dim, self.ndim))

    def log_softmax(self, dim):
        """x − logsumexp(x) along ``dim``: the stable log of ``softmax``."""
        return self._float()._apply(reduce.LogSoftmax, axis=normalize_dim(dim, self.ndim))

    def all(self, dim=None, keepdim=False):
        return self._truth_reduction(np.all, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        return self._truth_reduction(np.any, dim, keepdim)

    def _truth_reduction(self, fn, dim, keepdim):
        """``all`` or ``any`` (``fn``): bool, except that a uint8 tensor gives uint8 0/1, as in
        PyTorch (its legacy rule for byte masks)."""
        result = np.asarray(fn(self.data, axis=reduction_axes(dim, None, self.ndim),
                               keepdims=keepdim))
        return self._const(result.astype(np.uint8) if self.dtype == np.uint8 else result)

    def _moment(self, fn, dim, unbiased, keepdim, correction, axis, keepdims):
        """``var`` or ``std`` (``fn``) with PyTorch's arguments resolved."""
        if not dtypes.is_floating(self.dtype):
            raise TypeError(f"{fn.__name__.lower()}() needs a floating-point tensor, got "
                            f"{self.dtype}; convert it with .float() first")
        if isinstance(dim, bool):  # std(True): PyTorch's (input, unbiased) form
            dim, unbiased = None, dim
        if correction is None:
            correction = 0 if unbiased is False else 1
        axes = reduction_axes(dim, axis, self.ndim)
        return self._apply(fn, axis=axes, correction=correction,
                           keepdims=_keep(keepdim, keepdims))

    def _check_nonempty(self, name):
        if self.numel() == 0:
            raise ValueError(f"{name}() of an empty tensor (shape {self.shape}) is undefined")

    def _arg(self, func, name, dim, keepdim):
        self._check_nonempty(name)
        if dim is None:
            return self._const(np.asarray(func(self.data), dtype=np.int64))
        axis = normalize_dim(dim, self.ndim)
        return self._const(func(self.data, axis=axis, keepdims=keepdim).astype(np.int64))

    def _select(self, func, name, dim, keepdim):
        """(values, indices) of max/min along ``dim``; the gradient goes to the index."""
        self._check_nonempty(name)
        axis = normalize_dim(dim, self.ndim)
        if self.ndim == 0:
            return MaxMin(self, self._const(np.asarray(0, dtype=np.int64)))
        index = func(self.data, axis=axis, keepdims=True).astype(np.int64)
        values = self._apply(shape.TakeAlongAxis, indices=index, axis=axis)
        if not keepdim:
            values, index = values.squeeze(axis), np.squeeze(index, axis)
        return MaxMin(values, self._const(index))


# ---------------------------------------------------------------- top-level forms


def std(input: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
        correction: Any = None) -> Any:
    """Standard deviation over ``dim`` (all when None) with Bessel's correction unless told
    otherwise: ``correction`` (default 1) or the older ``unbiased`` (``std(x, True)`` works).

    Args:
        input: a floating-point tensor.
        dim: an int or a tuple of ints.
        unbiased: False for correction 0.
        keepdim: keep the reduced dimensions with size 1.
        correction: the divisor is n − correction (keyword).
    """
    return input.std(dim, unbiased, keepdim, correction=correction)


def var(input: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
        correction: Any = None) -> Any:
    """Variance Σ(x − x̄)²/(n − correction) over ``dim``; arguments as in ``std``.

    Args:
        input: a floating-point tensor.
        dim: an int or a tuple of ints.
        unbiased: False for correction 0.
        keepdim: keep the reduced dimensions with size 1.
        correction: the divisor is n − correction (keyword).
    """
    return input.var(dim, unbiased, keepdim, correction=correction)


def prod(input: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
    """Product of the elements over ``dim`` (all when None)."""
    return input.prod(dim, keepdim, dtype=dtype)


def norm(input: Any, p: Any = "fro", dim: Any = None, keepdim: bool = False, out: Any = None,
         dtype: Any = None) -> Any:
    """Vector p-norm over ``dim`` (all elements when None): p = 'fro' (2), 1, inf, −inf or any
    p ≥ 1; ``dtype`` converts the input first. The nuclear norm is not supported, nor ``out``
    (``refuse_out``)."""
    refuse_out("norm", out)
    x = input if dtype is None else input.to(dtype)
    return x.norm(p, dim, keepdim)


def refuse_out(name: str, out: Any) -> None:
    """PyTorch's ``out=`` argument, which chainrule does not offer: a TypeError unless None."""
    if out is not None:
        raise TypeError(f"{name}: out= is not supported; use the returned tensor")
