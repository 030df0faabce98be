"""Special functions as Tensor methods: lgamma, digamma, polygamma, mvlgamma, sinc, deg2rad,
rad2deg, heaviside, gcd, lcm and i0. Their top-level forms (``torch.lgamma`` ...) are in
``special_functions``.

The differentiable ones call a Function of ``ops.special`` (imported on first use, so that
``import chainrule`` does not load it) or compose methods (mvlgamma, deg2rad, rad2deg).
heaviside, gcd and lcm are piecewise constant or integral and return constants (no graph).
Integer and bool tensors give float32 for the floating functions, as in PyTorch.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .inplace import inplace
from .math import MathMixin, as_operand, broadcast_shape


def _ops() -> Any:
    """``ops.special``, imported on first use."""
    from ..ops import special

    return special


def check_order(name: str, n: Any) -> int:
    """``n`` as the order of a derivative: a non-negative Python or NumPy integer."""
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{name}: n must be an int, got {type(n).__name__}")
    if n < 0:
        raise ValueError(f"{name}: n must be non-negative, got {n}")
    return int(n)


class SpecialMixin:
    """Special functions of ``Tensor`` (see the module docstring)."""

    __slots__ = ()

    def lgamma(self):
        """ln|Γ(x)|, the log of the gamma function's absolute value (+∞ at its poles)."""
        return self._float()._apply(_ops().Lgamma)

    def digamma(self):
        """ψ(x) = d/dx ln Γ(x) (−∞ at 0, NaN at the negative integers)."""
        return self._float()._apply(_ops().Polygamma, n=0)

    def polygamma(self, n):
        """ψ⁽ⁿ⁾(x), the n-th derivative of digamma (n = 0 is digamma itself)."""
        return self._float()._apply(_ops().Polygamma, n=check_order("polygamma", n))

    def mvlgamma(self, p):
        """The multivariate log-gamma ln Γₚ(x) = p(p−1)/4 · ln π + Σⱼ₌₁ᵖ ln Γ(x + (1 − j)/2);
        every element must exceed (p − 1)/2."""
        p = check_order("mvlgamma", p)
        if p < 1:
            raise ValueError("mvlgamma: p must be at least 1, got 0")
        x = self._float()
        if x.numel() and not np.all(x.data > (p - 1) / 2):
            raise ValueError(f"mvlgamma: every element must be greater than (p - 1)/2 = "
                             f"{(p - 1) / 2} for p = {p}")
        offsets = x._const((1.0 - np.arange(1, p + 1, dtype=x.dtype)) / 2)
        return (x.unsqueeze(-1) + offsets).lgamma().sum(-1) + p * (p - 1) / 4 * math.log(math.pi)

    def sinc(self):
        """sin(πx)/(πx), 1 at 0 (the normalised sinc)."""
        return self._float()._apply(_ops().Sinc)

    def deg2rad(self):
        """Degrees to radians: x · π/180."""
        return self._float() * (math.pi / 180.0)

    def rad2deg(self):
        """Radians to degrees: x · 180/π."""
        return self._float() * (180.0 / math.pi)

    def i0(self):
        """I₀(x), the modified Bessel function of the first kind of order 0."""
        return self._float()._apply(_ops().BesselI, nu=0, scaled=False)

    def heaviside(self, values):
        """The step function: 0 where x < 0, ``values`` where x = 0, 1 where x > 0 (NaN
        counts as not positive); ``values`` is a tensor of the same dtype. A constant."""
        if not isinstance(values, MathMixin) or values.dtype != self.dtype:
            got = values.dtype if isinstance(values, MathMixin) else type(values).__name__
            raise TypeError(f"heaviside: values must be a tensor of the input's dtype "
                            f"({self.dtype}), got {got}")
        broadcast_shape("heaviside", self.shape, values.shape)
        x = self.data
        step = np.where(x == 0, values.data, (x > 0).astype(self.dtype))
        return self._const(np.asarray(step, dtype=self.dtype))

    def gcd(self, other):
        """The greatest common divisor, elementwise, of integer tensors (gcd(0, 0) = 0)."""
        return _integral(self, other, np.gcd, "gcd")

    def lcm(self, other):
        """The least common multiple, elementwise, of integer tensors (0 if either is 0)."""
        return _integral(self, other, np.lcm, "lcm")


    # In-place forms that take an argument (the argument-free ones are ``inplace.TWINS``).

    def polygamma_(self, n):
        """``self`` ← ψ⁽ⁿ⁾(self), in place; returns ``self``."""
        return inplace(self, "polygamma_", lambda x: x.polygamma(n))

    def heaviside_(self, values):
        """``self`` ← ``self.heaviside(values)``, in place; returns ``self``."""
        return inplace(self, "heaviside_", lambda x: x.heaviside(values))

    def gcd_(self, other):
        """``self`` ← ``self.gcd(other)``, in place; returns ``self``."""
        return inplace(self, "gcd_", lambda x: x.gcd(other))

    def lcm_(self, other):
        """``self`` ← ``self.lcm(other)``, in place; returns ``self``."""
        return inplace(self, "lcm_", lambda x: x.lcm(other))


def _integral(a: Any, b: Any, ufunc: Any, name: str) -> Any:
    """``ufunc`` on two integer tensors in their promoted dtype: a constant."""
    b, dtype = as_operand(a, b)
    for t in (a, b):
        if t.dtype.kind not in "iu":
            raise TypeError(f"{name}: needs integer tensors, got {t.dtype} (PyTorch refuses "
                            f"it too); convert first, e.g. x.long()")
    broadcast_shape(name, a.shape, b.shape)
    return a._const(np.asarray(ufunc(a.data.astype(dtype), b.data.astype(dtype))))


__all__ = ["SpecialMixin", "check_order"]
