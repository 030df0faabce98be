"""Elementwise methods PyTorch has and ``MathMixin`` lacks: the error function family, lerp,
addcmul/addcdiv, clamp_min/clamp_max, logit, hypot, xlogy, logaddexp, float_power, frac,
copysign, sgn, nan_to_num, fmax/fmin, the arithmetic aliases (subtract, multiply, divide,
true_divide, floor_divide, absolute, positive), and division with a ``rounding_mode``. Their
top-level forms are in ``pointwise_functions``.

Differentiable ones call a Function of ``ops.pointwise`` (imported on first use, so that
``import chainrule`` does not load it) or compose existing methods (lerp, addcmul, addcdiv,
clamp_min/max, float_power, nan_to_num), so they share the operators' graph. Rounded
division, like floor, is piecewise constant and returns a constant (no graph).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import dtypes
from .math import MathMixin, as_operand, binary, broadcast_shape, refuse_bool, where

_ROUNDING_MODES = ("trunc", "floor")


def _ops() -> Any:
    """``ops.pointwise``, imported on first use."""
    from ..ops import pointwise

    return pointwise


class IntegerDivisionByZero(ZeroDivisionError, RuntimeError):
    """Integer division (``//``, ``floor_divide``, ``div`` with a rounding mode) by zero: a
    ZeroDivisionError, and a RuntimeError as PyTorch raises it."""


class PointwiseMixin:
    """Elementwise math of ``Tensor`` beyond ``MathMixin``'s (see the module docstring)."""

    __slots__ = ()

    # ------------------------------------------------------------ arithmetic aliases

    def subtract(self, other, *, alpha=1):
        return self.sub(other, alpha=alpha)

    def multiply(self, other):
        return self * other

    def divide(self, other, *, rounding_mode=None):
        return self.div(other, rounding_mode=rounding_mode)

    def true_divide(self, other):
        return self / other

    def floor_divide(self, other):
        """⌊self / other⌋ as Python's ``//`` rounds (a constant: no gradient)."""
        return self._div_rounded(other, "floor", False)

    def absolute(self):
        return self.abs()

    def positive(self):
        """self (PyTorch refuses bool tensors)."""
        return self if self.dtype.kind != "b" else refuse_bool("positive")

    def sgn(self):
        """The sign: ``sign`` for real tensors (bool tensors give themselves)."""
        return self.sign()

    def _times_alpha(self, other, alpha, name, word="alpha"):
        """``other * alpha`` for ``add``/``sub``/``addcmul``, refusing what PyTorch refuses:
        a float ``alpha`` when the result is integral, a bool one unless it is bool."""
        result = as_operand(self, other)[1]
        if isinstance(alpha, (bool, np.bool_)):
            if result.kind != "b":
                raise TypeError(f"{name}: a bool {word} is only allowed for bool results")
        elif not isinstance(alpha, numbers.Number):
            raise TypeError(f"{name}: {word} must be a number, got {type(alpha).__name__}")
        elif result.kind in "biu" and isinstance(alpha, (float, np.floating)):
            raise TypeError(f"{name}: {word}={alpha!r} is a float but the result is "
                            f"{result.name}; use an integer {word} or convert to float first")
        if result.kind == "b":  # bool · bool stays bool: alpha counts as true or false
            return other if alpha else as_operand(self, other)[0] * False
        return other if alpha == 1 else other * alpha

    def _div_rounded(self, other, mode, reverse):
        """self / other (other / self if ``reverse``) rounded by ``mode`` ('trunc' or
        'floor'), in the promoted dtype; a constant."""
        if mode not in _ROUNDING_MODES:
            raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got {mode!r}")
        other, dtype = as_operand(self, other)
        name = "floor_divide" if mode == "floor" else "div"
        a, b = (other, self) if reverse else (self, other)
        broadcast_shape(name, a.shape, b.shape)
        if dtype.kind == "b":
            raise TypeError(f"{name}: bool tensors are not supported with rounding_mode="
                            f"{mode!r} (PyTorch refuses them too); convert first, e.g. x.int()")
        x, y = a.data.astype(dtype, copy=False), b.data.astype(dtype, copy=False)
        return self._const(np.asarray(rounded_quotient(x, y, mode, name)))

    # ------------------------------------------------------------ special functions

    def erf(self):
        return self._float()._apply(_ops().Erf)

    def erfc(self):
        return self._float()._apply(_ops().Erfc)

    def erfinv(self):
        return self._float()._apply(_ops().Erfinv)

    def logit(self, eps=None):
        """ln(x / (1 − x)), with x clamped to [eps, 1 − eps] first when ``eps`` is given."""
        return self._float()._apply(_ops().Logit, eps=None if eps is None else float(eps))

    def frac(self):
        """x − trunc(x), the fractional part with x's sign (floating-point tensors only)."""
        if not dtypes.is_floating(self.dtype):
            raise TypeError(f"frac: needs a floating-point tensor, got {self.dtype} (PyTorch "
                            "refuses it too); an integer has no fractional part")
        return self._apply(_ops().Frac)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        """NaN, +∞ and −∞ replaced by ``nan``, ``posinf`` and ``neginf`` (the infinities by
        the dtype's largest and lowest finite values when None); the gradient flows where
        the input is finite."""
        if not dtypes.is_floating(self.dtype):
            return self._const(self.data.copy())
        replaced = self._const(np.nan_to_num(self.data, nan=nan, posinf=posinf, neginf=neginf))
        return where(self.isfinite(), self, replaced) if self.requires_grad else replaced

    # ------------------------------------------------------------ binary

    def hypot(self, other):
        """√(self² + other²) without overflow."""
        return binary(_ops().Hypot, self, other, "hypot", floating=True)

    def xlogy(self, other):
        """self · ln(other), 0 where self is 0 (unless other is NaN)."""
        return binary(_ops().Xlogy, self, other, "xlogy", floating=True)

    def logaddexp(self, other):
        """ln(e^self + e^other), computed stably."""
        return binary(_ops().LogAddExp, self, other, "logaddexp", floating=True)

    def copysign(self, other):
        """|self| with the sign of other (also of −0.0); a float result."""
        return binary(_ops().Copysign, self, other, "copysign", floating=True)

    def fmax(self, other):
        """The elementwise maximum that ignores NaN (NaN only where both are)."""
        return binary(_ops().Fmax, self, other, "fmax")

    def fmin(self, other):
        """The elementwise minimum that ignores NaN (NaN only where both are)."""
        return binary(_ops().Fmin, self, other, "fmin")

    def float_power(self, exponent):
        """self ** exponent computed in float64 (the result is float64)."""
        if isinstance(exponent, MathMixin):
            exponent = exponent.to(dtypes.float64)
        elif isinstance(exponent, (numbers.Number, np.generic)):
            exponent = float(exponent)
        return self.to(dtypes.float64).pow(exponent)

    def clamp_min(self, min):
        """max(self, min) elementwise, the gradient to self where self ≥ min."""
        return _promoted_for(self, min).clamp(min=min)

    def clamp_max(self, max):
        """min(self, max) elementwise, the gradient to self where self ≤ max."""
        return _promoted_for(self, max).clamp(max=max)

    # ------------------------------------------------------------ composites of three

    def lerp(self, end, weight):
        """self + weight · (end − self); ``weight`` a number or a tensor."""
        for what, value in (("start", self), ("end", end)):
            if not isinstance(value, MathMixin) or not dtypes.is_floating(value.dtype):
                kind = value.dtype if isinstance(value, MathMixin) else type(value).__name__
                raise TypeError(f"lerp: {what} must be a floating-point tensor, got {kind}")
        return self + weight * (end - self)

    def addcmul(self, tensor1, tensor2, *, value=1):
        """self + value · tensor1 · tensor2."""
        product = as_operand(self, tensor1)[0] * tensor2
        return self + self._times_alpha(product, value, "addcmul", "value")

    def addcdiv(self, tensor1, tensor2, *, value=1):
        """self + value · tensor1 / tensor2 (true division)."""
        t1, t2 = as_operand(self, tensor1)[0], as_operand(self, tensor2)[0]
        if not dtypes.is_floating(t1.dtype) and not dtypes.is_floating(t2.dtype):
            raise TypeError(f"addcdiv: tensor1 and tensor2 are both integral ({t1.dtype}, "
                            f"{t2.dtype}); PyTorch refuses integer division here: convert "
                            "one to float, or use addcmul with a reciprocal")
        return self + self._times_alpha(t1 / t2, value, "addcdiv", "value")


def rounded_quotient(x: np.ndarray, y: np.ndarray, mode: str, name: str) -> np.ndarray:
    """x / y rounded toward −∞ ('floor', as Python's ``//``) or toward 0 ('trunc'), for two
    arrays of one dtype; integer division by zero raises, as in PyTorch."""
    if x.dtype.kind == "f":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.floor_divide(x, y) if mode == "floor" else np.trunc(x / y)
    if np.any(y == 0):
        raise IntegerDivisionByZero(f"{name}: integer division by zero")
    quotient = np.floor_divide(x, y)
    if mode == "floor":
        return quotient
    # ⌊x/y⌋ and trunc(x/y) differ by one where the division is inexact and the signs differ.
    inexact = (quotient * y != x) & ((x < 0) != (y < 0))
    return quotient + inexact.astype(quotient.dtype)


def _promoted_for(t: Any, bound: Any) -> Any:
    """``t`` in the dtype that ``t`` and a number ``bound`` promote to (a float bound turns an
    integer tensor into float32); tensor bounds promote inside ``clamp``."""
    if isinstance(bound, MathMixin) or bound is None:
        return t
    return t.to(dtypes.promote_scalar(t.dtype, bound))
