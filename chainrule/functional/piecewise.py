"""Piecewise activations: the hard (piecewise-linear) sigmoid and swish, softsign, the
shrinkage family, threshold and the parametric ReLU, with PyTorch's names and arguments.

All are composites of existing ops (``where``, ``clamp``, ``abs``, ``tanh``), so none has a
backward of its own. Their gradients at the kinks follow PyTorch and are tested:

* hardsigmoid: 1/6 strictly inside (−3, 3), 0 at ±3 and beyond.
* hardswish: 0 for x ≤ −3, x/3 + 1/2 for −3 < x < 3, 1 for x ≥ 3 (so 0 at −3 and 1 at 3).
* softshrink and hardshrink: 0 on [−λ, λ], bounds included; 1 outside.
* threshold: 1 where x > threshold, 0 where x ≤ threshold.
* prelu: 1 where x > 0, the weight where x ≤ 0 (so the weight at 0); the weight's gradient
  is Σ x·G over x ≤ 0.

``inplace=True`` is accepted for compatibility with PyTorch scripts; the result is always a
new tensor and the input is left unchanged.
"""

from __future__ import annotations

from typing import Any

from ..methods.inplace import inplace as write_over
from ..methods.math import where
from ..tensor import Tensor
from .activation import _floating, hardtanh


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """Hardsigmoid(x) = 0 for x ≤ −3, 1 for x ≥ 3, x/6 + 1/2 between (relu6(x + 3)/6).

    Args:
        input: any tensor (integer inputs are converted to float32).
        inplace: write the result over ``input`` and return ``input`` (as ``hardsigmoid_``).

    Shape: any (*) -> the same shape.

    Example:
        >>> import chainrule
        >>> hardsigmoid(chainrule.tensor([-4.0, 0.0, 4.0]))
        tensor([0.0000, 0.5000, 1.0000])
    """
    if inplace:
        return write_over(input, "hardsigmoid_", hardsigmoid)
    return hardtanh(_floating(input) + 3.0, 0.0, 6.0) * (1.0 / 6.0)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """Hardswish(x) = x·hardsigmoid(x): 0 for x ≤ −3, x for x ≥ 3, x(x + 3)/6 between.

    Args:
        input: any tensor (integer inputs are converted to float32).
        inplace: write the result over ``input`` and return ``input`` (as ``hardswish_``).

    Shape: any (*) -> the same shape.

    Example:
        >>> import chainrule
        >>> hardswish(chainrule.tensor([-4.0, 0.0, 4.0]))
        tensor([0., 0., 4.])
    """
    if inplace:
        return write_over(input, "hardswish_", hardswish)
    x = _floating(input)
    middle = where(x < 3.0, x * (x + 3.0) * (1.0 / 6.0), x)
    return where(x <= -3.0, 0.0, middle)


def softsign(input: Tensor) -> Tensor:
    """Softsign(x) = x / (1 + |x|); derivative 1 / (1 + |x|)² (1 at 0).

    Args:
        input: any tensor (integer inputs are converted to float32).

    Shape: any (*) -> the same shape.

    Example:
        >>> import chainrule
        >>> softsign(chainrule.tensor([-3.0, 1.0]))
        tensor([-0.7500,  0.5000])
    """
    x = _floating(input)
    return x / (x.abs() + 1.0)


def tanhshrink(input: Tensor) -> Tensor:
    """Tanhshrink(x) = x − tanh(x); derivative tanh²(x).

    Args:
        input: any tensor (integer inputs are converted to float32).

    Shape: any (*) -> the same shape.

    Example:
        >>> import chainrule
        >>> tanhshrink(chainrule.tensor([0.0]))
        tensor([0.])
    """
    x = _floating(input)
    return x - x.tanh()


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """Softshrink(x) = x − λ for x > λ, x + λ for x < −λ, 0 on [−λ, λ].

    Args:
        input: any tensor (integer inputs are converted to float32).
        lambd: λ ≥ 0 (default 0.5).

    Shape: any (*) -> the same shape.

    Example:
        >>> import chainrule
        >>> softshrink(chainrule.tensor([-2.0, 0.2, 2.0]))
        tensor([-1.5000,  0.0000,  1.5000])
    """
    if not lambd >= 0:
        raise RuntimeError(f"softshrink: lambd must be non-negative, got {lambd}")
    x = _floating(input)
    return where(x > lambd, x - lambd, where(x < -lambd, x + lambd, 0.0))


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """Hardshrink(x) = x where |x| > λ, 0 on [−λ, λ].

    Args:
        input: any tensor (integer inputs are converted to float32).
        lambd: λ (default 0.5); a negative λ keeps every element, as in PyTorch.

    Shape: any (*) -> the same shape.

    Example:
        >>> import chainrule
        >>> hardshrink(chainrule.tensor([-2.0, 0.2, 2.0]))
        tensor([-2.,  0.,  2.])
    """
    x = _floating(input)
    return where((x > lambd) | (x < -lambd), x, 0.0)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """Threshold(x) = x where x > threshold, else ``value``.

    Args:
        input: any tensor (integer inputs are converted to float32).
        threshold: the value to compare with (required).
        value: what replaces the elements at or below the threshold (required).
        inplace: write the result over ``input`` and return ``input`` (as ``threshold_``).

    Shape: any (*) -> the same shape.

    Example:
        >>> import chainrule
        >>> threshold(chainrule.tensor([-1.0, 0.5, 2.0]), 0.5, -7.0)
        tensor([-7., -7.,  2.])
    """
    if inplace:
        return write_over(input, "threshold_", _thresholded, threshold, value)
    return _thresholded(input, threshold, value)


def _thresholded(input: Tensor, threshold: float, value: float) -> Tensor:
    x = _floating(input)
    return where(x > threshold, x, float(value))


def prelu(input: Tensor, weight: Any) -> Tensor:
    """PReLU(x) = x for x > 0, a·x otherwise, with a learnable slope a per channel (dim 1) or
    one shared slope.

    Args:
        input: (N, C, *) or, with a single slope, any shape (below 2 dimensions there is no
            channel dimension: the channel count is 1).
        weight: the slopes, a 0-d tensor or shape (1,) or (C,).

    Shape: any (*) -> the same shape.

    Example:
        >>> import chainrule
        >>> prelu(chainrule.tensor([[-2.0, 3.0]]), chainrule.tensor([0.25]))
        tensor([[-0.5000,  3.0000]])
    """
    weight = weight if isinstance(weight, Tensor) else Tensor(weight)
    return input.prelu(weight)  # the math, and its checks, are Tensor.prelu's


__all__ = [
    "hardshrink", "hardsigmoid", "hardswish", "prelu", "softshrink", "softsign", "tanhshrink",
    "threshold",
]
