"""Batch normalisation over a batch spread across processes (the function behind
``nn.SyncBatchNorm`` in a distributed job; PyTorch has no functional form of it)."""

from __future__ import annotations

from typing import Any

from ..ops.sync_batch_norm import Reduce, SyncBatchNormalize, global_moments
from ..tensor import Tensor
from .norm import _update_running_stats


def sync_batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
                    weight: Tensor | None, bias: Tensor | None, momentum: float, eps: float,
                    reduce: Reduce) -> Tensor:
    """y = (x − μ)/√(σ² + ε)·γ + β per channel, μ and σ² (biased) over the global batch: the
    union of every process's (N, C, *) ``input``; ``reduce(a)`` sums an array over the
    processes. The running statistics (if given) move toward μ and the unbiased global
    variance with ``momentum``, the same on every process.

    Example:
        >>> import chainrule
        >>> y = sync_batch_norm(chainrule.randn(4, 3), None, None, None, None, 0.1, 1e-5,
        ...                     lambda a: a)  # one process: plain batch norm
        >>> y.shape
        (4, 3)
    """
    mean, var, count = global_moments(input.data, reduce)
    if count <= 1:
        raise ValueError("Expected more than 1 value per channel when training, got a global "
                         f"batch of {count} per channel (this process's input has shape "
                         f"{tuple(input.shape)})")
    if running_mean is not None:
        _update_running_stats(running_mean, running_var, (mean, var), count, float(momentum))
    y = SyncBatchNormalize.apply(input, mean=mean, var=var, count=count, eps=float(eps),
                                 reduce=reduce)
    shape: Any = (input.shape[1],) + (1,) * (input.ndim - 2)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y
