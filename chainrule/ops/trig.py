"""Trigonometric and hyperbolic functions and their inverses (``sin``/``cos`` are in ``unary``).

Each is Y = f(X), so dL/dX = G ⊙ f'(X) with G = dL/dY; ``Atan2`` is the one binary function
(its operands arrive with equal shapes, as every binary Function's do). Outside a function's
domain (asin of 2, acosh of 0.5) NumPy's NaN is returned, as PyTorch returns it, and the
derivatives at the domain's edges (asin at ±1, atanh at ±1) are ±∞, as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function


class Tan(Function):
    """Y = tan X.   dL/dX = G ⊙ (1 + Y²) (= G / cos² X).   Saves Y."""

    @staticmethod
    def forward(ctx, x):
        y = np.tan(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved
        return grad_out * (1 + y * y)


class Asin(Function):
    """Y = arcsin X, X ∈ [−1, 1].   dL/dX = G / √(1 − X²).   Saves X."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arcsin(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        with np.errstate(divide="ignore", invalid="ignore"):
            return grad_out / np.sqrt(1 - x * x)


class Acos(Function):
    """Y = arccos X, X ∈ [−1, 1].   dL/dX = −G / √(1 − X²).   Saves X."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arccos(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        with np.errstate(divide="ignore", invalid="ignore"):
            return -grad_out / np.sqrt(1 - x * x)


class Atan(Function):
    """Y = arctan X.   dL/dX = G / (1 + X²).   Saves X."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arctan(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out / (1 + x * x)


class Atan2(Function):
    """Y = atan2(A, B), the angle of the point (B, A), in (−π, π].

    From d atan2(a, b) = (b da − a db) / (a² + b²):
        dL/dA = G ⊙ B / (A² + B²),   dL/dB = −G ⊙ A / (A² + B²).
    Saves A and B. At A = B = 0 both read 0/0 (NaN); PyTorch gives NaN there too.
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.arctan2(a, b)

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = grad_out / (a * a + b * b)
        grad_a = scale * b if ctx.needs_input_grad[0] else None
        grad_b = -scale * a if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Sinh(Function):
    """Y = sinh X = (eˣ − e⁻ˣ)/2.   dL/dX = G ⊙ cosh X.   Saves X."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sinh(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out * np.cosh(x)


class Cosh(Function):
    """Y = cosh X = (eˣ + e⁻ˣ)/2.   dL/dX = G ⊙ sinh X.   Saves X."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cosh(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out * np.sinh(x)


class Asinh(Function):
    """Y = arsinh X = ln(X + √(X² + 1)).   dL/dX = G / √(X² + 1).   Saves X."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arcsinh(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out / np.sqrt(x * x + 1)


class Acosh(Function):
    """Y = arcosh X = ln(X + √(X² − 1)), X ≥ 1.   dL/dX = G / √(X² − 1).   Saves X."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arccosh(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        with np.errstate(divide="ignore", invalid="ignore"):
            return grad_out / np.sqrt(x * x - 1)


class Atanh(Function):
    """Y = artanh X = ½ ln((1 + X)/(1 − X)), |X| < 1.   dL/dX = G / (1 − X²).   Saves X."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arctanh(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        with np.errstate(divide="ignore"):
            return grad_out / (1 - x * x)
