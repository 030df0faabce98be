"""The connectionist temporal classification loss module, ``CTCLoss``: a thin wrapper over
``chainrule.functional.ctc_loss`` with PyTorch's constructor arguments."""

from __future__ import annotations

from typing import Any

from ..functional.ctc import ctc_loss
from ..tensor import Tensor
from .loss import _Loss


class CTCLoss(_Loss):
    """Connectionist temporal classification loss ℓₙ = −log P(targetₙ | log_probsₙ), summed
    over all alignments of the target with the input frames; see ``functional.ctc_loss``.

    Args:
        blank: the class index of the blank (default 0).
        reduction: 'mean' (default: each loss divided by its target length, clamped to at
            least 1, then averaged over the batch), 'sum' or 'none'.
        zero_infinity: make infinite losses (no alignment exists) and their gradients 0.

    Shape: log_probs (T, N, C) or (T, C); targets (N, S) padded, (sum(target_lengths),)
    concatenated, or (S,) unbatched; input_lengths and target_lengths (N,), or scalars when
    unbatched. Output: scalar, or (N,) for 'none'.

    Example:
        >>> import chainrule
        >>> log_probs = chainrule.zeros(3, 1, 2).log_softmax(-1)
        >>> round(CTCLoss()(log_probs, chainrule.tensor([[1]]), [3], [1]).item(), 4)
        0.2877
    """

    def __init__(self, blank: int = 0, reduction: str = "mean",
                 zero_infinity: bool = False) -> None:
        super().__init__(reduction=reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs: Tensor, targets: Any, input_lengths: Any,
                target_lengths: Any) -> Tensor:
        return ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=self.blank,
                        reduction=self.reduction, zero_infinity=self.zero_infinity)
