"""Batch normalisation whose statistics span the batches of several processes.

A process holds its part X (N, C, *) of a global batch; ``reduce(a)`` returns the sum of the
array ``a`` over every process (an all-reduce, injected by the caller so that ops never talks
to a communication library). M is the global count of values per channel.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..autograd import Function

Reduce = Callable[[np.ndarray], np.ndarray]


def _axes(ndim: int) -> tuple[int, ...]:
    return (0,) + tuple(range(2, ndim))


def global_moments(x: np.ndarray, reduce: Reduce) -> tuple[np.ndarray, np.ndarray, int]:
    """(μ, σ², M): the mean and biased variance per channel (C,) of the global batch, in two
    passes (the mean, then the mean of squared deviations), and the global count."""
    axes, shape = _axes(x.ndim), (1, x.shape[1]) + (1,) * (x.ndim - 2)
    count = int(reduce(np.array([x.size // max(x.shape[1], 1)], dtype=np.float64))[0])
    mean = reduce(x.sum(axes, dtype=np.float64)) / count
    deviations = x - mean.reshape(shape).astype(x.dtype)
    var = reduce((deviations * deviations).sum(axes, dtype=np.float64)) / count
    return mean, var, count


class SyncBatchNormalize(Function):
    """X̂ = (X − μ)·s per channel, s = 1/√(σ² + ε), with μ and σ² (``global_moments``) the
    statistics of the global batch, given as constants of the forward pass.

    Backward. The global loss L depends on this process's X directly and through μ and σ²,
    which every process's X̂ uses. With G = dL/dX̂ here, Σ_all a sum over the channel's values
    on every process (``reduce`` of the local sums) and the usual batch-norm derivation over
    the global batch (as in ``ops.norm``):
        dL/dX = s·(G − (1/M)·Σ_all G − X̂·(1/M)·Σ_all G ⊙ X̂)
    Every process must run the backward pass (the two sums are all-reduces), as every process
    of a data-parallel job does. Saves X̂ and s.
    """

    @staticmethod
    def forward(ctx, x, mean=None, var=None, count=1, eps=1e-5, reduce=None):
        shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        inv_std = (1.0 / np.sqrt(var + eps)).reshape(shape)
        x_hat = ((x - mean.reshape(shape)) * inv_std).astype(x.dtype, copy=False)
        ctx.save_for_backward(x_hat, inv_std)
        ctx.count, ctx.reduce = count, reduce
        return x_hat

    @staticmethod
    def backward(ctx, grad_out):
        x_hat, inv_std = ctx.saved
        axes, shape = _axes(x_hat.ndim), inv_std.shape
        grad_sum = ctx.reduce(grad_out.sum(axes, dtype=np.float64)).reshape(shape)
        dot = ctx.reduce((grad_out * x_hat).sum(axes, dtype=np.float64)).reshape(shape)
        grad = inv_std * (grad_out - grad_sum / ctx.count - x_hat * (dot / ctx.count))
        return grad.astype(grad_out.dtype, copy=False)
