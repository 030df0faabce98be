"""More elementwise math (trigonometric, hyperbolic, logarithms in bases 2 and 10, fmod,
trunc), the closeness tests (``isclose``, ``allclose``, ``equal``, ``isinf``), and the
top-level forms of these and of the existing elementwise, comparison and reduction methods
(``chainrule.eq``, ``chainrule.std``, ...), with PyTorch's names and arguments.

Differentiable ones call a Function of ``ops.trig``/``ops.unary``/``ops.arithmetic``; the
rounding functions and the tests return constants (no graph), as ``floor`` does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes
from ..ops import arithmetic as ar
from ..ops import trig, unary
from .math import MathMixin, as_operand, binary, broadcast_shape


class ElementwiseMixin:
    """Trigonometric, hyperbolic and logarithmic methods, fmod, trunc, and closeness tests."""

    __slots__ = ()

    def tan(self):
        return self._float()._apply(trig.Tan)

    def asin(self):
        return self._float()._apply(trig.Asin)

    def acos(self):
        return self._float()._apply(trig.Acos)

    def atan(self):
        return self._float()._apply(trig.Atan)

    def atan2(self, other):
        """The angle of the point (other, self), elementwise (PyTorch's ``atan2``)."""
        return binary(trig.Atan2, self, other, "atan2", floating=True)

    def sinh(self):
        return self._float()._apply(trig.Sinh)

    def cosh(self):
        return self._float()._apply(trig.Cosh)

    def asinh(self):
        return self._float()._apply(trig.Asinh)

    def acosh(self):
        return self._float()._apply(trig.Acosh)

    def atanh(self):
        return self._float()._apply(trig.Atanh)

    def expm1(self):
        return self._float()._apply(unary.Expm1)

    def exp2(self):
        return self._float()._apply(unary.Exp2)

    def log2(self):
        return self._float()._apply(unary.Log2)

    def log10(self):
        return self._float()._apply(unary.Log10)

    def fmod(self, other):
        """self − other·trunc(self/other): the remainder with the sign of self (C's fmod)."""
        return binary(ar.Fmod, self, other, "fmod")

    def remainder(self, other):
        """self − other·floor(self/other): the remainder with the sign of other (Python's %)."""
        return binary(ar.Remainder, self, other, "remainder")

    def trunc(self):
        """Round toward zero; a constant, as ``floor`` is (integer tensors are copied)."""
        return self._const(np.trunc(self.data) if self.dtype.kind == "f" else self.data.copy())

    def fix(self):
        return self.trunc()

    def isinf(self):
        return self._const(np.isinf(self.data))

    def isposinf(self):
        return self._const(np.isposinf(self.data))

    def isneginf(self):
        return self._const(np.isneginf(self.data))

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """|self − other| ≤ atol + rtol·|other| elementwise; infinities are close only to
        themselves, NaN to nothing unless ``equal_nan`` (PyTorch's ``isclose``)."""
        other, dtype = as_operand(self, other)
        broadcast_shape("isclose", self.shape, other.shape)
        a, b = self.data.astype(dtype, copy=False), other.data.astype(dtype, copy=False)
        return self._const(np.asarray(np.isclose(a, b, rtol, atol, equal_nan)))

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """Whether every element of ``isclose`` holds (a Python bool)."""
        return bool(self.isclose(other, rtol, atol, equal_nan).data.all())

    def equal(self, other):
        """True when ``other`` has the same shape and the same elements (a Python bool)."""
        other = as_operand(self, other)[0]
        return self.shape == other.shape and bool(np.array_equal(self.data, other.data))

    def is_floating_point(self):
        return dtypes.is_floating(self.dtype)

    def greater(self, other):
        return self > other

    def greater_equal(self, other):
        return self >= other

    def less(self, other):
        return self < other

    def less_equal(self, other):
        return self <= other

    def not_equal(self, other):
        return self != other

    def negative(self):
        return -self


# ---------------------------------------------------------------- top-level forms


def sinh(input: Any) -> Any:
    """sinh x elementwise; derivative cosh x."""
    return input.sinh()


def cosh(input: Any) -> Any:
    """cosh x elementwise; derivative sinh x."""
    return input.cosh()


def tan(input: Any) -> Any:
    """tan x elementwise (``torch.tan``); derivative 1 + tan² x."""
    return input.tan()


def asin(input: Any) -> Any:
    """arcsin x for x in [−1, 1] (``torch.asin``); derivative 1/√(1 − x²)."""
    return input.asin()


def acos(input: Any) -> Any:
    """arccos x for x in [−1, 1] (``torch.acos``); derivative −1/√(1 − x²)."""
    return input.acos()


def atan(input: Any) -> Any:
    """arctan x (``torch.atan``); derivative 1/(1 + x²)."""
    return input.atan()


def atan2(input: Any, other: Any) -> Any:
    """The angle of the point (other, input) in (−π, π], elementwise."""
    return input.atan2(other)


def asinh(input: Any) -> Any:
    """arsinh x (``torch.asinh``); derivative 1/√(x² + 1)."""
    return input.asinh()


def acosh(input: Any) -> Any:
    """arcosh x for x ≥ 1 (``torch.acosh``); derivative 1/√(x² − 1)."""
    return input.acosh()


def atanh(input: Any) -> Any:
    """artanh x for |x| < 1 (``torch.atanh``); derivative 1/(1 − x²)."""
    return input.atanh()


def expm1(input: Any) -> Any:
    """eˣ − 1, accurate near 0 (``torch.expm1``)."""
    return input.expm1()


def exp2(input: Any) -> Any:
    """2ˣ (``torch.exp2``)."""
    return input.exp2()


def log2(input: Any) -> Any:
    """log₂ x, exact at powers of 2 (``torch.log2``)."""
    return input.log2()


def log10(input: Any) -> Any:
    """log₁₀ x, exact at powers of 10 (``torch.log10``)."""
    return input.log10()


def trunc(input: Any) -> Any:
    """Round toward zero (``torch.trunc``); a constant, as ``floor``."""
    return input.trunc()


def fmod(input: Any, other: Any) -> Any:
    """input − other·trunc(input/other) (sign of input); gradient 1 for input and
    −trunc(input/other) for other."""
    return input.fmod(other)


def remainder(input: Any, other: Any) -> Any:
    """input − other·floor(input/other) (sign of other); gradient 1 for input and
    −floor(input/other) for other."""
    return input.remainder(other)


def floor(input: Any) -> Any:
    """The largest whole number ≤ x (``torch.floor``); a constant (no gradient)."""
    return input.floor()


def ceil(input: Any) -> Any:
    """The smallest whole number ≥ x (``torch.ceil``); a constant (no gradient)."""
    return input.ceil()


def rounded(input: Any, *, decimals: int = 0) -> Any:
    """``torch.round`` (re-exported as ``chainrule.round``): halves to even."""
    return input.round(decimals=decimals)


def neg(input: Any) -> Any:
    """−x (``torch.neg``, also ``negative``)."""
    return -input


negative = neg


def reciprocal(input: Any) -> Any:
    """1/x (``torch.reciprocal``); integer tensors give floats."""
    return input.reciprocal()


def square(input: Any) -> Any:
    """x² (``torch.square``)."""
    return input.square()


def isnan(input: Any) -> Any:
    """Where x is NaN, as a bool tensor (``torch.isnan``)."""
    return input.isnan()


def isinf(input: Any) -> Any:
    """Where x is +∞ or −∞, as a bool tensor (``torch.isinf``)."""
    return input.isinf()


def isfinite(input: Any) -> Any:
    """Where x is neither infinite nor NaN, as a bool tensor (``torch.isfinite``)."""
    return input.isfinite()


def isclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Any:
    """|input − other| ≤ atol + rtol·|other| elementwise (a bool tensor).

    Args:
        input: the first tensor.
        other: the second tensor (or a number), broadcast against ``input``.
        rtol: the relative tolerance.
        atol: the absolute tolerance.
        equal_nan: count two NaNs as close.
    """
    return input.isclose(other, rtol, atol, equal_nan)


def allclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """Whether ``isclose(input, other, rtol, atol, equal_nan)`` holds everywhere."""
    return input.allclose(other, rtol, atol, equal_nan)


def equal(input: Any, other: Any) -> bool:
    """True when both have the same shape and the same elements."""
    return input.equal(other)


def eq(input: Any, other: Any) -> Any:
    """input == other elementwise, a bool tensor (``torch.eq``; ``other`` may be a number)."""
    return input == other


def ne(input: Any, other: Any) -> Any:
    """input != other elementwise, a bool tensor (``torch.ne``, also ``not_equal``)."""
    return input != other


def lt(input: Any, other: Any) -> Any:
    """input < other elementwise, a bool tensor (``torch.lt``, also ``less``)."""
    return input < other


def le(input: Any, other: Any) -> Any:
    """input ≤ other elementwise, a bool tensor (``torch.le``, also ``less_equal``)."""
    return input <= other


def gt(input: Any, other: Any) -> Any:
    """input > other elementwise, a bool tensor (``torch.gt``, also ``greater``)."""
    return input > other


def ge(input: Any, other: Any) -> Any:
    """input ≥ other elementwise, a bool tensor (``torch.ge``, also ``greater_equal``)."""
    return input >= other


greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def is_tensor(obj: Any) -> bool:
    """Whether ``obj`` is a chainrule Tensor (or a Parameter)."""
    return isinstance(obj, MathMixin)


def is_floating_point(input: Any) -> bool:
    """Whether ``input``'s dtype is a floating-point one."""
    return input.is_floating_point()


def numel(input: Any) -> int:
    """The number of elements of ``input``."""
    return input.numel()
