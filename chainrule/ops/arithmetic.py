"""Binary arithmetic: add, sub, mul, div, pow, remainder, fmod, maximum, minimum, where.

Floor division is piecewise constant and, as in PyTorch, not differentiable: the tensor layer
computes it without recording a node.

Operands reach these Functions with equal shapes whenever they need a gradient: the tensor
layer inserts a ``BroadcastTo`` node for any operand that requires grad and is broadcast, so
each derivative below is the textbook elementwise one. An operand that needs no gradient may
still be smaller (it is broadcast by NumPy in forward and never receives a gradient).
Notation: G = dL/dY, the upstream gradient, with Y's shape.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function


class Add(Function):
    """Y = A + B.   dL/dA = G,  dL/dB = G."""

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out, grad_out


class Sub(Function):
    """Y = A − B.   dL/dA = G,  dL/dB = −G."""

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad_out):
        grad_b = -grad_out if ctx.needs_input_grad[1] else None
        return grad_out, grad_b


class Mul(Function):
    """Y = A ⊙ B.   dL/dA = G ⊙ B,  dL/dB = G ⊙ A.   Saves A and B."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved
        grad_a = grad_out * b if ctx.needs_input_grad[0] else None
        grad_b = grad_out * a if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Div(Function):
    """Y = A / B.   dL/dA = G / B,  dL/dB = −G ⊙ A / B² = −G ⊙ Y / B.   Saves B and Y."""

    @staticmethod
    def forward(ctx, a, b):
        y = a / b
        ctx.save_for_backward(b, y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        b, y = ctx.saved
        grad_a = grad_out / b if ctx.needs_input_grad[0] else None
        grad_b = -grad_out * y / b if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Pow(Function):
    """Y = A ** B (elementwise).

    dL/dA = G ⊙ B ⊙ A^(B−1), taken as 0 where B = 0 (A⁰ = 1 is constant, also at A = 0,
    where the formula reads 0·∞); at A = 0 with 0 < B < 1 it is +∞, as in PyTorch.
    dL/dB = G ⊙ Y ⊙ ln A, taken as 0 where A = 0 and B ≥ 0 (the limit of A^B ln A, as in
    PyTorch); where A < 0 the logarithm is undefined and the result is NaN.
    Saves A, B and Y.
    """

    @staticmethod
    def forward(ctx, a, b):
        y = np.power(a, b)
        ctx.save_for_backward(a, b, y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        a, b, y = ctx.saved
        grad_a = grad_b = None
        zero = np.zeros((), dtype=grad_out.dtype)  # not a Python 0: np.where widens it on NumPy 1
        if ctx.needs_input_grad[0]:
            with np.errstate(divide="ignore", invalid="ignore"):
                grad_a = np.where(b == 0, zero, grad_out * b * np.power(a, b - 1))
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                log_a = np.where((a == 0) & (b >= 0), zero, np.log(a))
            grad_b = grad_out * y * log_a
        return grad_a, grad_b


class PowScalar(Function):
    """Y = X ** p for a constant exponent p.   dL/dX = G ⊙ p ⊙ X^(p−1).   Saves X.

    For p = 0 the gradient is 0 (also at X = 0, where the formula reads 0·∞); at X = 0 with
    p < 1 it is ±∞, without a warning, as in PyTorch.
    """

    @staticmethod
    def forward(ctx, x, exponent):
        ctx.save_for_backward(x)
        ctx.exponent = exponent
        return np.power(x, exponent)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        p = ctx.exponent
        if p == 0:
            return np.zeros_like(grad_out)
        if p == 2:
            return grad_out * 2 * x
        with np.errstate(divide="ignore"):
            return grad_out * p * np.power(x, p - 1)


class Remainder(Function):
    """Y = A mod B = A − B ⌊A/B⌋ (sign of B, as Python and PyTorch).

    ⌊A/B⌋ is piecewise constant, so  dL/dA = G,  dL/dB = −G ⊙ ⌊A/B⌋.   Saves A and B.
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.remainder(a, b)

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved
        grad_b = -grad_out * np.floor_divide(a, b) if ctx.needs_input_grad[1] else None
        return grad_out, grad_b


class Fmod(Function):
    """Y = fmod(A, B) = A − B·trunc(A/B) (sign of A, as C's fmod and PyTorch's).

    trunc(A/B) is piecewise constant, so  dL/dA = G,  dL/dB = −G ⊙ trunc(A/B).   Saves A and B.
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.fmod(a, b)

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved
        grad_b = -grad_out * np.trunc(a / b) if ctx.needs_input_grad[1] else None
        return grad_out, grad_b


class Maximum(Function):
    """Y = max(A, B) elementwise.

    dL/dA = G where A > B, dL/dB = G where B > A; at ties each gets G/2 (PyTorch's rule).
    Saves A and B.
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved
        share = np.where(a == b, 0.5, (a > b).astype(grad_out.dtype))
        grad_a = grad_out * share if ctx.needs_input_grad[0] else None
        grad_b = grad_out * (1 - share) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Minimum(Function):
    """Y = min(A, B) elementwise.

    dL/dA = G where A < B, dL/dB = G where B < A; at ties each gets G/2 (PyTorch's rule).
    Saves A and B.
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved
        share = np.where(a == b, 0.5, (a < b).astype(grad_out.dtype))
        grad_a = grad_out * share if ctx.needs_input_grad[0] else None
        grad_b = grad_out * (1 - share) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Where(Function):
    """Y = where(C, A, B): A where the boolean C holds, else B.

    dL/dA = G ⊙ C,  dL/dB = G ⊙ ¬C  (C itself has no gradient).   Saves C.
    """

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, grad_out):
        (cond,) = ctx.saved
        zero = np.zeros((), dtype=grad_out.dtype)
        grad_a = np.where(cond, grad_out, zero) if ctx.needs_input_grad[1] else None
        grad_b = np.where(cond, zero, grad_out) if ctx.needs_input_grad[2] else None
        return None, grad_a, grad_b
