"""Top-level statistics with PyTorch's names: ``cov``, ``corrcoef``, ``trapezoid`` (``trapz``),
``cumulative_trapezoid`` and ``histogram``.

All but ``histogram`` are compositions of differentiable ops (sums, products, matmul, cumsum,
sqrt, clamp), whose gradients are derived already; ``histogram`` counts, and has no gradient,
as in PyTorch.
"""

from __future__ import annotations

import warnings
from collections import namedtuple
from typing import Any

import numpy as np

from .. import dtypes
from .reduce import normalize_dim

Histogram = namedtuple("histogram", ["hist", "bin_edges"])


def _floating(x: Any) -> Any:
    """``x``, or ``x`` in the default float dtype when it holds integers or bools."""
    return x if x.is_floating_point() else x.to(dtypes.get_default_dtype())


def cov(input: Any, *, correction: int = 1, fweights: Any = None, aweights: Any = None) -> Any:
    """``torch.cov``: the covariance matrix of the variables in the rows of ``input`` (a 1-D
    ``input`` is one variable), observations in the columns; one variable gives a 0-d result.

    With weights w = fweights·aweights (each optional): μ = Σ wᵢxᵢ / Σ wᵢ and
    C = (x − μ)·diag(w)·(x − μ)ᵀ / (Σw − correction·Σ(w·aweights)/Σw), the divisor being
    Σw − correction without ``aweights``; a divisor ≤ 0 gives inf or NaN, as in PyTorch.

    Args:
        correction: 1 (unbiased) or 0, or any integer.
        fweights: integer frequency of each observation (1-D, non-negative).
        aweights: floating importance of each observation (1-D, non-negative).
    """
    if input.ndim > 2:
        raise ValueError(f"cov: expected input with two or fewer dimensions, got shape "
                         f"{input.shape}")
    x = _floating(input).reshape(1, -1) if input.ndim < 2 else _floating(input)
    w = _observation_weights(x, fweights, aweights)
    n = x.shape[1]
    total = w.sum() if w is not None else n
    mean = (x * w).sum(1, keepdim=True) / total if w is not None else x.mean(1, keepdim=True)
    if correction == 0:
        divisor = total
    elif aweights is None:
        divisor = total - correction
    else:
        divisor = total - correction * (w * aweights).sum() / total
    if float(getattr(divisor, "data", divisor)) <= 0:
        warnings.warn("cov: the degrees of freedom (observations − correction) are <= 0; the "
                      "result is inf or NaN", UserWarning, stacklevel=2)
        divisor = divisor * 0
    centred = x - mean
    weighted = centred if w is None else centred * w
    with np.errstate(divide="ignore", invalid="ignore"):
        c = weighted.matmul(centred.transpose(0, 1)) / divisor
    return c.reshape(()) if c.shape == (1, 1) else c  # one variable: 0-d, as in PyTorch


def _observation_weights(x: Any, fweights: Any, aweights: Any) -> Any:
    """fweights·aweights as a tensor of x's dtype (None when neither is given)."""
    n, w = x.shape[1], None
    for name, weights, integer in (("fweights", fweights, True), ("aweights", aweights, False)):
        if weights is None:
            continue
        if weights.ndim > 1 or weights.numel() != n:
            raise ValueError(f"cov: {name} must be a 1-D tensor with one value per observation "
                             f"({n}), got shape {weights.shape}")
        if integer == weights.is_floating_point():
            kind = "an integer" if integer else "a floating point"
            raise TypeError(f"cov: {name} must be {kind} tensor, got {weights.dtype}")
        if (weights.data < 0).any():
            raise ValueError(f"cov: {name} cannot be negative")
        weights = weights.to(x.dtype).reshape(-1)
        w = weights if w is None else w * weights
    return w


def corrcoef(input: Any) -> Any:
    """``torch.corrcoef``: the Pearson correlation coefficients of the rows of ``input``,
    C_ij / √(C_ii·C_jj) for C = cov(input), clipped to [−1, 1]."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    std = c.diagonal().sqrt()
    return (c / std.reshape(-1, 1) / std.reshape(1, -1)).clamp(-1, 1)


def trapezoid(y: Any, x: Any = None, *, dx: Any = None, dim: int = -1) -> Any:
    """``torch.trapezoid``: ∫ y along ``dim`` by the trapezoidal rule,
    Σᵢ (yᵢ + yᵢ₊₁)/2 · Δxᵢ, with Δx from the sample points ``x`` (1-D, or y's shape) or the
    constant spacing ``dx`` (default 1)."""
    terms, axis = _trapezoids("trapezoid", y, x, dx, dim)
    return terms.sum(axis)


def trapz(y: Any, x: Any = None, *, dx: Any = None, dim: int = -1) -> Any:
    """``torch.trapz``: the older name of ``trapezoid``."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y: Any, x: Any = None, *, dx: Any = None, dim: int = -1) -> Any:
    """``torch.cumulative_trapezoid``: the running trapezoidal integral along ``dim`` (one
    element fewer than ``y`` there)."""
    terms, axis = _trapezoids("cumulative_trapezoid", y, x, dx, dim)
    return terms.cumsum(axis)


def _trapezoids(name: str, y: Any, x: Any, dx: Any, dim: int) -> tuple:
    """The trapezoid areas (yᵢ + yᵢ₊₁)/2 · Δxᵢ along ``dim``, and that axis."""
    if y.ndim == 0:
        raise IndexError(f"{name}: dimension {dim} is out of range for a 0-d tensor")
    axis = normalize_dim(dim, y.ndim)
    if x is not None and dx is not None:
        raise TypeError(f"{name}: give the sample points x or the spacing dx, not both")
    y = _floating(y)
    n = y.shape[axis]
    if n == 0:
        return y * 0, axis  # no samples: an empty sum (0), an empty running sum
    mean = (y.narrow(axis, 1, max(n - 1, 0)) + y.narrow(axis, 0, max(n - 1, 0))) / 2
    if x is None:
        return mean * (1 if dx is None else dx), axis
    x = x if hasattr(x, "narrow") else y._const(np.asarray(x))
    if x.ndim == 1:
        if x.shape[0] != n:
            raise ValueError(f"{name}: x has {x.shape[0]} points but y has {n} along "
                             f"dimension {dim}")
        step = x[1:] - x[:-1]
        step = step.reshape((-1,) + (1,) * (y.ndim - axis - 1))
    else:
        x_axis = normalize_dim(dim, x.ndim)
        step = x.narrow(x_axis, 1, max(n - 1, 0)) - x.narrow(x_axis, 0, max(n - 1, 0))
    return mean * step, axis


def histogram(input: Any, bins: Any, *, range: Any = None, weight: Any = None,
              density: bool = False) -> Any:
    """``torch.histogram``: the named tuple ``(hist, bin_edges)`` of the values of ``input``
    (a floating tensor) in ``bins`` equal bins over ``range`` (default: the min and max), or
    between the edges of the 1-D tensor ``bins``; the last bin includes its right edge.
    ``weight`` weighs each value; ``density`` scales the result to integrate to 1.
    No gradient, as in PyTorch."""
    if not input.is_floating_point():
        raise TypeError(f"histogram: input must be a floating point tensor, got {input.dtype}")
    values = input.data.reshape(-1)
    edges = _edges(input, bins, range)
    weights = None
    if weight is not None:
        if tuple(weight.shape) != tuple(input.shape) or weight.dtype != input.dtype:
            raise ValueError(f"histogram: weight must have the shape {input.shape} and dtype "
                             f"{input.dtype} of input, got {weight.shape} {weight.dtype}")
        weights = weight.data.reshape(-1)
    hist, edges = np.histogram(values, edges, weights=weights, density=bool(density))
    return Histogram(input._const(hist.astype(input.dtype)),
                     input._const(edges.astype(input.dtype)))


def _edges(input: Any, bins: Any, range: Any) -> np.ndarray:
    """The bin edges as an array of input's dtype, checked."""
    if hasattr(bins, "data") and hasattr(bins, "ndim"):
        if bins.ndim != 1 or bins.dtype != input.dtype:
            raise ValueError(f"histogram: bins must be a 1-D tensor of input's dtype "
                             f"{input.dtype}, got shape {bins.shape} and {bins.dtype}")
        if range is not None:
            raise TypeError("histogram: range is only used with an integer number of bins")
        return bins.data
    if int(bins) <= 0:
        raise ValueError(f"histogram: bins must be positive, got {bins}")
    if range is not None:
        lo, hi = float(range[0]), float(range[1])
        if lo > hi:
            raise ValueError(f"histogram: range [{lo}, {hi}] must have its minimum first")
    elif input.numel():
        lo, hi = float(input.data.min()), float(input.data.max())
    else:
        lo, hi = 0.0, 0.0
    if lo == hi:
        lo, hi = lo - 0.5 if input.numel() or range else 0.0, hi + 0.5 if input.numel() or \
            range else 1.0
    return np.linspace(lo, hi, int(bins) + 1).astype(input.dtype)
