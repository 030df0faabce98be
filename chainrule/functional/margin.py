"""Margin and embedding losses with PyTorch's names, arguments, defaults and reductions:
``margin_ranking_loss``, ``hinge_embedding_loss``, ``soft_margin_loss``,
``multilabel_soft_margin_loss``, ``cosine_embedding_loss``, ``triplet_margin_loss`` and
``multi_margin_loss``.

All are composites of existing ops. The hinge max(0, ·) is ``clamp(min=0)``, whose gradient
passes at 0 (bounds included), as PyTorch's ``clamp_min`` does; ``multi_margin_loss`` alone
uses a strict hinge (gradient 0 at 0), as PyTorch's kernel does.

Differences from PyTorch, on purpose (as for the losses of ``loss.py``): inputs and targets
that PyTorch would broadcast must have equal shapes here (a ValueError names them), and
``soft_margin_loss`` is computed through the stable softplus, so it stays finite where
PyTorch's log1p(exp(−y·x)) overflows to inf (y·x below about −710 in float64).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..methods.math import where
from ..tensor import Tensor
from .activation import logsigmoid
from .categorical import _class_indices
from .distance import pairwise_distance
from .loss import _array, _broadcast_weight, _floating_input, _reduce, _reduction, _tensor


def _matching(name: str, first: tuple[str, Tensor], *others: tuple[str, Any]) -> list[Tensor]:
    """The ``others`` as tensors of the first input's dtype, each of the first one's shape."""
    label, reference = first
    _floating_input(name, reference)
    result = []
    for other_label, value in others:
        value = _tensor(value)
        if value.shape != reference.shape:
            raise ValueError(f"{name}: {label} has shape {tuple(reference.shape)} but "
                             f"{other_label} has shape {tuple(value.shape)}; they must be equal")
        result.append(value if value.dtype == reference.dtype else value.to(reference.dtype))
    return result


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Any, margin: float = 0,
                        size_average: Any = None, reduce: Any = None,
                        reduction: str = "mean") -> Tensor:
    """Margin ranking loss: ℓᵢ = max(0, −yᵢ·(x1ᵢ − x2ᵢ) + margin), y = 1 when x1 should rank
    higher, −1 when x2 should.

    Args:
        input1: scores x1.
        input2: scores x2, of x1's shape.
        target: y in {1, −1}, of x1's shape.
        margin: the margin (default 0).
        size_average: deprecated; use ``reduction`` (translated with PyTorch's warning).
        reduce: deprecated; use ``reduction``.
        reduction: 'mean' (default), 'sum' or 'none'.

    Shape: (*) for all three -> scalar, or (*) for 'none'.

    Example:
        >>> import chainrule
        >>> x1, x2 = chainrule.tensor([1.0, 0.0]), chainrule.tensor([0.0, 1.0])
        >>> margin_ranking_loss(x1, x2, chainrule.tensor([1.0, 1.0]), reduction='none')
        tensor([0., 1.])
    """
    name = "margin_ranking_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    input2, target = _matching(name, ("input1", input1), ("input2", input2), ("target", target))
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0.0), reduction)


def hinge_embedding_loss(input: Tensor, target: Any, margin: float = 1.0,
                         size_average: Any = None, reduce: Any = None,
                         reduction: str = "mean") -> Tensor:
    """Hinge embedding loss: ℓᵢ = xᵢ where yᵢ = 1, max(0, margin − xᵢ) where yᵢ = −1 (for other
    target values both terms are added, as in PyTorch).

    Args:
        input: x, typically a distance.
        target: y in {1, −1}, of the input's shape (no gradient).
        margin: the margin (default 1.0).
        size_average: deprecated; use ``reduction`` (translated with PyTorch's warning).
        reduce: deprecated; use ``reduction``.
        reduction: 'mean' (default), 'sum' or 'none'.

    Shape: (*) -> scalar, or (*) for 'none'.

    Example:
        >>> import chainrule
        >>> x = chainrule.tensor([0.3, 0.3])
        >>> hinge_embedding_loss(x, chainrule.tensor([1.0, -1.0]), reduction='none')
        tensor([0.3000, 0.7000])
    """
    name = "hinge_embedding_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    (target,) = _matching(name, ("input", input), ("target", target))
    y = target.data
    loss = where(y != 1, (margin - input).clamp(min=0.0), 0.0) + where(y != -1, input, 0.0)
    return _reduce(loss, reduction)


def soft_margin_loss(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None,
                     reduction: str = "mean") -> Tensor:
    """Soft margin loss: ℓᵢ = log(1 + e^(−yᵢxᵢ)), computed as softplus(−y·x) (never overflows).

    Args:
        input: scores x.
        target: y in {1, −1}, of the input's shape.
        size_average: deprecated; use ``reduction`` (translated with PyTorch's warning).
        reduce: deprecated; use ``reduction``.
        reduction: 'mean' (default), 'sum' or 'none'.

    Shape: (*) -> scalar, or (*) for 'none'.

    Example:
        >>> import chainrule
        >>> soft_margin_loss(chainrule.tensor([0.0]), chainrule.tensor([1.0])).item() > 0.69
        True
    """
    name = "soft_margin_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    (target,) = _matching(name, ("input", input), ("target", target))
    return _reduce((-(target * input)).softplus(), reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Any, weight: Any = None,
                                size_average: Any = None, reduce: Any = None,
                                reduction: str = "mean") -> Tensor:
    """Multi-label one-versus-all loss: ℓᵢ = −(1/C)·Σ_c w_c·[y_ic·log σ(x_ic) +
    (1 − y_ic)·log σ(−x_ic)], the mean over the last (class) dimension, then reduced.

    Args:
        input: logits x, (N, C) or (C,).
        target: y in [0, 1], of the input's shape.
        weight: optional class weights broadcastable to the input, e.g. (C,) (no gradient).
        size_average: deprecated; use ``reduction`` (translated with PyTorch's warning).
        reduce: deprecated; use ``reduction``.
        reduction: 'mean' (default), 'sum' or 'none' (one loss per sample).

    Shape: input and target (*, C) -> scalar, or (*) for 'none'.

    Example:
        >>> import chainrule
        >>> x, y = chainrule.tensor([[100.0, -100.0]]), chainrule.tensor([[1.0, 0.0]])
        >>> multilabel_soft_margin_loss(x, y).item() < 1e-40
        True
    """
    name = "multilabel_soft_margin_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    (target,) = _matching(name, ("input", input), ("target", target))
    if input.ndim == 0:
        raise ValueError(f"{name}: input must have a class dimension, shape (N, C) or (C,), "
                         "got a 0-dimensional tensor")
    loss = -(target * logsigmoid(input) + (1.0 - target) * logsigmoid(-input))
    weight = _broadcast_weight(name, "weight", weight, input)
    if weight is not None:
        loss = loss * Tensor._const(weight)
    return _reduce(loss.mean(-1), reduction)


_COSINE_EPSILON = 1e-12  # PyTorch's floor added to each squared norm


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Any, margin: float = 0,
                          size_average: Any = None, reduce: Any = None,
                          reduction: str = "mean") -> Tensor:
    """Cosine embedding loss: ℓᵢ = 1 − cos(x1ᵢ, x2ᵢ) where yᵢ = 1, max(0, cos(x1ᵢ, x2ᵢ) −
    margin) where yᵢ = −1 (0 for other targets), with cos = x1·x2 / √((‖x1‖² + ε)(‖x2‖² + ε)),
    ε = 1e-12 (PyTorch's formula).

    Args:
        input1: vectors x1, (N, D) or (D,).
        input2: vectors x2, of x1's shape.
        target: y in {1, −1}, (N,) or () (no gradient).
        margin: between −1 and 1; 0 to 0.5 is suggested (default 0).
        size_average: deprecated; use ``reduction`` (translated with PyTorch's warning).
        reduce: deprecated; use ``reduction``.
        reduction: 'mean' (default), 'sum' or 'none'.

    Shape: (N, D) and (N, D) with target (N,) -> scalar, or (N,) for 'none'.

    Example:
        >>> import chainrule
        >>> x = chainrule.tensor([[1.0, 0.0]])
        >>> cosine_embedding_loss(x, x, chainrule.tensor([1.0])).item() < 1e-12
        True
    """
    name = "cosine_embedding_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    (input2,) = _matching(name, ("input1", input1), ("input2", input2))
    y = _array(target)
    if input1.ndim not in (1, 2) or y.shape != input1.shape[:-1]:
        raise ValueError(f"{name}: inputs must be (N, D) with a target of shape (N,), or (D,) "
                         f"with a 0-d target; got inputs of shape {tuple(input1.shape)} and a "
                         f"target of shape {y.shape}")
    dim = input1.ndim - 1
    product = (input1 * input2).sum(dim)
    squares = ((input1 * input1).sum(dim) + _COSINE_EPSILON) * \
        ((input2 * input2).sum(dim) + _COSINE_EPSILON)
    cos = product / squares.sqrt()
    loss = where(y == 1, 1.0 - cos, 0.0) + where(y == -1, (cos - margin).clamp(min=0.0), 0.0)
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False,
                        size_average: Any = None, reduce: Any = None,
                        reduction: str = "mean") -> Tensor:
    """Triplet margin loss: ℓᵢ = max(0, d(aᵢ, pᵢ) − d(aᵢ, nᵢ) + margin), with d the
    ``pairwise_distance`` (p-norm of the difference plus eps, over the last dimension).

    Args:
        anchor: a, (N, D) or (D,).
        positive: p, with a's number of dimensions (broadcast with it).
        negative: n, likewise.
        margin: the margin, > 0 (default 1.0).
        p: the norm's exponent, positive or inf (default 2).
        eps: added to the differences (default 1e-6).
        swap: use min(d(a, n), d(p, n)) as the negative distance (the distance swap).
        size_average: deprecated; use ``reduction`` (translated with PyTorch's warning).
        reduce: deprecated; use ``reduction``.
        reduction: 'mean' (default), 'sum' or 'none'.

    Shape: (N, D) each -> scalar, or (N,) for 'none'.

    Example:
        >>> import chainrule
        >>> a = chainrule.tensor([[0.0, 0.0]])
        >>> triplet_margin_loss(a, a, a + 3.0, eps=0.0)
        tensor(0.)
    """
    name = "triplet_margin_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    if not margin > 0:
        raise ValueError(f"{name}: margin must be greater than 0, got {margin}")
    shapes = [tuple(_tensor(t).shape) for t in (anchor, positive, negative)]
    if len({len(s) for s in shapes}) > 1:
        raise ValueError(f"{name}: anchor, positive and negative must have the same number of "
                         f"dimensions, got shapes {shapes[0]}, {shapes[1]} and {shapes[2]}")
    _floating_input(name, anchor)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = d_neg.minimum(pairwise_distance(positive, negative, p, eps))
    return _reduce((d_pos - d_neg + margin).clamp(min=0.0), reduction)


def multi_margin_loss(input: Tensor, target: Any, p: int = 1, margin: float = 1.0,
                      weight: Any = None, size_average: Any = None, reduce: Any = None,
                      reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss: ℓᵢ = (1/C)·Σ_{j ≠ tᵢ} w[tᵢ]·max(0, margin − xᵢ[tᵢ] + xᵢ[j])^p
    (the hinge's gradient is 0 at 0, as in PyTorch's kernel).

    Args:
        input: scores x, (N, C) or (C,).
        target: class indices t, int64 in [0, C), (N,) or ().
        p: 1 or 2 (default 1).
        margin: the margin (default 1.0).
        weight: optional class weights of shape (C,) (no gradient).
        size_average: deprecated; use ``reduction`` (translated with PyTorch's warning).
        reduce: deprecated; use ``reduction``.
        reduction: 'mean' (default), 'sum' or 'none'.

    Shape: input (N, C), target (N,) -> scalar, or (N,) for 'none'.

    Example:
        >>> import chainrule
        >>> multi_margin_loss(chainrule.tensor([[3.0, 0.0]]), chainrule.tensor([0]))
        tensor(0.)
    """
    name = "multi_margin_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError(f"{name}: only p == 1 and p == 2 are supported, got p={p}")
    _floating_input(name, input)
    if input.ndim not in (1, 2):
        raise ValueError(f"{name}: input must be (N, C) or (C,), got shape {tuple(input.shape)}")
    labels = _class_indices(name, input, target, ignore_index=-100)
    if (labels < 0).any():
        raise ValueError(f"{name}: target label {int(labels.min())} is out of range: labels "
                         f"must lie in [0, {input.shape[-1]})")
    x = input if input.ndim == 2 else input.unsqueeze(0)
    labels = labels.reshape(-1, 1)
    picked = x.gather(1, labels)
    hinge = (x - picked + margin).relu()
    hinge = hinge * hinge if p == 2 else hinge
    scale = (np.arange(x.shape[1]) != labels).astype(x.dtype)
    if weight is not None:
        class_weight = _array(weight).astype(x.dtype, copy=False)
        if class_weight.shape != (x.shape[1],):
            raise ValueError(f"{name}: weight must hold one value per class, shape "
                             f"({x.shape[1]},), but has shape {class_weight.shape}")
        scale = scale * class_weight[labels]
    loss = (hinge * Tensor._const(scale)).mean(1)
    return _reduce(loss if input.ndim == 2 else loss.reshape(()), reduction)


__all__ = [
    "cosine_embedding_loss", "hinge_embedding_loss", "margin_ranking_loss",
    "multi_margin_loss", "multilabel_soft_margin_loss", "soft_margin_loss",
    "triplet_margin_loss",
]
