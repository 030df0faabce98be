"""Gradient clipping: by global norm (``clip_grad_norm_``) and by value (``clip_grad_value_``).

Both replace ``p.grad`` with a new array rather than scaling it in place, because one gradient
array can be shared by several tensors (``Add`` hands the same array to both inputs).
"""

from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np

from ...tensor import Tensor


def _with_grads(parameters: Any) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p._grad is not None]


def clip_grad_norm_(parameters: Iterable[Tensor] | Tensor, max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach: bool | None = None) -> Tensor:
    """Scale all gradients together so that their global norm is at most ``max_norm``.

    The global norm is ‖(‖g₁‖, …, ‖gₖ‖)‖ₚ over every parameter's gradient (p = ``norm_type``,
    ``inf`` for the largest absolute value). When it exceeds ``max_norm`` every gradient is
    multiplied by max_norm / (norm + 1e-6), as in PyTorch; otherwise nothing changes.

    Args:
        parameters: a tensor or an iterable of tensors; those without a gradient are skipped.
        max_norm: the largest global norm left unchanged.
        norm_type: p of the norm (``inf`` for the largest absolute value).
        error_if_nonfinite: raise ``RuntimeError`` when the global norm is inf or NaN
            (default: clip anyway).
        foreach: accepted for PyTorch compatibility and ignored: in PyTorch it chooses
            between per-tensor and batched kernels for the same arithmetic.

    Returns:
        The global norm before clipping, as a 0-d tensor.
    """
    params = _with_grads(parameters)
    norm_type = float(norm_type)
    if not params:
        return Tensor(0.0)
    if norm_type == math.inf:
        total = max(float(np.max(np.abs(p._grad))) if p._grad.size else 0.0 for p in params)
    else:
        per_param = [np.sum(np.abs(p._grad.astype(np.float64)) ** norm_type) for p in params]
        total = float(np.sum(per_param)) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"the total norm of order {norm_type} of the gradients is {total}; "
                           "set error_if_nonfinite=False to clip anyway")
    coefficient = max_norm / (total + 1e-6)
    if coefficient < 1.0:
        for p in params:
            p._grad = p._grad * coefficient
    return Tensor(total, dtype=params[0].dtype)


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clip every gradient element into [−clip_value, clip_value].

    Args:
        parameters: a tensor or an iterable of tensors; those without a gradient are skipped.
        clip_value: the largest absolute value a gradient element keeps.
        foreach: accepted for PyTorch compatibility and ignored: in PyTorch it chooses
            between per-tensor and batched kernels for the same arithmetic.
    """
    for p in _with_grads(parameters):
        p._grad = np.clip(p._grad, -clip_value, clip_value)
