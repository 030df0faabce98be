"""Loss functions with PyTorch's names, arguments, defaults, shapes and reductions.

Every loss takes ``reduction`` = 'mean' | 'sum' | 'none' (``kl_div`` also 'batchmean'), plus
PyTorch's deprecated ``size_average``/``reduce`` pair, which is translated with its warning.
Cross-entropy with class indices and both binary cross-entropies are fused Functions
(``ops/loss.py``); the rest are composites of existing ops.

Deviation from PyTorch, on purpose: where PyTorch only warns that a target's shape differs
from the input's and then broadcasts the two (a (N, 1) prediction against a (N,) target gives
an (N, N) loss), every loss here raises ValueError naming both shapes. Inputs are checked on
every call: dtypes, shapes, label ranges and weight lengths, each with the fix in the message.
Targets and weights take the input's dtype (PyTorch would promote a float32 input and a float64
target to float64), so a float32 model's loss and gradients stay float32.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import dtypes
from ..methods.math import where
from ..ops.loss import BinaryCrossEntropy, BinaryCrossEntropyWithLogits
from ..tensor import Tensor

_REDUCTIONS = ("none", "mean", "sum")


# ---------------------------------------------------------------- checks and reductions


def _reduction(name: str, reduction: str, size_average: Any = None, reduce: Any = None,
               allowed: tuple[str, ...] = _REDUCTIONS) -> str:
    """The reduction to use, after PyTorch's legacy ``size_average``/``reduce`` translation."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduction = "none" if reduce is False else ("mean" if size_average else "sum")
        warnings.warn("size_average and reduce args will be deprecated, please use "
                      f"reduction='{reduction}' instead.", UserWarning, stacklevel=3)
    if reduction not in allowed:
        raise ValueError(f"{name}: reduction must be one of {', '.join(map(repr, allowed))}, "
                         f"got {reduction!r}")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    """The elementwise ``loss`` summed, averaged (NaN when empty) or left as it is."""
    if reduction == "none":
        return loss
    if reduction == "sum" or loss.numel() == 0:
        return loss.sum() if reduction == "sum" else loss.sum() + float("nan")
    return loss.mean()


def _divide(total: Tensor, denominator: float) -> Tensor:
    """total / denominator for a Python float; NaN (with a zero gradient) when it is 0."""
    return total * (1.0 / denominator) if denominator else total * 0.0 + float("nan")


def _tensor(value: Any) -> Tensor:
    return value if isinstance(value, Tensor) else Tensor(value)


def _array(value: Any) -> np.ndarray:
    return value.data if isinstance(value, Tensor) else np.asarray(value)


def _floating_input(name: str, input: Tensor) -> None:
    if not dtypes.is_floating(input.dtype):
        raise TypeError(f"{name}: input must be a floating-point tensor, got {input.dtype}; "
                        "convert it with .float()")


def _same_shape(name: str, input: Tensor, target: Any) -> Tensor:
    """``target`` as a tensor of the input's float dtype, or a ValueError naming both shapes."""
    _floating_input(name, input)
    target = _tensor(target)
    if target.shape != input.shape:
        raise ValueError(
            f"{name}: input has shape {tuple(input.shape)} but target has shape "
            f"{tuple(target.shape)}; they must be equal (PyTorch would broadcast them, which "
            "silently gives a wrong loss). Reshape one, e.g. target.view_as(input)")
    return target if target.dtype == input.dtype else target.to(input.dtype)


def _broadcast_weight(name: str, what: str, weight: Any, input: Tensor) -> np.ndarray | None:
    """A constant weight array in the input's dtype that broadcasts to the input's shape."""
    if weight is None:
        return None
    array = _array(weight).astype(input.dtype, copy=False)
    try:
        fits = np.broadcast_shapes(array.shape, input.shape) == input.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{name}: {what} of shape {array.shape} does not broadcast to the "
                         f"input's shape {tuple(input.shape)}")
    return array


def _weighted(name: str, loss: Tensor, weight: Any, reduction: str, by_weight: bool) -> Tensor:
    """PyTorch's optional elementwise weight of mse/l1/huber: 'mean' divides by Σ weight
    (``by_weight``, mse and l1) or by the element count (huber). The weight takes the loss's
    dtype, so a float64 weight does not turn a float32 loss into float64."""
    if weight is None:
        return _reduce(loss, reduction)
    weight = _tensor(weight)
    weight = weight if weight.dtype == loss.dtype else weight.to(loss.dtype)
    if weight.shape != loss.shape:
        raise ValueError(f"{name}: weight has shape {tuple(weight.shape)} but the input has "
                         f"{tuple(loss.shape)}; weights and input must have the same size")
    loss = loss * weight
    if reduction == "mean" and by_weight:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


# ---------------------------------------------------------------- regression losses


def mse_loss(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None,
             reduction: str = "mean", weight: Any = None) -> Tensor:
    """Mean squared error: ℓᵢ = (xᵢ − yᵢ)², then reduced.

    Args:
        input: predictions x.
        target: targets y, of the input's shape.
        size_average: deprecated; use ``reduction`` (translated with PyTorch's warning).
        reduce: deprecated; use ``reduction``.
        reduction: 'mean' (default), 'sum' or 'none' (no reduction).
        weight: optional elementwise weights of the input's shape; 'mean' then divides by
            Σ weight (PyTorch's rule).

    Shape: input and target (*); the loss is a scalar, or (*) for 'none'.

    Example:
        >>> import chainrule
        >>> mse_loss(chainrule.tensor([1.0, 2.0]), chainrule.tensor([1.0, 4.0]))
        tensor(2.)
    """
    reduction = _reduction("mse_loss", reduction, size_average, reduce)
    loss = (input - _same_shape("mse_loss", input, target)).square()
    return _weighted("mse_loss", loss, weight, reduction, by_weight=True)


def l1_loss(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None,
            reduction: str = "mean", weight: Any = None) -> Tensor:
    """Mean absolute error: ℓᵢ = |xᵢ − yᵢ| (gradient 0 where xᵢ = yᵢ), then reduced.

    Args:
        input: predictions x.
        target: targets y, of the input's shape.
        size_average: deprecated; use ``reduction`` (translated with PyTorch's warning).
        reduce: deprecated; use ``reduction``.
        reduction: 'mean' (default), 'sum' or 'none' (no reduction).
        weight: optional elementwise weights of the input's shape; 'mean' then divides by
            Σ weight.

    Shape: input and target (*); the loss is a scalar, or (*) for 'none'.

    Example:
        >>> import chainrule
        >>> l1_loss(chainrule.tensor([1.0, 2.0]), chainrule.tensor([1.0, 4.0]))
        tensor(1.)
    """
    reduction = _reduction("l1_loss", reduction, size_average, reduce)
    loss = (input - _same_shape("l1_loss", input, target)).abs()
    return _weighted("l1_loss", loss, weight, reduction, by_weight=True)


def huber_loss(input: Tensor, target: Any, reduction: str = "mean", delta: float = 1.0,
               weight: Any = None) -> Tensor:
    """Huber loss: ℓᵢ = ½dᵢ² where |dᵢ| < δ, else δ(|dᵢ| − ½δ), with d = x − y.

    Args:
        input: predictions x.
        target: targets y, of the input's shape.
        reduction: 'mean' (default), 'sum' or 'none' (no reduction).
        delta: δ > 0, where the quadratic turns linear (default 1.0).
        weight: optional elementwise weights of the input's shape; 'mean' then still divides
            by the number of elements (PyTorch's rule for huber_loss).

    Shape: input and target (*); the loss is a scalar, or (*) for 'none'.

    Example:
        >>> import chainrule
        >>> huber_loss(chainrule.tensor([0.0, 0.0]), chainrule.tensor([0.5, 3.0]), 'none')
        tensor([0.1250, 2.5000])
    """
    reduction = _reduction("huber_loss", reduction)
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    diff = input - _same_shape("huber_loss", input, target)
    size = diff.abs()
    loss = where(size < delta, diff.square() * 0.5, (size - 0.5 * delta) * delta)
    return _weighted("huber_loss", loss, weight, reduction, by_weight=False)


def smooth_l1_loss(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Smooth L1: ℓᵢ = ½dᵢ²/β where |dᵢ| < β, else |dᵢ| − ½β (plain L1 when β = 0).

    Args:
        input: predictions x.
        target: targets y, of the input's shape.
        size_average: deprecated; use ``reduction`` (translated with PyTorch's warning).
        reduce: deprecated; use ``reduction``.
        reduction: 'mean' (default), 'sum' or 'none' (no reduction).
        beta: β ≥ 0, where the quadratic turns linear (default 1.0).

    Shape: input and target (*); the loss is a scalar, or (*) for 'none'.

    Example:
        >>> import chainrule
        >>> x, y = chainrule.tensor([0.0, 0.0]), chainrule.tensor([0.5, 3.0])
        >>> smooth_l1_loss(x, y, reduction='none')
        tensor([0.1250, 2.5000])
    """
    reduction = _reduction("smooth_l1_loss", reduction, size_average, reduce)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    diff = input - _same_shape("smooth_l1_loss", input, target)
    size = diff.abs()
    if beta == 0:
        return _reduce(size, reduction)
    return _reduce(where(size < beta, diff.square() * (0.5 / beta), size - 0.5 * beta), reduction)


def kl_div(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """Kullback–Leibler divergence of ``target`` from the log-probabilities ``input``:
    ℓᵢ = yᵢ·(log yᵢ − xᵢ) (0 where yᵢ = 0), or e^(yᵢ)·(yᵢ − xᵢ) when ``log_target``.

    Args:
        input: log-probabilities log q.
        target: probabilities p (log-probabilities when ``log_target``), of the input's shape.
        size_average: deprecated; use ``reduction`` (translated with PyTorch's warning).
        reduce: deprecated; use ``reduction``.
        reduction: 'mean' (default: averages over every element and, as in PyTorch, warns),
            'batchmean' (sum / batch size: the true KL divergence), 'sum' or 'none'.
        log_target: whether the target is given as log-probabilities.

    Shape: input and target (*); the loss is a scalar, or (*) for 'none'.

    Example:
        >>> import chainrule
        >>> p = chainrule.tensor([[0.5, 0.5]])
        >>> kl_div(p.log(), p, reduction='batchmean')
        tensor(0.)
    """
    allowed = _REDUCTIONS + ("batchmean",)
    legacy = size_average is not None or reduce is not None
    reduction = _reduction("kl_div", reduction, size_average, reduce, allowed)
    if reduction == "mean" and not legacy:
        warnings.warn("kl_div: reduction='mean' divides the total loss by both the batch size "
                      "and the support size; 'batchmean' divides only by the batch size and "
                      "matches the KL divergence's definition.", UserWarning, stacklevel=2)
    target = _same_shape("kl_div", input, target)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = target * (where(target > 0, target, 1.0).log() - input)
    if reduction != "batchmean":
        return _reduce(loss, reduction)
    return _divide(loss.sum(), float(input.shape[0])) if input.ndim else loss.sum()


# ---------------------------------------------------------------- binary classification


def binary_cross_entropy(input: Tensor, target: Any, weight: Any = None, size_average: Any = None,
                         reduce: Any = None, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities: ℓᵢ = −wᵢ[yᵢ log xᵢ + (1 − yᵢ) log(1 − xᵢ)], each
    log clamped at −100 (PyTorch's rule), so probabilities of exactly 0 or 1 stay finite.

    Args:
        input: probabilities x in [0, 1] (checked on every call).
        target: targets y in [0, 1], of the input's shape.
        weight: optional weights broadcastable to the input's shape (no gradient).
        size_average: deprecated; use ``reduction`` (translated with PyTorch's warning).
        reduce: deprecated; use ``reduction``.
        reduction: 'mean' (default), 'sum' or 'none' (no reduction).

    Shape: input and target (*); the loss is a scalar, or (*) for 'none'.

    Example:
        >>> import chainrule
        >>> binary_cross_entropy(chainrule.tensor([0.0]), chainrule.tensor([1.0]))
        tensor(100.)
    """
    reduction = _reduction("binary_cross_entropy", reduction, size_average, reduce)
    target = _same_shape("binary_cross_entropy", input, target)
    values = input.data
    if not np.all((values >= 0) & (values <= 1)):
        raise ValueError(
            "binary_cross_entropy: all elements of input should be probabilities in [0, 1], got "
            f"values in [{np.nanmin(values)}, {np.nanmax(values)}]"
            f"{' and NaN' if np.isnan(values).any() else ''}; for raw scores (logits) use "
            "binary_cross_entropy_with_logits")
    weight = _broadcast_weight("binary_cross_entropy", "weight", weight, input)
    return _reduce(BinaryCrossEntropy.apply(input, target, weight=weight), reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Any, weight: Any = None,
                                     size_average: Any = None, reduce: Any = None,
                                     reduction: str = "mean", pos_weight: Any = None) -> Tensor:
    """Binary cross-entropy of logits z: ℓᵢ = −wᵢ[p·yᵢ log σ(zᵢ) + (1 − yᵢ) log(1 − σ(zᵢ))],
    computed in the stable form max(z, 0) − z·y + log1p(e^(−|z|)) (p = 1), finite for any z.

    Args:
        input: logits z.
        target: targets y in [0, 1], of the input's shape.
        weight: optional weights broadcastable to the input's shape (no gradient).
        size_average: deprecated; use ``reduction`` (translated with PyTorch's warning).
        reduce: deprecated; use ``reduction``.
        reduction: 'mean' (default), 'sum' or 'none' (no reduction).
        pos_weight: p, the weight of positive examples, broadcastable to the input's shape,
            e.g. (C,) for targets (N, C) (no gradient).

    Shape: input and target (*); the loss is a scalar, or (*) for 'none'.

    Example:
        >>> import chainrule
        >>> binary_cross_entropy_with_logits(chainrule.tensor([200.0]), chainrule.tensor([0.0]))
        tensor(200.)
    """
    name = "binary_cross_entropy_with_logits"
    reduction = _reduction(name, reduction, size_average, reduce)
    target = _same_shape(name, input, target)
    weight = _broadcast_weight(name, "weight", weight, input)
    pos_weight = _broadcast_weight(name, "pos_weight", pos_weight, input)
    loss = BinaryCrossEntropyWithLogits.apply(input, target, weight=weight, pos_weight=pos_weight)
    return _reduce(loss, reduction)
