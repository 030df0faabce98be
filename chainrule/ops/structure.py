"""Functions of the wider statistics API that are not compositions: ``LogCumSumExp``, a
running log-sum-exp that stays finite where the composite underflows."""

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
