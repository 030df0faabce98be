"""More elementwise Functions: the error function family (erf, erfc, erfinv), the stable binary
forms hypot and logaddexp, xlogy, copysign, the NaN-ignoring fmax and fmin, frac and logit.

erf and erfc come from ``ops.activation`` (computed in float64, rounded once); erfinv is
computed here by Halley's method on them. Binary Functions get operands of equal shape when
an operand needs a gradient (the tensor layer inserts ``BroadcastTo``), so each derivative is
the textbook elementwise one. Notation: G = dL/dY, the upstream gradient, with Y's shape.
NumPy's warnings at the poles (log 0, 0/0) are silenced: the values there (±∞, NaN) are the
answers, as in PyTorch.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Function
from .activation import erf, erfc

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_WINITZKI_A = 0.147  # the constant of Winitzki's closed-form approximation of erfinv


def erfinv(x: np.ndarray) -> np.ndarray:
    """The inverse error function, elementwise in x's float dtype: erf(erfinv(x)) = x on
    (−1, 1), ±∞ at ±1, NaN outside [−1, 1] and at NaN.

    Computed in float64 on a = |x| and given x's sign. A start from Winitzki's closed form
    (relative error about 2e-3),
        y₀ = √(√(t² − ln(1 − a²)/c) − t),  t = 2/(πc) + ln(1 − a²)/2,  c = 0.147,
    then three steps of Halley's method on f(y) = erf(y) − a, with f' = (2/√π) e^(−y²) and
    f''/f' = −2y:  y ← y − (f/f') / (1 + y·f/f'). Each step cubes the relative error. For
    a > ½ the residual is written (1 − a) − erfc(y), where 1 − a is exact and erfc keeps its
    relative accuracy, so y stays accurate as a approaches 1.
    """
    wide = x.astype(np.float64, copy=False)
    a = np.abs(wide)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_term = np.log((1.0 - a) * (1.0 + a))
        t = 2.0 / (math.pi * _WINITZKI_A) + 0.5 * log_term
        y = np.sqrt(np.sqrt(t * t - log_term / _WINITZKI_A) - t)
        inside = a < 1.0  # NaN compares False: it stays NaN below
        y = np.where(inside, y, 0.0)
        upper = a > 0.5
        for _ in range(3):
            residual = np.where(upper, (1.0 - a) - erfc(y), erf(y) - a)
            ratio = residual / (_TWO_OVER_SQRT_PI * np.exp(-y * y))
            y = y - ratio / (1.0 + y * ratio)
        y = np.where(inside, y, np.where(a == 1.0, np.inf, np.nan))
    return np.copysign(y, wide).astype(x.dtype, copy=False)


class Erf(Function):
    """Y = erf(X) = (2/√π) ∫₀ˣ e^(−t²) dt.   dY/dX = (2/√π) e^(−X²),
    so dL/dX = G ⊙ (2/√π) e^(−X²).   Saves X."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return erf(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out * (_TWO_OVER_SQRT_PI * np.exp(-x * x))


class Erfc(Function):
    """Y = erfc(X) = 1 − erf(X), relatively accurate for large X.
    dL/dX = −G ⊙ (2/√π) e^(−X²).   Saves X."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return erfc(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out * (-_TWO_OVER_SQRT_PI * np.exp(-x * x))


class Erfinv(Function):
    """Y = erfinv(X), the inverse of erf on (−1, 1).

    From erf(Y) = X, the inverse-function rule gives dY/dX = 1 / erf'(Y) = (√π/2) e^(Y²),
    so dL/dX = G ⊙ (√π/2) e^(Y²) (+∞ at X = ±1, as in PyTorch).   Saves Y.
    """

    @staticmethod
    def forward(ctx, x):
        y = erfinv(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved
        with np.errstate(over="ignore"):
            return grad_out * (np.exp(y * y) / _TWO_OVER_SQRT_PI)


class Hypot(Function):
    """Y = √(A² + B²), computed without overflow (NumPy's hypot scales by the larger).

    dL/dA = G ⊙ A / Y,  dL/dB = G ⊙ B / Y  (NaN at A = B = 0, where the cone has no
    derivative; PyTorch gives the same).   Saves A, B and Y.
    """

    @staticmethod
    def forward(ctx, a, b):
        y = np.hypot(a, b)
        ctx.save_for_backward(a, b, y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        a, b, y = ctx.saved
        with np.errstate(divide="ignore", invalid="ignore"):
            grad_a = grad_out * a / y if ctx.needs_input_grad[0] else None
            grad_b = grad_out * b / y if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


def xlogy(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x·ln y, and 0 where x = 0 unless y is NaN (PyTorch's convention: 0·ln 0 = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        product = x * np.log(y)
    zero = np.zeros((), dtype=product.dtype)
    return np.where((x == 0) & ~np.isnan(y), zero, product)


class Xlogy(Function):
    """Y = X ln Z, with Y = 0 where X = 0 (unless Z is NaN).

    dL/dX = G ⊙ ln Z, taken as 0 where X = 0 and Z ≤ 0 (where ln Z is −∞ or undefined),
    dL/dZ = G ⊙ X / Z (NaN at X = Z = 0); PyTorch's conventions.   Saves X and Z.
    """

    @staticmethod
    def forward(ctx, x, z):
        ctx.save_for_backward(x, z)
        return xlogy(x, z)

    @staticmethod
    def backward(ctx, grad_out):
        x, z = ctx.saved
        grad_x = grad_z = None
        if ctx.needs_input_grad[0]:
            with np.errstate(divide="ignore", invalid="ignore"):
                log_z = np.where((x == 0) & (z <= 0), np.zeros((), dtype=z.dtype), np.log(z))
            grad_x = grad_out * log_z
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                grad_z = grad_out * x / z
        return grad_x, grad_z


class LogAddExp(Function):
    """Y = ln(e^A + e^B), computed stably as max(A, B) + ln(1 + e^(−|A − B|)) (NumPy's
    logaddexp), finite for A = B = 1000.

    dY/dA = e^A / (e^A + e^B) = e^(A − Y), and likewise for B, so
    dL/dA = G ⊙ e^(A − Y),  dL/dB = G ⊙ e^(B − Y): both ≤ 1, no overflow; NaN where
    A = B = ±∞ (as in PyTorch).   Saves A, B and Y.
    ``LogAddExp2`` is the same in base 2 (``combine`` and ``power`` name the base).
    """

    combine, power = staticmethod(np.logaddexp), staticmethod(np.exp)

    @classmethod
    def forward(cls, ctx, a, b):
        y = cls.combine(a, b)
        ctx.save_for_backward(a, b, y)
        return y

    @classmethod
    def backward(cls, ctx, grad_out):
        a, b, y = ctx.saved
        with np.errstate(invalid="ignore"):
            grad_a = grad_out * cls.power(a - y) if ctx.needs_input_grad[0] else None
            grad_b = grad_out * cls.power(b - y) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class LogAddExp2(LogAddExp):
    """Y = log₂(2^A + 2^B), computed stably as max(A, B) + log₂(1 + 2^(−|A − B|)) (NumPy's
    logaddexp2), finite for A = B = 1000 and exact for A = B = ±∞.

    dY/dA = 2^A · ln 2 / ((2^A + 2^B) · ln 2) = 2^A / 2^Y = 2^(A − Y), and likewise for B, so
    dL/dA = G ⊙ 2^(A − Y),  dL/dB = G ⊙ 2^(B − Y): both in [0, 1], no overflow (they sum to
    1; at A = B each is 1/2). NaN where A = B = ±∞ (∞ − ∞), as in PyTorch.
    Saves A, B and Y.
    """

    combine, power = staticmethod(np.logaddexp2), staticmethod(np.exp2)


class Copysign(Function):
    """Y = |A| with the sign of B (also of B = ±0).

    Y = ±A, with the factor Y/A ∈ {−1, 1} constant where A ≠ 0, so
    dL/dA = G ⊙ Y/A, taken as 0 where A = 0 (PyTorch's convention), and dL/dB = 0 (B enters
    only through its sign, piecewise constant).   Saves A and Y.
    """

    @staticmethod
    def forward(ctx, a, b):
        y = np.copysign(a, b)
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        a, y = ctx.saved
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            flips = np.signbit(a) != np.signbit(y)
            grad_a = np.where(a == 0, np.zeros((), grad_out.dtype),
                              np.where(flips, -grad_out, grad_out))
        if ctx.needs_input_grad[1]:
            grad_b = np.zeros_like(grad_out)
        return grad_a, grad_b


class Fmax(Function):
    """Y = fmax(A, B): the larger of A and B, ignoring NaN (NaN only where both are).

    Y is A where A ≥ B or B is NaN, else B; the gradient goes whole to the operand chosen,
    ties to A (PyTorch's rule for fmax, unlike maximum, which splits ties):
    dL/dA = G ⊙ [A ≥ B or B is NaN],  dL/dB = G ⊙ (1 − that).   Saves A and B.
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.fmax(a, b)

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved
        return _choose(ctx, grad_out, (a >= b) | np.isnan(b))


class Fmin(Function):
    """Y = fmin(A, B): the smaller of A and B, ignoring NaN; ties to A, as ``Fmax``:
    dL/dA = G ⊙ [A ≤ B or B is NaN],  dL/dB = G ⊙ (1 − that).   Saves A and B."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.fmin(a, b)

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved
        return _choose(ctx, grad_out, (a <= b) | np.isnan(b))


def _choose(ctx, grad_out: np.ndarray, first: np.ndarray) -> tuple:
    """G where ``first`` holds for A, G elsewhere for B."""
    zero = np.zeros((), dtype=grad_out.dtype)
    grad_a = np.where(first, grad_out, zero) if ctx.needs_input_grad[0] else None
    grad_b = np.where(first, zero, grad_out) if ctx.needs_input_grad[1] else None
    return grad_a, grad_b


class Frac(Function):
    """Y = X − trunc(X), the fractional part with X's sign (NaN at ±∞, as in PyTorch).

    trunc is piecewise constant, so dL/dX = G.
    """

    @staticmethod
    def forward(ctx, x):
        with np.errstate(invalid="ignore"):
            return x - np.trunc(x)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out


class Logit(Function):
    """Y = ln(Z / (1 − Z)) with Z = X clamped to [eps, 1 − eps] when ``eps`` is given
    (±∞ at Z = 1 or 0, NaN outside [0, 1]).

    dY/dZ = 1/Z + 1/(1 − Z) = 1 / (Z(1 − Z)), and dZ/dX = [eps ≤ X ≤ 1 − eps] (bounds
    included, as clamp), so dL/dX = G / (X(1 − X)) inside, 0 outside; without ``eps``, NaN
    outside [0, 1], where Y is NaN (PyTorch's conventions).   Saves X.
    """

    @staticmethod
    def forward(ctx, x, eps=None):
        ctx.save_for_backward(x)
        ctx.eps = eps
        z = x if eps is None else np.clip(x, eps, 1.0 - eps)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(z / (1 - z))

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        with np.errstate(divide="ignore", invalid="ignore"):
            grad = grad_out / (x * (1 - x))
        if ctx.eps is None:
            return np.where((x < 0) | (x > 1), np.full((), np.nan, dtype=grad.dtype), grad)
        outside = (x < ctx.eps) | (x > 1.0 - ctx.eps)
        return np.where(outside, np.zeros((), dtype=grad.dtype), grad)
