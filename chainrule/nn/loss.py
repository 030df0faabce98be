"""Loss modules: thin wrappers over ``chainrule.functional``'s losses, with PyTorch's
constructor arguments (including the deprecated ``size_average``/``reduce`` pair) and reprs.

Class weights (``weight``, and ``pos_weight`` of ``BCEWithLogitsLoss``) are registered as
buffers, as in PyTorch: saved in ``state_dict``, converted by ``.to()``, never trained. The
``reduction`` is checked when the module is built, so a typo fails at construction.
"""

from __future__ import annotations

import warnings
from typing import Any

from ..functional import categorical, likelihood
from ..functional import loss as losses
from ..tensor import Tensor
from .module import Module


class _Loss(Module):
    """Base of the loss modules: holds the checked ``reduction``."""

    _allowed: tuple[str, ...] = ("none", "mean", "sum")

    def __init__(self, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = losses._reduction(type(self).__name__, reduction, size_average, reduce,
                                           self._allowed)


class _WeightedLoss(_Loss):
    """A loss with an optional per-class ``weight`` buffer."""

    def __init__(self, weight: Any = None, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """Mean squared error ℓᵢ = (xᵢ − yᵢ)², reduced by ``reduction`` ('mean', 'sum', 'none').

    Shape: input (*), target (*) of the same shape -> scalar, or (*) for 'none'.

    Example:
        >>> import chainrule
        >>> MSELoss()(chainrule.tensor([1.0, 2.0]), chainrule.tensor([1.0, 4.0]))
        tensor(2.)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return losses.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error ℓᵢ = |xᵢ − yᵢ|, reduced.   Shape: as ``MSELoss``."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return losses.l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """Huber loss: ½d² where |d| < delta, else delta·(|d| − ½delta), with d = x − y.

    Args:
        reduction: 'mean' (default), 'sum' or 'none'.
        delta: where the quadratic turns linear, > 0 (default 1.0).

    Shape: as ``MSELoss``.
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return losses.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SmoothL1Loss(_Loss):
    """Smooth L1: ½d²/beta where |d| < beta, else |d| − ½beta (plain L1 for beta = 0).

    Args:
        size_average: deprecated (use ``reduction``).
        reduce: deprecated (use ``reduction``).
        reduction: 'mean' (default), 'sum' or 'none'.
        beta: where the quadratic turns linear, ≥ 0 (default 1.0).

    Shape: as ``MSELoss``.
    """

    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean",
                 beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return losses.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of raw logits against class indices or class probabilities:
    ℓᵢ = −w[tᵢ]·log softmax(xᵢ)[tᵢ] (fused: one node, gradient softmax − onehot).

    Args:
        weight: per-class weights, shape (C,) (a buffer).
        size_average: deprecated (use ``reduction``).
        ignore_index: class index whose targets are skipped (default −100).
        reduce: deprecated (use ``reduction``).
        reduction: 'mean' (divides by the total weight of non-ignored targets), 'sum', 'none'.
        label_smoothing: ε in [0, 1]; the target becomes (1 − ε)·y + ε/C.

    Shape: input (N, C), (N, C, d₁, …) or (C,); target (N, d₁, …) or () int64 class indices,
    or float probabilities of the input's shape. Output: scalar, or (N, d₁, …) for 'none'.

    Example:
        >>> import chainrule
        >>> loss = CrossEntropyLoss()(chainrule.zeros(2, 4), chainrule.tensor([1, 3]))
        >>> round(loss.item(), 4)
        1.3863
    """

    def __init__(self, weight: Any = None, size_average: Any = None, ignore_index: int = -100,
                 reduce: Any = None, reduction: str = "mean", label_smoothing: float = 0.0
                 ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return categorical.cross_entropy(
            input, target, weight=self.weight, ignore_index=self.ignore_index,
            reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of class indices on log-probabilities: ℓᵢ = −w[tᵢ]·xᵢ,ₜᵢ.

    Args:
        weight: per-class weights, shape (C,) (a buffer).
        size_average: deprecated (use ``reduction``).
        ignore_index: class index whose targets are skipped (default −100).
        reduce: deprecated (use ``reduction``).
        reduction: 'mean' (divides by the total weight of non-ignored targets), 'sum', 'none'.

    Shape: input (N, C, …) or (C,); target (N, …) or () int64 in [0, C).
    """

    def __init__(self, weight: Any = None, size_average: Any = None, ignore_index: int = -100,
                 reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return categorical.nll_loss(input, target, weight=self.weight,
                                    ignore_index=self.ignore_index, reduction=self.reduction)


class NLLLoss2d(NLLLoss):
    """Deprecated, as in PyTorch: ``NLLLoss`` itself (which takes (N, C, H, W) input and
    (N, H, W) targets), under its old name; building one warns with a ``FutureWarning``.

    Args: as ``NLLLoss``.
    """

    def __init__(self, weight: Any = None, size_average: Any = None, ignore_index: int = -100,
                 reduce: Any = None, reduction: str = "mean") -> None:
        warnings.warn("`NLLLoss2d` has been deprecated. Please use `NLLLoss` instead as a "
                      "drop-in replacement and see "
                      "https://pytorch.org/docs/main/nn.html#torch.nn.NLLLoss for more details.",
                      FutureWarning, stacklevel=2)
        super().__init__(weight, size_average, ignore_index, reduce, reduction)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities, logs clamped at −100:
    ℓᵢ = −wᵢ[yᵢ log xᵢ + (1 − yᵢ) log(1 − xᵢ)].

    Args:
        weight: elementwise weights broadcastable to the input (a buffer).
        size_average: deprecated (use ``reduction``).
        reduce: deprecated (use ``reduction``).
        reduction: 'mean' (default), 'sum' or 'none'.

    Shape: input (*) in [0, 1], target (*) -> scalar, or (*) for 'none'.
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return losses.binary_cross_entropy(input, target, weight=self.weight,
                                           reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Binary cross-entropy of logits in the stable form max(z, 0) − z·y + log1p(e^(−|z|))
    (fused: one node, gradient σ(z) − y), with an optional positive-class weight.

    Args:
        weight: elementwise weights broadcastable to the input (a buffer).
        size_average: deprecated (use ``reduction``).
        reduce: deprecated (use ``reduction``).
        reduction: 'mean' (default), 'sum' or 'none'.
        pos_weight: weight of positive examples, broadcastable to the input, e.g. (C,) for
            targets (N, C) (a buffer).

    Shape: input (*) logits, target (*) -> scalar, or (*) for 'none'.
    """

    def __init__(self, weight: Any = None, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean", pos_weight: Any = None) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return losses.binary_cross_entropy_with_logits(
            input, target, weight=self.weight, reduction=self.reduction,
            pos_weight=self.pos_weight)


class KLDivLoss(_Loss):
    """Kullback–Leibler divergence of the target from log-probabilities x:
    ℓᵢ = yᵢ(log yᵢ − xᵢ), or e^(yᵢ)(yᵢ − xᵢ) when ``log_target``.

    Args:
        size_average: deprecated (use ``reduction``).
        reduce: deprecated (use ``reduction``).
        reduction: 'mean' (every element; warns, as PyTorch does), 'batchmean' (the true KL
            divergence: sum / batch size), 'sum' or 'none'.
        log_target: the target is given as log-probabilities.

    Shape: input (*), target (*) of the same shape.
    """

    _allowed = ("none", "mean", "sum", "batchmean")

    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean",
                 log_target: bool = False) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return losses.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class PoissonNLLLoss(_Loss):
    """Poisson negative log-likelihood: e^x − y·x (``log_input``) or x − y·log(x + eps), plus
    the Stirling term of log(y!) where y > 1 with ``full``.

    Args:
        log_input: the input is the log of the rate (default True).
        full: add the Stirling term (default False).
        size_average: deprecated (use ``reduction``).
        eps: added to the rate before its log when not ``log_input`` (default 1e-8).
        reduce: deprecated (use ``reduction``).
        reduction: 'mean' (default), 'sum' or 'none'.

    Shape: input (*), target (*) of the same shape -> scalar, or (*) for 'none'.
    """

    def __init__(self, log_input: bool = True, full: bool = False, size_average: Any = None,
                 eps: float = 1e-8, reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input: Tensor, target: Tensor) -> Tensor:
        return likelihood.poisson_nll_loss(log_input, target, log_input=self.log_input,
                                           full=self.full, eps=self.eps,
                                           reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood: ½·(log max(var, eps) + (x − y)² / max(var, eps)),
    plus ½·log(2π) with ``full``.

    Args:
        full: add the constant term (default False).
        eps: the floor on the variance (default 1e-6).
        reduction: 'mean' (default), 'sum' or 'none'.

    Shape: input (*), target (*) of the same shape, var (*), (*) without the last dimension,
    or (*) with one size-1 dimension, or a number -> scalar, or (*) for 'none'.
    """

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        self.full, self.eps = full, eps

    def forward(self, input: Tensor, target: Tensor, var: Any) -> Tensor:
        return likelihood.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                            reduction=self.reduction)


__all__ = [
    "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "GaussianNLLLoss", "HuberLoss",
    "KLDivLoss", "L1Loss", "MSELoss", "NLLLoss", "NLLLoss2d", "PoissonNLLLoss", "SmoothL1Loss",
]
