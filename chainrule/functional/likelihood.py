"""Negative log-likelihood losses of distributions other than the categorical one:
``poisson_nll_loss`` and ``gaussian_nll_loss``, with PyTorch's names, arguments, defaults,
reductions and shape rules.

Both are composites of existing ops. As for every loss of ``loss.py``, the target must have
the input's shape (PyTorch would broadcast the two); the variance of ``gaussian_nll_loss``
follows PyTorch's broadcasting rules exactly.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from ..methods.math import where
from ..tensor import Tensor
from .loss import _reduce, _reduction, _same_shape, _tensor

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def poisson_nll_loss(input: Tensor, target: Any, log_input: bool = True, full: bool = False,
                     size_average: Any = None, eps: float = 1e-8, reduce: Any = None,
                     reduction: str = "mean") -> Tensor:
    """Poisson negative log-likelihood: ℓᵢ = e^(xᵢ) − yᵢ·xᵢ when ``log_input`` (x is the log
    of the rate), else xᵢ − yᵢ·log(xᵢ + eps); with ``full`` the Stirling term
    y·log y − y + ½·log(2πy) is added where y > 1 (0 where y ≤ 1).

    Args:
        input: x, the log-rate (``log_input``) or the rate.
        target: y, counts, of the input's shape.
        log_input: whether the input is the log of the rate (default True).
        full: add the Stirling approximation of log(y!) (default False).
        size_average: deprecated; use ``reduction`` (translated with PyTorch's warning).
        eps: added to the rate before its log when not ``log_input`` (default 1e-8).
        reduce: deprecated; use ``reduction``.
        reduction: 'mean' (default), 'sum' or 'none'.

    Shape: input and target (*) -> scalar, or (*) for 'none'.

    Example:
        >>> import chainrule
        >>> poisson_nll_loss(chainrule.tensor([0.0]), chainrule.tensor([2.0]))
        tensor(1.)
    """
    name = "poisson_nll_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    target = _same_shape(name, input, target)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        above = target.data > 1
        safe = where(above, target, 1.0)
        stirling = safe * safe.log() - safe + (safe * (2.0 * math.pi)).log() * 0.5
        loss = loss + where(above, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Any, var: Any, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """Gaussian negative log-likelihood: ℓᵢ = ½·(log max(varᵢ, eps) + (xᵢ − yᵢ)² /
    max(varᵢ, eps)), plus ½·log(2π) with ``full``.

    The variance is floored at eps as PyTorch does it, outside autograd: its gradient is
    computed at the floored value, as if no floor had been applied.

    Args:
        input: x, the predicted means.
        target: y, samples, of the input's shape.
        var: the variances, non-negative: of the input's shape (heteroscedastic); the
            input's shape without its last dimension, or with one dimension of size 1
            (homoscedastic, broadcast); or a Python number for all.
        full: add the constant ½·log(2π) (default False).
        eps: the floor on the variance (default 1e-6).
        reduction: 'mean' (default), 'sum' or 'none'.

    Shape: input and target (*); var (*), (*) without the last dimension, or (*) with one
    size-1 dimension. The loss is a scalar, or (*) for 'none'.

    Example:
        >>> import chainrule
        >>> gaussian_nll_loss(chainrule.tensor([1.0]), chainrule.tensor([1.0]), 1.0)
        tensor(0.)
    """
    name = "gaussian_nll_loss"
    reduction = _reduction(name, reduction)
    target = _same_shape(name, input, target)
    var = _variance(name, input, var)
    floored = var + Tensor._const(np.maximum(var.data, eps) - var.data)
    loss = (floored.log() + (input - target).square() / floored) * 0.5
    if full:
        loss = loss + _HALF_LOG_2PI
    return _reduce(loss, reduction)


def _variance(name: str, input: Tensor, var: Any) -> Tensor:
    """``var`` checked (non-negative, of an allowed shape) and shaped to broadcast to input."""
    if isinstance(var, numbers.Real) and not isinstance(var, bool):
        var = Tensor._const(np.full(input.shape, var, dtype=input.dtype))
    var = _tensor(var)
    if np.any(var.data < 0):
        raise ValueError(f"{name}: var has negative entry/entries (smallest "
                         f"{var.data.min()}); variances must be non-negative")
    var = var if var.dtype == input.dtype else var.to(input.dtype)
    shape, wanted = tuple(var.shape), tuple(input.shape)
    if shape == wanted:
        return var
    if shape == wanted[:-1]:
        return var.unsqueeze(-1)
    if len(shape) == len(wanted) and \
            sum(v for v, x in zip(shape, wanted) if v != x) == 1:
        return var
    raise ValueError(f"{name}: var is of incorrect size: shape {shape} for an input of shape "
                     f"{wanted}; give var the input's shape, the input's shape without its "
                     "last dimension, or the input's shape with one dimension of size 1")


__all__ = ["gaussian_nll_loss", "poisson_nll_loss"]
