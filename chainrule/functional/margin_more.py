"""More margin losses with PyTorch's names, arguments, defaults and reductions:
``multilabel_margin_loss`` and ``triplet_margin_with_distance_loss``.

Composites of existing ops. The hinge of ``multilabel_margin_loss`` is strict (gradient 0 at
0), as PyTorch's kernel is; that of ``triplet_margin_with_distance_loss`` is
``clamp(min=0)``, as PyTorch's ``clamp_min`` is.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .activation import relu
from .distance import pairwise_distance
from .loss import _array, _floating_input, _reduce, _reduction, _tensor


def _label_counts(name: str, input: Any, target: Any) -> np.ndarray:
    """counts[n, c]: how often class c is listed in row n of ``target`` before its first −1."""
    labels = _array(target)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{name}: target must hold int64 class indices (padded with -1), got "
                        f"{labels.dtype}")
    if labels.shape != tuple(input.shape):
        raise ValueError(f"{name}: target has shape {labels.shape} but input has shape "
                         f"{tuple(input.shape)}; they must be equal")
    classes = input.shape[-1]
    rows = labels.reshape(-1, classes).astype(np.int64)
    if rows.size and (rows.min() < -1 or rows.max() >= classes):
        raise ValueError(f"{name}: target values must be class indices in [0, {classes}) or "
                         f"-1 (the end of a row's list), got values in [{rows.min()}, "
                         f"{rows.max()}]")
    listed = np.cumprod(rows >= 0, axis=1).astype(bool)  # before the first -1
    counts = np.zeros(rows.shape, dtype=np.int64)
    np.add.at(counts, (np.nonzero(listed)[0], rows[listed]), 1)
    return counts


def multilabel_margin_loss(input: Any, target: Any, size_average: Any = None, reduce: Any = None,
                           reduction: str = "mean") -> Any:
    """Multi-label hinge loss: for each sample, with J its target classes (the entries of its
    target row before the first −1) and I the other classes,
    ℓ = Σ_{j∈J} Σ_{i∈I} max(0, 1 − (x_j − x_i)) / C.

    A class listed twice counts twice, as in PyTorch.

    Args:
        input: scores (N, C) or (C,), floating point.
        target: int64 class indices of the same shape, each row ended by −1 (or full).
        size_average: deprecated; use ``reduction`` (translated with PyTorch's warning).
        reduce: deprecated; use ``reduction``.
        reduction: 'mean' (default), 'sum' or 'none'.

    Shape: (N, C) -> scalar, or (N,) for 'none'; (C,) -> scalar.

    Example:
        >>> import chainrule
        >>> x = chainrule.tensor([[0.1, 0.2, 0.4, 0.8]])
        >>> round(multilabel_margin_loss(x, chainrule.tensor([[3, 0, -1, 1]])).item(), 4)
        0.85
    """
    name = "multilabel_margin_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    input = _tensor(input)
    _floating_input(name, input)
    if input.ndim not in (1, 2):
        raise ValueError(f"{name}: expected a 1-D (C,) or 2-D (N, C) input, got shape "
                         f"{tuple(input.shape)}")
    counts = _label_counts(name, input, target)
    classes = input.shape[-1]
    scores = input.reshape(-1, classes)
    others = (counts == 0).astype(input.dtype)
    weights = counts.astype(input.dtype)[:, :, None] * others[:, None, :]  # [n, j, i]
    hinge = relu(1.0 - scores.unsqueeze(2) + scores.unsqueeze(1))
    loss = (hinge * weights).sum((1, 2)) / float(classes) if classes else scores.sum(1) * 0.0
    return _reduce(loss.reshape(()) if input.ndim == 1 else loss, reduction)


def triplet_margin_with_distance_loss(anchor: Any, positive: Any, negative: Any, *,
                                      distance_function: Callable[[Any, Any], Any] | None = None,
                                      margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean") -> Any:
    """Triplet loss with any distance: ℓᵢ = max(0, d(aᵢ, pᵢ) − d(aᵢ, nᵢ) + margin).

    Args:
        anchor, positive, negative: tensors of one number of dimensions, e.g. (N, D).
        distance_function: d, a callable of two tensors giving one distance per sample
            (default: ``pairwise_distance``, the Euclidean distance).
        margin: the margin, > 0 (default 1.0).
        swap: use min(d(a, n), d(p, n)) as the negative distance (the distance swap).
        reduction: 'mean' (default), 'sum' or 'none'.

    Shape: (N, D) each -> scalar, or (N,) for 'none'.

    Example:
        >>> import chainrule
        >>> a = chainrule.tensor([[0.0, 0.0]])
        >>> triplet_margin_with_distance_loss(a, a, a + 3.0,
        ...     distance_function=lambda x, y: (x - y).abs().sum(-1))
        tensor(0.)
    """
    name = "triplet_margin_with_distance_loss"
    reduction = _reduction(name, reduction)
    if not margin > 0:
        raise ValueError(f"{name}: margin must be greater than 0, got {margin}")
    tensors = [_tensor(t) for t in (anchor, positive, negative)]
    if len({t.ndim for t in tensors}) > 1:
        shapes = ", ".join(str(tuple(t.shape)) for t in tensors)
        raise ValueError(f"{name}: anchor, positive and negative must have the same number of "
                         f"dimensions, got shapes {shapes}")
    anchor, positive, negative = tensors
    distance = pairwise_distance if distance_function is None else distance_function
    d_pos, d_neg = distance(anchor, positive), distance(anchor, negative)
    if swap:
        d_neg = d_neg.minimum(distance(positive, negative))
    return _reduce((d_pos - d_neg + margin).clamp(min=0.0), reduction)
