"""Functions of the wider statistics and linear-algebra API that are not compositions:
``LogCumSumExp``, a running log-sum-exp that stays finite where the composite underflows;
``Det`` and ``Inverse`` of (batches of) square matrices, NumPy primitives."""

from __future__ import annotations

import numpy as np

from ..autograd import Function


class LogCumSumExp(Function):
    """Y_j = ln Σ_{i≤j} exp(X_i) along ``axis``, with ``np.logaddexp.accumulate``: each step is
    a two-term log-sum-exp, so it is finite wherever the result is (inputs of ±1000 included),
    where ln(cumsum(exp(X − max))) loses the early terms to underflow.

    Backward: ∂Y_j/∂X_i = exp(X_i − Y_j) for i ≤ j, so
        dL/dX_i = Σ_{j≥i} G_j exp(X_i − Y_j).
    Summed directly, exp(−Y_j) overflows; instead the positive and negative parts of G are
    summed in the log domain, by a reversed running log-sum-exp:
        A⁺_i = ln Σ_{j≥i} G⁺_j exp(−Y_j),   A⁻_i likewise with G⁻ = max(−G, 0),
        dL/dX_i = exp(X_i + A⁺_i) − exp(X_i + A⁻_i).
    ln 0 = −inf stands for an empty or all-zero part and gives exp(−inf) = 0.

    Saves: X and Y. A 0-d input is reshaped to (1,) by the caller.
    """

    @staticmethod
    def forward(ctx, x, axis):
        y = np.logaddexp.accumulate(x, axis=axis)
        ctx.save_for_backward(x, y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx, grad_out):
        x, y = ctx.saved
        axis = ctx.axis
        with np.errstate(divide="ignore", invalid="ignore"):
            positive = _reverse_logcumsumexp(np.log(np.maximum(grad_out, 0)) - y, axis)
            negative = _reverse_logcumsumexp(np.log(np.maximum(-grad_out, 0)) - y, axis)
            grad = np.exp(x + positive) - np.exp(x + negative)
        return grad.astype(x.dtype, copy=False)


def _reverse_logcumsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    """ln Σ_{j≥i} exp(a_j) along ``axis``: the running log-sum-exp from the end."""
    return np.flip(np.logaddexp.accumulate(np.flip(a, axis), axis=axis), axis)


class Det(Function):
    """The determinant y = det(A) of each square matrix A (…, n, n) -> (…).

    Backward, from Jacobi's formula dy = tr(adj(A) dA):
        dL/dA = G · adj(A)ᵀ.
    adj(A) = det(A) A⁻¹ only where A is invertible; to stay exact at singular matrices (where
    the gradient is not 0 unless the rank is below n − 1) it is built from the SVD
    A = U diag(s) Vᵀ:  adj(A)ᵀ = det(U) det(V) · U diag(p) Vᵀ,  pᵢ = Π_{j≠i} s_j,
    which follows from A⁻¹ = V diag(1/s) Uᵀ and det(A) = det(U) det(V) Π s.

    Saves: A (the SVD is computed in backward only).
    """

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.asarray(np.linalg.det(a), dtype=a.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        (a,) = ctx.saved
        if a.shape[-1] == 0:
            return np.zeros_like(a)
        u, s, vt = np.linalg.svd(a)
        n = s.shape[-1]
        others = np.where(np.eye(n, dtype=bool), 1.0, s[..., None, :])  # row i: s with s_i = 1
        p = np.prod(others, axis=-1)
        sign = np.linalg.det(u) * np.linalg.det(vt)
        adj_t = sign[..., None, None] * ((u * p[..., None, :]) @ vt)
        return (np.asarray(grad_out)[..., None, None] * adj_t).astype(a.dtype, copy=False)


class Inverse(Function):
    """Y = A⁻¹ of each square matrix A (…, n, n).

    Backward, from A Y = I: dA Y + A dY = 0, so dY = −Y dA Y and
        dL/dA = −Yᵀ G Yᵀ      (…, n, n).

    Saves: Y. A singular matrix is refused by the caller's forward (NumPy's LinAlgError).
    """

    @staticmethod
    def forward(ctx, a):
        y = np.linalg.inv(a)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved
        y_t = np.swapaxes(y, -1, -2)
        return -(y_t @ grad_out @ y_t)
