"""Reductions that PyTorch names on their own: ``renorm`` (every slice's norm capped) and
``nanmedian`` (the lower median ignoring NaN). The Tensor methods (``methods.extra``) call
these. Both compose differentiable ops, so their gradients need no Function of their own.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from .. import dtypes
from .math import where
from .reduce import normalize_dim
from .select import sort_order
from .statistics import _along, _nan_count, _pick

NanMedian = namedtuple("nanmedian", ["values", "indices"])

RENORM_EPS = 1e-7  # PyTorch's: the scale is maxnorm / (norm + 1e-7)


def renorm(input: Any, p: Any, dim: int, maxnorm: Any) -> Any:
    """Every slice ``input.select(dim, i)`` whose p-norm exceeds ``maxnorm`` scaled by
    maxnorm / (norm + 1e-7) (so its norm becomes just under maxnorm); the others unchanged.

    Differentiable in full, as PyTorch's backward: with s = M/(n + ε) where n > M,
    y = x·s and ∂s/∂x = −M/(n + ε)² · ∂n/∂x, so dL/dx = s·G − M/(n + ε)² · ⟨G, x⟩ · ∂n/∂x
    over each slice (the norm's own gradient from ``Norm``); where n ≤ M, dL/dx = G.
    """
    if not dtypes.is_floating(input.dtype):
        raise RuntimeError(f"renorm: expected a floating-point tensor, got {input.dtype}")
    if input.ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} "
                           "dimensions")
    axis = normalize_dim(dim, input.ndim)
    if not p > 0:
        raise RuntimeError(f"renorm: non-positive-norm not supported (p = {p})")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    others = tuple(a for a in range(input.ndim) if a != axis)
    norm = _p_norm(input, float(p), others)
    scale = where(norm > maxnorm, maxnorm / (norm + RENORM_EPS), 1.0)
    return input * scale


def _p_norm(x: Any, p: float, axes: tuple[int, ...]) -> Any:
    """(Σ|x|^p)^(1/p) over ``axes``, kept; for 0 < p < 1 (which ``norm`` does not take) the
    terms at x = 0 are a constant 0, so their gradient is 0 rather than 0 · ∞."""
    if p >= 1:
        return x.norm(p, axes, keepdim=True)
    size = x.abs()
    nonzero = x._const(size.data > 0)
    terms = where(nonzero, where(nonzero, size, 1.0) ** p, 0.0)
    return terms.sum(axes, keepdim=True) ** (1.0 / p)


def nanmedian(input: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """The lower median of the elements that are not NaN (the ⌊(k − 1)/2⌋-th smallest of
    the k); NaN where all are NaN.

    Without ``dim``, a tensor (NaN for an empty one), whose gradient is shared equally by the
    elements equal to the median (as PyTorch's); with ``dim``, the named tuple
    ``(values, indices)`` along it, the gradient going to the element chosen (among equal
    values, the one a stable sort puts at the median's place). Where a slice is all NaN,
    the index is that of its first element (PyTorch's is unspecified there)."""
    if dim is None:
        return _nanmedian_of_all(input)
    x, axis = _along(input, dim, "nanmedian")
    order = sort_order(x.data, axis, False)  # NaN last
    valid = x.shape[axis] - _nan_count(x.data, axis)
    index = np.take_along_axis(order, np.maximum(valid - 1, 0) // 2, axis)
    return _pick(input, x, axis, index, keepdim, NanMedian)


def _nanmedian_of_all(input: Any) -> Any:
    """The NaN-ignoring median of every element: the maximum of the input with every element
    but those equal to the median set to −∞ (``Amax`` shares its gradient among ties). When
    all are NaN, the mean of them (NaN, its gradient 1/k to each of the k, as PyTorch's)."""
    if input.numel() == 0:
        return input._const(np.asarray(np.nan, dtype=input.dtype))
    value = nanmedian(input.reshape(-1), 0).values
    if not dtypes.is_floating(input.dtype):
        return value
    if np.isnan(value.data):
        return input.sum() / input.numel()
    chosen = input.data == value.data
    floor = input._const(np.asarray(-np.inf, dtype=input.dtype))
    return where(input._const(chosen), input, floor).amax()


__all__ = ["NanMedian", "nanmedian", "renorm"]
