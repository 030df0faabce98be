"""The top-level ``chainrule.X`` forms of the elementwise methods of ``PointwiseMixin`` and
``LogicalMixin`` and of add, sub, mul, div, clone, all and any (PyTorch's ``torch.X``), loaded
on first use. Each calls the method, whose docstring says more; ``input`` is the tensor the
method is called on, except where PyTorch lets a number come first (``torch.add(2, x)``).

NOTE: this module defines ``all`` and ``any``, which hide Python's built-ins inside it;
nothing here needs those.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .math import MathMixin, as_operand


def _lead(input: Any, other: Any) -> Any:
    """``input`` as a tensor when the top-level form gets a number first (``add(2, x)``)."""
    if isinstance(input, MathMixin) or not isinstance(other, MathMixin):
        return input
    return as_operand(other, input)[0]


def _tensor_first(input: Any, other: Any) -> Any:
    """The tensor operand (these functions commute, so ``bitwise_and(3, x)`` is x & 3)."""
    return other if isinstance(input, numbers.Number) else input


def _other(input: Any, other: Any) -> Any:
    return input if isinstance(input, numbers.Number) else other


def add(input: Any, other: Any, *, alpha: Any = 1) -> Any:
    """input + alpha · other (``torch.add``); either may be a number.

    Example:
        >>> import chainrule
        >>> chainrule.add(chainrule.tensor([1, 2]), chainrule.tensor([10, 20]), alpha=2)
        tensor([21, 42])
    """
    return _lead(input, other).add(other, alpha=alpha)


def sub(input: Any, other: Any, *, alpha: Any = 1) -> Any:
    """input − alpha · other (``torch.sub``, also ``subtract``)."""
    return _lead(input, other).sub(other, alpha=alpha)


subtract = sub


def mul(input: Any, other: Any) -> Any:
    """input · other elementwise (``torch.mul``, also ``multiply``)."""
    return _lead(input, other) * other


multiply = mul


def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Any:
    """input / other (``torch.div``, also ``divide``): true division (integers give floats),
    or rounded by ``rounding_mode`` 'trunc' (toward 0) or 'floor' (toward −∞), which keeps
    integer dtypes and gives a constant (no gradient).

    Example:
        >>> import chainrule
        >>> chainrule.div(chainrule.tensor([7, -7]), 2, rounding_mode="trunc")
        tensor([ 3, -3])
    """
    return _lead(input, other).div(other, rounding_mode=rounding_mode)


divide = div


def true_divide(input: Any, other: Any) -> Any:
    """input / other, always true division (``torch.true_divide``)."""
    return _lead(input, other) / other


def floor_divide(input: Any, other: Any) -> Any:
    """⌊input / other⌋ (``torch.floor_divide``, Python's ``//``); a constant."""
    return _lead(input, other).floor_divide(other)


def absolute(input: Any) -> Any:
    """|x| (``torch.absolute``, the alias of ``abs``)."""
    return input.abs()


def positive(input: Any) -> Any:
    """x itself (``torch.positive``; bool tensors are refused, as in PyTorch)."""
    return input.positive()


def clone(input: Any, *, memory_format: Any = None) -> Any:
    """A copy that stays in the graph (``torch.clone``); ``memory_format``, when given, goes
    to ``Tensor.clone``."""
    return input.clone() if memory_format is None else input.clone(memory_format)


def all(input: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    """Whether every element is non-zero, over ``dim`` (all when None): a bool tensor."""
    return input.all(dim, keepdim)


def any(input: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    """Whether some element is non-zero, over ``dim`` (all when None): a bool tensor."""
    return input.any(dim, keepdim)


def erf(input: Any) -> Any:
    """The error function (2/√π) ∫₀ˣ e^(−t²) dt (``torch.erf``); integers give floats."""
    return input.erf()


def erfc(input: Any) -> Any:
    """1 − erf(x), accurate for large x (``torch.erfc``)."""
    return input.erfc()


def erfinv(input: Any) -> Any:
    """The inverse of erf on [−1, 1] (±∞ at ±1, NaN outside) (``torch.erfinv``).

    Example:
        >>> import chainrule
        >>> chainrule.erfinv(chainrule.erf(chainrule.tensor([0.5, -1.25])))
        tensor([ 0.5000, -1.2500])
    """
    return input.erfinv()


def logit(input: Any, eps: float | None = None) -> Any:
    """ln(x / (1 − x)) (``torch.logit``), with x clamped to [eps, 1 − eps] when ``eps`` is
    given (the gradient is then 0 outside)."""
    return input.logit(eps)


def frac(input: Any) -> Any:
    """x − trunc(x) (``torch.frac``); floating-point tensors only."""
    return input.frac()


def sgn(input: Any) -> Any:
    """The sign of x (``torch.sgn``; for real tensors the same as ``sign``)."""
    return input.sgn()


def nan_to_num(input: Any, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Any:
    """x with NaN, +∞ and −∞ replaced (``torch.nan_to_num``).

    Args:
        nan: the value for NaN.
        posinf: the value for +∞ (None: the dtype's largest finite value).
        neginf: the value for −∞ (None: the dtype's lowest finite value).
    """
    return input.nan_to_num(nan, posinf, neginf)


def hypot(input: Any, other: Any) -> Any:
    """√(input² + other²) without overflow (``torch.hypot``)."""
    return input.hypot(other)


def xlogy(input: Any, other: Any) -> Any:
    """input · ln(other), 0 where input is 0 (``torch.xlogy``); either may be a number."""
    return _lead(input, other).xlogy(other)


def logaddexp(input: Any, other: Any) -> Any:
    """ln(e^input + e^other), computed stably (``torch.logaddexp``)."""
    return input.logaddexp(other)


def copysign(input: Any, other: Any) -> Any:
    """|input| with the sign of other, a float result (``torch.copysign``)."""
    return input.copysign(other)


def fmax(input: Any, other: Any) -> Any:
    """The elementwise maximum, ignoring NaN (``torch.fmax``)."""
    return input.fmax(other)


def fmin(input: Any, other: Any) -> Any:
    """The elementwise minimum, ignoring NaN (``torch.fmin``)."""
    return input.fmin(other)


def float_power(input: Any, exponent: Any) -> Any:
    """input ** exponent in float64 (``torch.float_power``); either may be a number."""
    if not isinstance(input, MathMixin):
        return exponent._const(np.asarray(float(input))).float_power(exponent)
    return input.float_power(exponent)


def clamp_min(input: Any, min: Any) -> Any:  # noqa: A002
    """max(input, min) (``torch.clamp_min``); ``min`` a number or a tensor."""
    return input.clamp_min(min)


def clamp_max(input: Any, max: Any) -> Any:  # noqa: A002
    """min(input, max) (``torch.clamp_max``); ``max`` a number or a tensor."""
    return input.clamp_max(max)


def lerp(input: Any, end: Any, weight: Any) -> Any:
    """input + weight · (end − input) (``torch.lerp``); ``weight`` a number or a tensor."""
    return input.lerp(end, weight)


def addcmul(input: Any, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Any:
    """input + value · tensor1 · tensor2 (``torch.addcmul``)."""
    return input.addcmul(tensor1, tensor2, value=value)


def addcdiv(input: Any, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Any:
    """input + value · tensor1 / tensor2 (``torch.addcdiv``; not both integral)."""
    return input.addcdiv(tensor1, tensor2, value=value)


def logical_and(input: Any, other: Any) -> Any:
    """Both non-zero, elementwise (``torch.logical_and``): a bool tensor."""
    return input.logical_and(other)


def logical_or(input: Any, other: Any) -> Any:
    """Either non-zero, elementwise (``torch.logical_or``): a bool tensor."""
    return input.logical_or(other)


def logical_xor(input: Any, other: Any) -> Any:
    """Exactly one non-zero, elementwise (``torch.logical_xor``): a bool tensor."""
    return input.logical_xor(other)


def logical_not(input: Any) -> Any:
    """Zero, elementwise (``torch.logical_not``): a bool tensor."""
    return input.logical_not()


def bitwise_not(input: Any) -> Any:
    """~x for integer and bool tensors (``torch.bitwise_not``)."""
    return input.bitwise_not()


def bitwise_and(input: Any, other: Any) -> Any:
    """input & other for integer and bool tensors (``torch.bitwise_and``).

    Example:
        >>> import chainrule
        >>> chainrule.bitwise_and(chainrule.tensor([12, 10]), 6)
        tensor([4, 2])
    """
    return _tensor_first(input, other).bitwise_and(_other(input, other))


def bitwise_or(input: Any, other: Any) -> Any:
    """input | other for integer and bool tensors (``torch.bitwise_or``)."""
    return _tensor_first(input, other).bitwise_or(_other(input, other))


def bitwise_xor(input: Any, other: Any) -> Any:
    """input ^ other for integer and bool tensors (``torch.bitwise_xor``)."""
    return _tensor_first(input, other).bitwise_xor(_other(input, other))


def signbit(input: Any) -> Any:
    """Where the sign bit is set, as bool (``torch.signbit``)."""
    return input.signbit()


def isreal(input: Any) -> Any:
    """All true for chainrule's real dtypes (``torch.isreal``)."""
    return input.isreal()
