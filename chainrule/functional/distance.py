"""Vector norms and distances between tensors: ``normalize``, ``cosine_similarity`` and
``pairwise_distance``, with PyTorch's names, arguments and defaults.

All three are composites of differentiable ops (``norm``, division, sums), so they have no
backward of their own; the p-norm's gradient at the zero vector is 0 (the subgradient PyTorch
uses), so a zero row gives a zero gradient rather than NaN.

Differences from PyTorch: p must be positive (PyTorch also accepts p = 0, which counts the
non-zero elements, and negative p); the two inputs of ``cosine_similarity`` and
``pairwise_distance`` are broadcast as PyTorch does, and a pair that cannot be broadcast is a
ValueError naming both shapes (PyTorch: RuntimeError).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import dtypes
from ..methods.math import broadcast_shape
from ..methods.reduce import normalize_dim
from ..tensor import Tensor


def _floating(x: Any) -> Tensor:
    """``x`` as a floating tensor (integer tensors become float32)."""
    x = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
    return x if dtypes.is_floating(x.dtype) else x.to(dtypes.default_float)


def _p_norm(name: str, x: Tensor, p: float, dim: int, keepdim: bool) -> Tensor:
    """(Σ |x|^p)^(1/p) over ``dim``: ``Tensor.norm`` for p ≥ 1 and inf, a composite below 1."""
    p = float(p)
    if p >= 1 or p == math.inf:
        return x.norm(p, dim, keepdim)
    if p > 0:
        return x.abs().pow(p).sum(dim, keepdim).pow(1.0 / p)
    raise ValueError(f"{name}: p must be positive (or inf), got {p}")


def _pair(name: str, x1: Any, x2: Any) -> tuple[Tensor, Tensor]:
    """Both inputs as floating tensors of their common broadcast shape."""
    x1, x2 = _floating(x1), _floating(x2)
    shape = broadcast_shape(name, tuple(x1.shape), tuple(x2.shape))
    return x1.broadcast_to(shape), x2.broadcast_to(shape)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Any = None) -> Tensor:
    """Lp normalisation: x / max(‖x‖_p, ε), the norm taken over ``dim``.

    Below ε the norm is replaced by ε (gradient through the norm 0 there, PyTorch's clamp).

    Args:
        input: a tensor of any shape.
        p: the norm's exponent, positive or inf (default 2).
        dim: the dimension to normalise over (default 1).
        eps: the floor ε on the norm (default 1e-12).
        out: not supported (chainrule has no out= arguments); must be None.

    Shape: any (*) -> the same shape.

    Example:
        >>> import chainrule
        >>> normalize(chainrule.tensor([[3.0, 4.0]]))
        tensor([[0.6000, 0.8000]])
    """
    if out is not None:
        raise TypeError("normalize: out= is not supported; use the returned tensor")
    x = _floating(input)
    dim = normalize_dim(dim, x.ndim)
    return x / _p_norm("normalize", x, p, dim, True).clamp(min=eps)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine similarity along ``dim``: Σ (x₁/max(‖x₁‖, ε)) ⊙ (x₂/max(‖x₂‖, ε)).

    As in PyTorch each input is divided by its own clamped 2-norm; the clamp is applied as a
    constant shift, so the gradient flows through the norm as if it were not clamped.

    Args:
        x1: first input.
        x2: second input, broadcastable with ``x1``.
        dim: the dimension of the vectors (default 1).
        eps: the floor ε on each norm (default 1e-8).

    Shape: x1 and x2 broadcast to (*, D, *) -> (*, *), ``dim`` removed.

    Example:
        >>> import chainrule
        >>> cosine_similarity(chainrule.tensor([[1.0, 0.0]]), chainrule.tensor([[1.0, 1.0]]))
        tensor([0.7071])
    """
    x1, x2 = _pair("cosine_similarity", x1, x2)
    dim = normalize_dim(dim, x1.ndim)
    return ((x1 / _clamped_norm(x1, dim, eps)) * (x2 / _clamped_norm(x2, dim, eps))).sum(dim)


def _clamped_norm(x: Tensor, dim: int, eps: float) -> Tensor:
    """‖x‖ over ``dim`` (kept), floored at ε by adding the constant max(‖x‖, ε) − ‖x‖."""
    norm = x.norm(2, dim, True)
    return norm + Tensor._const(np.maximum(norm.data, eps) - norm.data)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """‖x₁ − x₂ + ε‖_p over the last dimension (ε keeps the norm away from 0).

    Args:
        x1: first input, (N, D) or (D,).
        x2: second input, broadcastable with ``x1``.
        p: the norm's exponent, positive or inf (default 2).
        eps: the constant ε added to the difference (default 1e-6).
        keepdim: keep the reduced last dimension as size 1.

    Shape: (*, D) and (*, D) -> (*), or (*, 1) with ``keepdim``.

    Example:
        >>> import chainrule
        >>> pairwise_distance(chainrule.tensor([[3.0, 4.0]]), chainrule.zeros(1, 2), eps=0.0)
        tensor([5.])
    """
    x1, x2 = _pair("pairwise_distance", x1, x2)
    return _p_norm("pairwise_distance", x1 - x2 + eps, p, -1, keepdim)


__all__ = ["cosine_similarity", "normalize", "pairwise_distance"]
