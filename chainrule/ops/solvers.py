"""Linear solves and log-determinants of (batches of) square matrices, NumPy's LAPACK
primitives with hand-derived backward passes: ``Solve`` (A X = B) and ``LogAbsDet``
(ln |det A|). Xᵀ is the transpose of the last two dimensions."""

from __future__ import annotations

import numpy as np

from ..autograd import Function


def _t(x: np.ndarray) -> np.ndarray:
    return np.swapaxes(x, -1, -2)


class Solve(Function):
    """X = A⁻¹ B for A (…, n, n) and B (…, n, k), of the same batch shape (the caller
    broadcasts, and turns vectors into one-column matrices).

    Backward, from A X = B: dA X + A dX = dB, so dX = A⁻¹ (dB − dA X) and
        dL/dB = A⁻ᵀ G        (…, n, k),
        dL/dA = −(dL/dB) Xᵀ   (…, n, n).

    Saves: A and X. A singular A is refused by the caller (NumPy's LinAlgError).
    """

    @staticmethod
    def forward(ctx, a, b):
        x = np.linalg.solve(a, b)
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, grad_out):
        a, x = ctx.saved
        grad_b = np.linalg.solve(_t(a), grad_out)
        grad_a = -(grad_b @ _t(x)) if ctx.needs_input_grad[0] else None
        return grad_a, grad_b if ctx.needs_input_grad[1] else None


class LogAbsDet(Function):
    """y = ln |det A| of each square A (…, n, n) -> (…), from LAPACK's LU (``slogdet``),
    finite where det A itself would under- or overflow.

    Backward, from Jacobi's formula d det A = det A · tr(A⁻¹ dA):
        dy = tr(A⁻¹ dA),   dL/dA = G · A⁻ᵀ.
    At a singular A, y = −inf and the derivative is infinite (not returned finite).

    Saves: A.
    """

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.asarray(np.linalg.slogdet(a)[1], dtype=a.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        (a,) = ctx.saved
        return np.asarray(grad_out)[..., None, None] * _t(np.linalg.inv(a))
