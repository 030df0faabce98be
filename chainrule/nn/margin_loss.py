"""Margin and embedding loss modules: thin wrappers over ``chainrule.functional.margin``, with
PyTorch's constructor arguments (the deprecated ``size_average``/``reduce`` pair included).

As for the losses of ``loss.py``, the ``reduction`` is checked when the module is built, and
class weights are buffers (saved in ``state_dict``, never trained).
"""

from __future__ import annotations

from typing import Any

from ..functional import margin as losses
from ..tensor import Tensor
from .loss import _Loss, _WeightedLoss


class MarginRankingLoss(_Loss):
    """max(0, −y·(x1 − x2) + margin), y = 1 when x1 should rank higher, −1 otherwise.

    Args:
        margin: the margin (default 0).
        size_average: deprecated (use ``reduction``).
        reduce: deprecated (use ``reduction``).
        reduction: 'mean' (default), 'sum' or 'none'.

    Shape: input1, input2, target (*) of one shape -> scalar, or (*) for 'none'.
    """

    def __init__(self, margin: float = 0.0, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return losses.margin_ranking_loss(input1, input2, target, self.margin,
                                          reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    """x where y = 1, max(0, margin − x) where y = −1.

    Args:
        margin: the margin (default 1.0).
        size_average: deprecated (use ``reduction``).
        reduce: deprecated (use ``reduction``).
        reduction: 'mean' (default), 'sum' or 'none'.

    Shape: input (*), target (*) of the same shape -> scalar, or (*) for 'none'.
    """

    def __init__(self, margin: float = 1.0, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return losses.hinge_embedding_loss(input, target, self.margin, reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """log(1 + e^(−y·x)) (two-class logistic loss), computed without overflow.

    Args:
        size_average: deprecated (use ``reduction``).
        reduce: deprecated (use ``reduction``).
        reduction: 'mean' (default), 'sum' or 'none'.

    Shape: input (*), target (*) of the same shape -> scalar, or (*) for 'none'.
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return losses.soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """−(1/C)·Σ_c w_c·[y_c·log σ(x_c) + (1 − y_c)·log σ(−x_c)] per sample.

    Args:
        weight: class weights broadcastable to the input, e.g. (C,) (a buffer).
        size_average: deprecated (use ``reduction``).
        reduce: deprecated (use ``reduction``).
        reduction: 'mean' (default), 'sum' or 'none'.

    Shape: input (N, C), target (N, C) -> scalar, or (N,) for 'none'.
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return losses.multilabel_soft_margin_loss(input, target, weight=self.weight,
                                                  reduction=self.reduction)


class CosineEmbeddingLoss(_Loss):
    """1 − cos(x1, x2) where y = 1, max(0, cos(x1, x2) − margin) where y = −1.

    Args:
        margin: between −1 and 1 (default 0).
        size_average: deprecated (use ``reduction``).
        reduce: deprecated (use ``reduction``).
        reduction: 'mean' (default), 'sum' or 'none'.

    Shape: input1, input2 (N, D) or (D,); target (N,) or () -> scalar, or (N,) for 'none'.
    """

    def __init__(self, margin: float = 0.0, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return losses.cosine_embedding_loss(input1, input2, target, self.margin,
                                            reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """max(0, d(a, p) − d(a, n) + margin), d the pairwise p-norm distance.

    Args:
        margin: the margin, > 0 (default 1.0).
        p: the norm's exponent (default 2).
        eps: added to the differences (default 1e-6).
        swap: use the distance swap min(d(a, n), d(p, n)) (default False).
        size_average: deprecated (use ``reduction``).
        reduce: deprecated (use ``reduction``).
        reduction: 'mean' (default), 'sum' or 'none'.

    Shape: anchor, positive, negative (N, D) or (D,) -> scalar, or (N,) for 'none'.
    """

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                 swap: bool = False, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        if not margin > 0:
            raise ValueError(f"TripletMarginLoss: margin must be greater than 0, got {margin}")
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return losses.triplet_margin_loss(anchor, positive, negative, self.margin, self.p,
                                          self.eps, self.swap, reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """(1/C)·Σ_{j ≠ t} w[t]·max(0, margin − x[t] + x[j])^p per sample (multi-class hinge).

    Args:
        p: 1 or 2 (default 1).
        margin: the margin (default 1.0).
        weight: class weights of shape (C,) (a buffer).
        size_average: deprecated (use ``reduction``).
        reduce: deprecated (use ``reduction``).
        reduction: 'mean' (default), 'sum' or 'none'.

    Shape: input (N, C) or (C,); target (N,) or () int64 -> scalar, or (N,) for 'none'.
    """

    def __init__(self, p: int = 1, margin: float = 1.0, weight: Any = None,
                 size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: only p == 1 and p == 2 are supported, got {p}")
        self.p, self.margin = p, margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return losses.multi_margin_loss(input, target, self.p, self.margin, self.weight,
                                        reduction=self.reduction)


__all__ = [
    "CosineEmbeddingLoss", "HingeEmbeddingLoss", "MarginRankingLoss", "MultiLabelSoftMarginLoss",
    "MultiMarginLoss", "SoftMarginLoss", "TripletMarginLoss",
]
