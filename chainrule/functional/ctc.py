"""The connectionist temporal classification loss, ``ctc_loss``, with PyTorch's shapes,
accepted target and length forms, reductions and ``zero_infinity``.

Shapes: log_probs (T, N, C) or unbatched (T, C); targets padded (N, S), concatenated
(sum(target_lengths),), or unbatched (S,); input_lengths and target_lengths (N,) (tensors,
arrays, lists or tuples of integers), or one integer each when unbatched.

The recursions and the gradient are the fused ``ops.ctc.CTCLoss`` (one node; its docstring
derives the backward, which is PyTorch's). Every call checks ranks, lengths, label ranges and
the blank. Deviations from PyTorch, on purpose: a target label equal to ``blank`` or outside
[0, C), which PyTorch's CPU kernel silently turns into a meaningless loss, raises ValueError;
float or bool targets (which PyTorch casts) raise TypeError, as in ``nll_loss``; plain Python
ints are accepted as the lengths of an unbatched call.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ..ops.ctc import CTCLoss
from ..tensor import Tensor
from .loss import _array, _floating_input, _reduction


def ctc_loss(log_probs: Tensor, targets: Any, input_lengths: Any, target_lengths: Any,
             blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """Connectionist temporal classification loss ℓₙ = −log Σ_alignments Πₜ p_t(π_t): the
    probability of target sequence n summed over all its alignments with the input frames
    (blanks interleaved, repeated labels separated by a blank).

    Args:
        log_probs: log-probabilities over C classes per frame (e.g. ``log_softmax(x, -1)``).
        targets: int target labels in [0, C), never ``blank``: padded (N, S) with S ≥
            max(target_lengths), all N concatenated (sum(target_lengths),), or (S,) unbatched.
        input_lengths: frames used per sample, each ≤ T: (N,) or a scalar when unbatched.
        target_lengths: labels per sample: (N,) or a scalar when unbatched.
        blank: the class index of the blank (default 0).
        reduction: 'mean' (default: each loss divided by its target length, clamped to at
            least 1, then averaged over the batch), 'sum' or 'none' (one loss per sample).
        zero_infinity: make infinite losses (no alignment exists, e.g. a target longer than
            its input) and their gradients 0.

    Shape: log_probs (T, N, C) or (T, C); the loss is a scalar, or (N,) for 'none' (a scalar
    when unbatched).

    Example:
        >>> import chainrule
        >>> log_probs = chainrule.zeros(3, 1, 2).log_softmax(-1)
        >>> round(ctc_loss(log_probs, chainrule.tensor([[1]]), [3], [1]).item(), 4)
        0.2877
    """
    reduction = _reduction("ctc_loss", reduction)
    _floating_input("ctc_loss", log_probs)
    unbatched = _check_log_probs(log_probs)
    steps, batch, classes = (log_probs.shape[0], 1, log_probs.shape[1]) if unbatched \
        else log_probs.shape
    blank = _check_blank(blank, classes)
    inputs = _lengths("input_lengths", input_lengths, batch, unbatched)
    lengths = _lengths("target_lengths", target_lengths, batch, unbatched)
    if inputs.max() > steps:
        raise ValueError(f"ctc_loss: input_lengths must be at most T={steps} (the length of "
                         f"log_probs), but input_lengths[{int(inputs.argmax())}] is "
                         f"{int(inputs.max())}")
    padded = _padded_targets(targets, lengths, batch, unbatched)
    _check_labels(padded, lengths, classes, blank)
    x = log_probs.unsqueeze(1) if unbatched else log_probs
    loss = CTCLoss.apply(x, targets=padded, input_lengths=inputs, target_lengths=lengths,
                         blank=blank, zero_infinity=bool(zero_infinity))
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return (loss / Tensor._const(np.maximum(lengths, 1).astype(loss.dtype))).mean()
    return loss.reshape(()) if unbatched else loss


def _check_log_probs(log_probs: Tensor) -> bool:
    """Whether log_probs is unbatched (T, C); ValueError unless it is (T, C) or (T, N, C) and
    non-empty."""
    if log_probs.ndim not in (2, 3):
        raise ValueError(f"ctc_loss: log_probs must have shape (T, N, C) or unbatched (T, C), "
                         f"but has {log_probs.ndim} dimensions, shape {tuple(log_probs.shape)}")
    if log_probs.numel() == 0:
        raise ValueError(f"ctc_loss: log_probs must not be empty, got shape "
                         f"{tuple(log_probs.shape)}")
    return log_probs.ndim == 2


def _check_blank(blank: Any, classes: int) -> int:
    try:
        blank = operator.index(blank)
    except TypeError:
        raise TypeError(f"ctc_loss: blank must be an integer class index, got "
                        f"{type(blank).__name__} {blank!r}") from None
    if not 0 <= blank < classes:
        raise ValueError(f"ctc_loss: blank must be in label range [0, {classes}) for C={classes} "
                         f"classes, got {blank}")
    return blank


def _integers(name: str, value: Any) -> np.ndarray:
    """``value`` as an int64 array, or a TypeError naming its dtype."""
    array = np.asarray(_array(value))
    if array.size == 0 and array.dtype == np.float64:  # [] or (): no dtype was given
        array = array.astype(np.int64)
    if array.dtype.kind not in "iu":
        raise TypeError(f"ctc_loss: {name} must be integers, got dtype {array.dtype}; pass "
                        "them as int64 (e.g. .long())")
    return array.astype(np.int64, copy=False)


def _lengths(name: str, value: Any, batch: int, unbatched: bool) -> np.ndarray:
    """One checked length per sample, (N,) int64 (N = 1 when unbatched)."""
    array = _integers(name, value)
    if array.ndim > 1:
        raise ValueError(f"ctc_loss: {name} must be 1-dimensional (N,), got shape {array.shape}")
    if array.size != batch:
        form = "one length (a scalar) for unbatched log_probs (T, C)" if unbatched \
            else f"one length per sample, shape ({batch},)"
        raise ValueError(f"ctc_loss: {name} must hold {form}, but holds {array.size}")
    array = array.reshape(batch)
    if (array < 0).any():
        raise ValueError(f"ctc_loss: {name} must be at least 0, but {name}"
                         f"[{int(array.argmin())}] is {int(array.min())}")
    return array


def _padded_targets(targets: Any, lengths: np.ndarray, batch: int,
                    unbatched: bool) -> np.ndarray:
    """The targets as (N, max(target_lengths)) int64, each row's labels first."""
    labels = _integers("targets", targets)
    width = int(lengths.max())
    if unbatched and labels.ndim != 1:
        raise ValueError(f"ctc_loss: unbatched log_probs (T, C) need 1-dimensional targets "
                         f"(S,), but targets have shape {labels.shape}")
    if labels.ndim == 1 and not unbatched:
        if labels.size != lengths.sum():
            raise ValueError(f"ctc_loss: 1-dimensional targets are the N targets concatenated "
                             f"and must hold sum(target_lengths) = {int(lengths.sum())} "
                             f"labels, but hold {labels.size}")
        starts = np.cumsum(lengths) - lengths
        index = starts[:, None] + np.arange(width)
        return np.where(np.arange(width) < lengths[:, None],
                        labels[np.minimum(index, max(labels.size - 1, 0))], 0)
    labels = labels.reshape(1, -1) if unbatched else labels
    if labels.ndim != 2 or labels.shape[0] != batch or labels.shape[1] < width:
        raise ValueError(f"ctc_loss: targets must be padded (N, S) = ({batch}, S) with S at "
                         f"least max(target_lengths) = {width}, or concatenated "
                         f"(sum(target_lengths),), but have shape {labels.shape}")
    return labels[:, :width]


def _check_labels(padded: np.ndarray, lengths: np.ndarray, classes: int, blank: int) -> None:
    """ValueError for a label (within its target length) outside [0, C) or equal to blank."""
    used = np.arange(padded.shape[1]) < lengths[:, None]
    bad = used & ((padded < 0) | (padded >= classes) | (padded == blank))
    if bad.any():
        n, j = (int(i) for i in np.argwhere(bad)[0])
        label = int(padded[n, j])
        why = f"equals blank={blank}; the blank cannot be a target label" if label == blank \
            else f"is out of range: labels must lie in [0, {classes}) for C={classes} classes"
        raise ValueError(f"ctc_loss: target label {label} (sample {n}, position {j}) {why}")
