"""Functions of floats seen in base 2: ``Mantissa`` (the mantissa of ``frexp``) and
``NextAfter`` (the next representable float). (``LogAddExp2`` is beside ``LogAddExp`` in
``ops.pointwise``.)

Binary Functions get operands of equal shape (the tensor layer inserts ``BroadcastTo`` for an
operand that needs a gradient), so their derivatives are the elementwise ones. Notation:
G = dL/dY, the upstream gradient, with Y's shape.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function


class Mantissa(Function):
    """Y = the mantissa M of X = M · 2^E (``frexp``), with |M| in [0.5, 1) (M = X, E = 0 for
    X = 0, ±∞ and NaN).

    E is piecewise constant, so on each piece Y = X · 2^(−E) and dY/dX = 2^(−E):
        dL/dX = G ⊙ 2^(−E), computed as ldexp(G, −E) (exact, and no overflow of 2^(−E)
        itself, which for a subnormal float32 X (E down to −148) exceeds float32's range).
    This is PyTorch's gradient, grad / exp2(exponent). Saves E (int32).
    """

    @staticmethod
    def forward(ctx, x):
        mantissa, exponent = np.frexp(x)
        ctx.save_for_backward(exponent)
        return mantissa

    @staticmethod
    def backward(ctx, grad_out):
        (exponent,) = ctx.saved
        with np.errstate(over="ignore"):  # ±∞ beyond the dtype's range, as in PyTorch
            return np.ldexp(grad_out, -exponent).astype(grad_out.dtype, copy=False)


class NextAfter(Function):
    """Y = the float next to A in the direction of B (Y = B where A = B; NaN if either is).

    Y differs from A by at most one ulp, and only where A ≠ B, so Y is taken as A plus a
    constant: dL/dA = G, dL/dB = 0. This is what PyTorch's backward returns (A gets G, B a
    zero gradient). Saves nothing.
    """

    @staticmethod
    def forward(ctx, a, b):
        return np.nextafter(a, b)

    @staticmethod
    def backward(ctx, grad_out):
        grad_b = np.zeros_like(grad_out) if ctx.needs_input_grad[1] else None
        return grad_out, grad_b
