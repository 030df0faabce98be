"""More margin loss modules, thin wrappers over ``chainrule.functional.margin_more`` with
PyTorch's constructor arguments: ``MultiLabelMarginLoss``, ``TripletMarginWithDistanceLoss``.
"""

from __future__ import annotations

from typing import Any, Callable

from ..functional.margin_more import multilabel_margin_loss, triplet_margin_with_distance_loss
from ..tensor import Tensor
from .distance import PairwiseDistance
from .loss import _Loss


class MultiLabelMarginLoss(_Loss):
    """Multi-label hinge loss Σ_{j∈J} Σ_{i∉J} max(0, 1 − (x_j − x_i)) / C, J the target
    classes listed before the first −1; see ``functional.multilabel_margin_loss``.

    Args:
        size_average: deprecated (use ``reduction``).
        reduce: deprecated (use ``reduction``).
        reduction: 'mean' (default), 'sum' or 'none'.

    Shape: input (N, C) or (C,), target int64 of the same shape -> scalar, or (N,) for 'none'.

    Example:
        >>> import chainrule
        >>> loss = chainrule.nn.MultiLabelMarginLoss()
        >>> round(loss(chainrule.tensor([0.1, 0.2, 0.4, 0.8]),
        ...            chainrule.tensor([3, 0, -1, 1])).item(), 4)
        0.85
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return multilabel_margin_loss(input, target, reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """max(0, d(a, p) − d(a, n) + margin) with any distance d; see
    ``functional.triplet_margin_with_distance_loss``.

    Args (keyword-only, as in PyTorch):
        distance_function: d (default: ``PairwiseDistance()``, held as a child module as in
            PyTorch; a Module given is registered too).
        margin: the margin, > 0 (default 1.0).
        swap: use the distance swap min(d(a, n), d(p, n)).
        reduction: 'mean' (default), 'sum' or 'none'.

    Shape: anchor, positive, negative (N, D) -> scalar, or (N,) for 'none'.

    Example:
        >>> import chainrule
        >>> chainrule.nn.TripletMarginWithDistanceLoss(margin=0.5).margin
        0.5
    """

    def __init__(self, *, distance_function: Callable[[Any, Any], Any] | None = None,
                 margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        if not margin > 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: margin must be greater than 0, "
                             f"got {margin}")
        self.distance_function = (distance_function if distance_function is not None
                                  else PairwiseDistance())
        self.margin, self.swap = margin, swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return triplet_margin_with_distance_loss(
            anchor, positive, negative, distance_function=self.distance_function,
            margin=self.margin, swap=self.swap, reduction=self.reduction)
