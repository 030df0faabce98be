"""Functions for the special functions: lgamma, digamma, polygamma, sinc, the modified Bessel
functions i0, i0e, i1, i1e, erfcx, ndtr, ndtri, log_ndtr, xlog1py and entr.

The values come from ``ops.special_math`` (computed in float64, rounded once to the input's
float dtype). Notation: G = dL/dY, the upstream gradient, with Y's shape.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Function
from . import special_math as sm
from .activation import normal_cdf

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _wide(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float64, copy=False)


def _like(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.asarray(y).astype(x.dtype, copy=False)


class Lgamma(Function):
    """Y = ln|Γ(X)|.   dY/dX = Γ'(X)/Γ(X) = ψ(X), so dL/dX = G ⊙ ψ(X)   (NaN at the negative
    integers, −∞ at +0, as PyTorch).   Saves X."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _like(sm.lgamma(_wide(x)), x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out * _like(sm.digamma(_wide(x)), x)


class Polygamma(Function):
    """Y = ψ⁽ⁿ⁾(X), the n-th derivative of the digamma function (n = 0: ψ itself).

    dY/dX = ψ⁽ⁿ⁺¹⁾(X), so dL/dX = G ⊙ ψ⁽ⁿ⁺¹⁾(X).   Saves X; n is a plain attribute.
    """

    @staticmethod
    def forward(ctx, x, n=0):
        ctx.save_for_backward(x)
        ctx.n = n
        return _like(polygamma(n, _wide(x)), x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out * _like(sm.polygamma(ctx.n + 1, _wide(x)), x)


def polygamma(n: int, x: np.ndarray) -> np.ndarray:
    """ψ⁽ⁿ⁾(x) for n ≥ 0 (n = 0: digamma)."""
    return sm.digamma(x) if n == 0 else sm.polygamma(n, x)


class Sinc(Function):
    """Y = sin(πX)/(πX), with Y = 1 at X = 0 (sin πX reduced exactly, so Y = 0 at the
    non-zero integers).

    dY/dX = (πX cos πX − sin πX)/(πX²) = (cos πX − Y)/X, taken as 0 at X = 0 (the limit:
    sinc is even).   Saves X and Y.
    """

    @staticmethod
    def forward(ctx, x):
        wide = _wide(x)
        with np.errstate(invalid="ignore", divide="ignore"):
            y = np.where(wide == 0, 1.0, sm.sinpi(wide) / (np.pi * wide))
        y = _like(y, x)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        x, y = ctx.saved
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = (sm.cospi(_wide(x)) - y) / x
        return grad_out * _like(np.where(x == 0, 0.0, slope), x)


class BesselI(Function):
    """Y = I_ν(X) (ν = 0 or 1), or the scaled e^(−|X|) I_ν(X) when ``scaled``.

    I₀' = I₁ and I₁' = I₀ − I₁/X (½ at X = 0). Scaled, by the product rule with
    d e^(−|X|)/dX = −sgn(X) e^(−|X|):  (I₀e)' = I₁e − sgn(X) I₀e and
    (I₁e)' = I₀e − I₁e (sgn(X) + 1/X) (½ at 0). dL/dX = G ⊙ Y'.   Saves X and Y.
    """

    @staticmethod
    def forward(ctx, x, nu=0, scaled=False):
        y = _like(sm.bessel_i(_wide(x), nu, scaled), x)
        ctx.save_for_backward(x, y)
        ctx.nu, ctx.scaled = nu, scaled
        return y

    @staticmethod
    def backward(ctx, grad_out):
        x, y = ctx.saved
        wide, sign = _wide(x), np.sign(x) if ctx.scaled else 0.0
        if ctx.nu == 0:
            return grad_out * _like(sm.bessel_i(wide, 1, ctx.scaled) - sign * y, x)
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = sm.bessel_i(wide, 0, ctx.scaled) - y * (sign + 1.0 / wide)
        return grad_out * _like(np.where(x == 0, 0.5, slope), x)


class Erfcx(Function):
    """Y = e^(X²) erfc(X), the scaled complementary error function.

    dY/dX = 2X e^(X²) erfc(X) + e^(X²)·(−(2/√π) e^(−X²)) = 2XY − 2/√π.   Saves X and Y.
    """

    @staticmethod
    def forward(ctx, x):
        y = _like(sm.erfcx(_wide(x)), x)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        x, y = ctx.saved
        with np.errstate(invalid="ignore", over="ignore"):
            return grad_out * (2.0 * x * y - 2.0 / math.sqrt(math.pi))


class Ndtr(Function):
    """Y = Φ(X), the standard normal CDF (relatively accurate in the left tail).
    dL/dX = G ⊙ φ(X), φ(x) = e^(−x²/2)/√(2π).   Saves X."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return normal_cdf(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out * (np.exp(-0.5 * x * x) * _INV_SQRT_2PI)


class Ndtri(Function):
    """Y = Φ⁻¹(X), the standard normal quantile.   From Φ(Y) = X, dY/dX = 1/φ(Y) =
    √(2π) e^(Y²/2), so dL/dX = G ⊙ √(2π) e^(Y²/2) (+∞ at X = 0 and 1).   Saves Y."""

    @staticmethod
    def forward(ctx, x):
        y = _like(sm.ndtri(_wide(x)), x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved
        with np.errstate(over="ignore"):
            return grad_out * (np.exp(0.5 * y * y) / _INV_SQRT_2PI)


class LogNdtr(Function):
    """Y = ln Φ(X).   dY/dX = φ(X)/Φ(X) = 1/(√(π/2) erfcx(−X/√2)) (with Φ(x) =
    ½ erfcx(−x/√2) e^(−x²/2), the Gaussian factors cancel: no underflow in the left tail,
    and 0 where erfcx overflows, far right).   Saves X."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _like(sm.log_ndtr(_wide(x)), x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        mills = math.sqrt(math.pi / 2.0) * sm.erfcx(-_wide(x) / math.sqrt(2.0))
        return grad_out * _like(1.0 / mills, x)


def xlog1py(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x·ln(1 + y), and 0 where x = 0 unless y is NaN (PyTorch's convention)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        product = x * np.log1p(y)
    return np.where((x == 0) & ~np.isnan(y), np.zeros((), dtype=product.dtype), product)


class Xlog1py(Function):
    """Y = X ln(1 + Z), with Y = 0 where X = 0 (unless Z is NaN).

    dL/dX = G ⊙ ln(1 + Z), taken as 0 where X = 0 and Z ≤ −1, dL/dZ = G ⊙ X / (1 + Z)
    (PyTorch's conventions, as ``Xlogy``).   Saves X and Z.
    """

    @staticmethod
    def forward(ctx, x, z):
        ctx.save_for_backward(x, z)
        return xlog1py(x, z)

    @staticmethod
    def backward(ctx, grad_out):
        x, z = ctx.saved
        grad_x = grad_z = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if ctx.needs_input_grad[0]:
                zero = np.zeros((), dtype=z.dtype)
                grad_x = grad_out * np.where((x == 0) & (z <= -1), zero, np.log1p(z))
            if ctx.needs_input_grad[1]:
                grad_z = grad_out * x / (1 + z)
        return grad_x, grad_z


class Entr(Function):
    """Y = −X ln X for X > 0, 0 at X = 0, −∞ for X < 0 (the entropy term).

    dY/dX = −(ln X + 1): +∞ at 0; NaN for X < 0, where Y is constant −∞ (PyTorch's values).
    Saves X.
    """

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.where(x > 0, -x * np.log(x), np.where(x == 0, 0.0, -np.inf))
        return _like(np.where(np.isnan(x), np.nan, y), x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        with np.errstate(divide="ignore", invalid="ignore"):
            return grad_out * -(np.log(x) + 1)


class Gammainc(Function):
    """Y = P(A, X) = γ(A, X)/Γ(A), the regularized lower incomplete gamma function, or
    Q(A, X) = 1 − P(A, X) when ``upper``.

    From γ(a, x) = ∫₀ˣ t^(a−1) e^(−t) dt:  ∂P/∂X = X^(A−1) e^(−X) / Γ(A) = −∂Q/∂X, so
    dL/dX = ±G ⊙ exp((A − 1) ln X − X − ln Γ(A)). The derivative in A has no closed form;
    as in PyTorch, asking for it raises.   Saves A and X.
    """

    @staticmethod
    def forward(ctx, a, x, upper=False):
        ctx.save_for_backward(a, x)
        ctx.upper = upper
        return _like(sm.gammainc(_wide(a), _wide(x), upper), x)

    @staticmethod
    def backward(ctx, grad_out):
        if ctx.needs_input_grad[0]:
            raise NotImplementedError("gammainc/gammaincc: the derivative with respect to "
                                      "the first argument (a) is not implemented, as in "
                                      "PyTorch; detach it, or pass a tensor without grad")
        a, x = ctx.saved
        with np.errstate(all="ignore"):
            density = np.exp((a - 1) * np.log(x) - x - sm.lgamma(_wide(a)).astype(x.dtype))
        return None, grad_out * (-density if ctx.upper else density)
