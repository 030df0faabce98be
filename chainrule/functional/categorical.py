"""Categorical losses: ``cross_entropy`` (on logits) and ``nll_loss`` (on log-probabilities),
with PyTorch's shapes, class weights, ``ignore_index``, reductions and label smoothing.

Shapes: input (N, C), (N, C, d₁, …) or unbatched (C,); class-index targets (N), (N, d₁, …)
or (); class-probability targets (cross_entropy only) have the input's shape.

Cross-entropy with class indices and no smoothing is the fused ``ops.loss.CrossEntropy``
(one node, gradient softmax − onehot). Label smoothing and probability targets are composites
over ``log_softmax``; ``nll_loss`` is a composite (gather, weight, reduce). Every call checks
the target's dtype, shape and label range, and the weight's length (docs/reliability.md R-ERR-3).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ops.loss import CrossEntropy
from ..tensor import Tensor
from .loss import _array, _divide, _floating_input, _reduce, _reduction, _tensor


def _class_count(name: str, input: Tensor) -> int:
    """C, from input (C,) or (N, C, …)."""
    if input.ndim == 0:
        raise ValueError(f"{name}: input must have shape (C,), (N, C) or (N, C, d1, ...), got a "
                         "0-dimensional tensor")
    return input.shape[0] if input.ndim == 1 else input.shape[1]


def _class_indices(name: str, input: Tensor, target: Any, ignore_index: int) -> np.ndarray:
    """The target as checked int64 class indices of shape (N, d₁, …), or () when unbatched."""
    return _checked_labels(name, input, target, ignore_index)[0]


def _checked_labels(name: str, input: Tensor, target: Any,
                    ignore_index: int) -> tuple[np.ndarray, bool]:
    """``_class_indices``, and whether every label is a class in [0, C) (then no label can
    be an ``ignore_index`` outside that range)."""
    classes = _class_count(name, input)
    labels = _array(target)
    expected = () if input.ndim == 1 else input.shape[:1] + input.shape[2:]
    if labels.dtype.kind not in "iu":
        soft = " or float class probabilities of the input's shape" if name == "cross_entropy" \
            else ""
        raise TypeError(f"{name}: target has dtype {labels.dtype}, but class indices must be "
                        f"integers: pass them as int64 (e.g. target.long()){soft}")
    if labels.shape != expected:
        raise ValueError(f"{name}: input of shape {tuple(input.shape)} needs class-index targets "
                         f"of shape {expected}, but target has shape {labels.shape}")
    # the common case: two reductions (called as ufuncs, without ndarray.min's Python layer)
    if labels.size and 0 <= np.minimum.reduce(labels, None) \
            and np.maximum.reduce(labels, None) < classes:
        return labels.astype(np.int64, copy=False), True
    bad = ((labels < 0) | (labels >= classes)) & (labels != ignore_index)
    if bad.any():
        position = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name}: target label {int(labels[position])} at position {position} "
                         f"is out of range: labels must lie in [0, {classes}) for C={classes} "
                         f"classes (or equal ignore_index={ignore_index})")
    return labels.astype(np.int64, copy=False), labels.size == 0


def _sample_weights(name: str, labels: np.ndarray, weight: Any, ignore_index: int,
                    classes: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """(labels with ignored ones replaced by 0, per-sample weights: weight[label], 0 where
    ignored). The weights are constants: ``weight`` receives no gradient, as in PyTorch."""
    valid = labels != ignore_index
    safe = np.where(valid, labels, 0)
    if weight is None:
        return safe, valid.astype(dtype)
    class_weight = _array(weight).astype(dtype, copy=False)
    if class_weight.shape != (classes,):
        raise ValueError(f"{name}: weight must hold one value per class, shape ({classes},), "
                         f"but has shape {class_weight.shape}")
    return safe, np.where(valid, class_weight[safe], 0).astype(dtype, copy=False)


def _batched(input: Tensor, labels: np.ndarray) -> tuple[Tensor, np.ndarray]:
    """An unbatched (C,) input and () target as a batch of one."""
    return (input.unsqueeze(0), labels.reshape(1)) if input.ndim == 1 else (input, labels)


def _picked_nll(log_p: Tensor, safe: np.ndarray, sample_weight: np.ndarray) -> Tensor:
    """ℓᵢ = −wᵢ · log_p[i, tᵢ] for batched log-probabilities (N, C, …)."""
    picked = log_p.gather(1, np.expand_dims(safe, 1)).squeeze(1)
    return -picked * Tensor._const(sample_weight)


def _finish(loss: Tensor, reduction: str, sample_weight: np.ndarray, unbatched: bool) -> Tensor:
    """Reduce per-sample losses; 'mean' divides by the total weight of non-ignored samples."""
    if reduction == "none":
        return loss.reshape(()) if unbatched else loss
    if reduction == "sum":
        return loss.sum()
    return _divide(loss.sum(), float(np.sum(sample_weight)))


def nll_loss(input: Tensor, target: Any, weight: Any = None, size_average: Any = None,
             ignore_index: int = -100, reduce: Any = None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices: ℓᵢ = −w[tᵢ]·input[i, tᵢ] (0 where tᵢ =
    ignore_index); 'mean' divides by Σᵢ w[tᵢ] over the non-ignored samples.

    Args:
        input: log-probabilities (e.g. from ``log_softmax``).
        target: class indices, int64 in [0, C) or ``ignore_index``.
        weight: optional class weights of shape (C,) (no gradient).
        size_average: deprecated; use ``reduction`` (translated with PyTorch's warning).
        reduce: deprecated; use ``reduction``.
        ignore_index: a target value that is skipped (default −100).
        reduction: 'mean' (default), 'sum' or 'none' (no reduction).

    Shape: input (N, C), (N, C, d₁, …) or (C,); target (N, d₁, …) or (); the loss is a
    scalar, or the target's shape for 'none'.

    Example:
        >>> import chainrule
        >>> log_p = chainrule.tensor([[0.5, 0.5], [0.9, 0.1]]).log()
        >>> round(nll_loss(log_p, chainrule.tensor([0, 0])).item(), 4)
        0.3993
    """
    reduction = _reduction("nll_loss", reduction, size_average, reduce)
    _floating_input("nll_loss", input)
    labels = _class_indices("nll_loss", input, target, ignore_index)
    x, labels = _batched(input, labels)
    safe, sample_weight = _sample_weights("nll_loss", labels, weight, ignore_index,
                                          x.shape[1], x.dtype)
    loss = _picked_nll(x, safe, sample_weight)
    return _finish(loss, reduction, sample_weight, input.ndim == 1)


def cross_entropy(input: Tensor, target: Any, weight: Any = None, size_average: Any = None,
                  ignore_index: int = -100, reduce: Any = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy of raw logits: ℓᵢ = −w[tᵢ]·log softmax(xᵢ)[tᵢ] for class indices t, or
    ℓᵢ = −Σ_c w_c·y_ic·log softmax(xᵢ)_c for class probabilities y.

    Class indices: 'mean' divides by Σᵢ w[tᵢ] over samples whose target is not
    ``ignore_index``. Probabilities: 'mean' divides by the number of samples (N·d₁·…), and
    ``ignore_index`` is not supported. ``label_smoothing`` ε mixes the target with the uniform
    distribution, y ← (1 − ε)·y + ε/C (PyTorch's formula, weights included).

    Args:
        input: raw logits (unnormalised scores).
        target: class indices (int64 in [0, C) or ``ignore_index``), or float class
            probabilities of the input's shape.
        weight: optional class weights of shape (C,) (no gradient).
        size_average: deprecated; use ``reduction`` (translated with PyTorch's warning).
        reduce: deprecated; use ``reduction``.
        ignore_index: a class-index target that is skipped (default −100).
        reduction: 'mean' (default), 'sum' or 'none' (no reduction).
        label_smoothing: ε in [0, 1] (default 0).

    Shape: input (N, C), (N, C, d₁, …) or (C,); target (N, d₁, …) or () int64, or the input's
    shape (float probabilities). The loss is a scalar, or (N, d₁, …) for 'none'.

    Example:
        >>> import chainrule
        >>> logits = chainrule.tensor([[1000.0, -1000.0], [0.0, 0.0]])
        >>> round(cross_entropy(logits, chainrule.tensor([0, 1])).item(), 4)
        0.3466
    """
    reduction = _reduction("cross_entropy", reduction, size_average, reduce)
    _floating_input("cross_entropy", input)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    classes = _class_count("cross_entropy", input)
    if _array(target).shape == input.shape and input.ndim:
        return _soft_cross_entropy(input, _tensor(target), weight, ignore_index, reduction,
                                   label_smoothing)
    labels, all_classes = _checked_labels("cross_entropy", input, target, ignore_index)
    x, labels = _batched(input, labels)
    safe, sample_weight = labels, None  # every sample weighs 1: the fused loss skips weights
    ignored = not all_classes or (0 <= ignore_index < classes and (labels == ignore_index).any())
    if weight is not None or label_smoothing or ignored:
        safe, sample_weight = _sample_weights("cross_entropy", labels, weight, ignore_index,
                                              classes, x.dtype)
    if label_smoothing > 0:
        valid = labels != ignore_index
        return _smoothed_cross_entropy(x, safe, sample_weight, valid, weight, reduction,
                                       label_smoothing, input.ndim == 1)
    loss = CrossEntropy.apply(x, target=safe, sample_weight=sample_weight, reduction=reduction)
    return loss.reshape(()) if input.ndim == 1 and reduction == "none" else loss


def _smoothed_cross_entropy(x: Tensor, safe: np.ndarray, sample_weight: np.ndarray,
                            valid: np.ndarray, weight: Any, reduction: str, smoothing: float,
                            unbatched: bool) -> Tensor:
    """(1 − ε)·NLL + (ε/C)·Σ_c −w_c·log p_c per non-ignored sample, reduced with the NLL's
    denominator (PyTorch's label-smoothing formula for class indices)."""
    classes = x.shape[1]
    log_p = x.log_softmax(1)
    weighted = log_p
    if weight is not None:
        shape = (1, classes) + (1,) * (x.ndim - 2)
        weighted = log_p * Tensor._const(_array(weight).astype(x.dtype).reshape(shape))
    smooth = -weighted.sum(1) * Tensor._const(valid.astype(x.dtype))
    loss = _picked_nll(log_p, safe, sample_weight) * (1.0 - smoothing) \
        + smooth * (smoothing / classes)
    return _finish(loss, reduction, sample_weight, unbatched)


def _soft_cross_entropy(input: Tensor, target: Tensor, weight: Any, ignore_index: int,
                        reduction: str, smoothing: float) -> Tensor:
    """−Σ_c w_c·y_c·log softmax(x)_c for class-probability targets y of the input's shape."""
    if target.dtype.kind != "f":
        raise TypeError(f"cross_entropy: a target of the input's shape {tuple(input.shape)} is "
                        f"read as class probabilities and must be floating point, but it is "
                        f"{target.dtype}; for class indices pass shape (N, d1, ...) int64")
    if ignore_index >= 0:
        raise ValueError("cross_entropy: ignore_index is not supported for class-probability "
                         f"targets (got ignore_index={ignore_index})")
    dim = 0 if input.ndim == 1 else 1
    classes = input.shape[dim]
    target = target if target.dtype == input.dtype else target.to(input.dtype)
    if smoothing > 0:
        target = target * (1.0 - smoothing) + smoothing / classes
    product = input.log_softmax(dim) * target
    if weight is not None:
        class_weight = _array(weight).astype(input.dtype, copy=False)
        if class_weight.shape != (classes,):
            raise ValueError(f"cross_entropy: weight must hold one value per class, shape "
                             f"({classes},), but has shape {class_weight.shape}")
        shape = (classes,) + (1,) * (input.ndim - dim - 1)
        product = product * Tensor._const(class_weight.reshape(shape))
    loss = -product.sum(dim)
    return _reduce(loss, reduction)
