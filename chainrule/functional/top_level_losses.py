"""The ``torch.*`` forms of the losses (``torch.kl_div``, ``torch.ctc_loss`` ...): the
functional losses with torch's top-level signatures, whose ``reduction`` is an int
(torch's ``_Reduction`` enum: 0 = 'none', 1 = 'mean', 2 = 'sum') rather than a string.

NOTE: torch's schemas and stubs give ``reduction`` the default 1 ('mean'), but torch 2.13
called with ``reduction`` left out returns the unreduced loss: its Python argument parser
reads the schema's default ``at::Reduction::Mean`` as 0. The default here is therefore 0,
which is what a script that leaves it out gets from torch (tests/test_top_level_nn.py pins
it against torch). ``poisson_nll_loss`` has no default.

NOTE: torch reads any int other than 1 and 2 as 'none'; these refuse it (ValueError), so
that a mistyped reduction is not silently a per-element loss. A string, float or bool is a
TypeError, as in torch. ``chainrule.functional.top_level`` re-exports them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from . import likelihood, loss
from . import margin as _margin  # ``margin`` is also a parameter name below
from .ctc import ctc_loss as _ctc_loss

_REDUCTIONS = ("none", "mean", "sum")


def _reduction_name(name: str, reduction: Any, position: int) -> str:
    """'none', 'mean' or 'sum' for the enum value ``reduction``; TypeError/ValueError else."""
    if isinstance(reduction, (bool, np.bool_)) or not isinstance(reduction, (int, np.integer)):
        raise TypeError(f"{name}(): argument 'reduction' (position {position}) must be int "
                        f"(0 = 'none', 1 = 'mean', 2 = 'sum'), not {type(reduction).__name__}")
    if not 0 <= reduction <= 2:
        raise ValueError(f"{name}(): reduction must be 0 ('none'), 1 ('mean') or 2 ('sum'), "
                         f"got {reduction}")
    return _REDUCTIONS[int(reduction)]


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None,
                                     pos_weight: Tensor | None = None,
                                     reduction: int = 0) -> Tensor:
    """``F.binary_cross_entropy_with_logits`` with torch's top-level order (``pos_weight``
    fourth) and an int ``reduction``.

    Example:
        >>> import chainrule
        >>> x = chainrule.zeros(2)
        >>> binary_cross_entropy_with_logits(x, chainrule.ones(2)).shape  # 0: 'none'
        (2,)
        >>> round(binary_cross_entropy_with_logits(x, chainrule.ones(2), None, None, 2).item(), 4)
        1.3863
    """
    mode = _reduction_name("binary_cross_entropy_with_logits", reduction, 5)
    return loss.binary_cross_entropy_with_logits(input, target, weight, reduction=mode,
                                                 pos_weight=pos_weight)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          reduction: int = 0) -> Tensor:
    """``F.cosine_embedding_loss`` with an int ``reduction``."""
    mode = _reduction_name("cosine_embedding_loss", reduction, 5)
    return _margin.cosine_embedding_loss(input1, input2, target, margin, reduction=mode)


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths: Any, target_lengths: Any,
             blank: int = 0, reduction: int = 0, zero_infinity: bool = False) -> Tensor:
    """``F.ctc_loss`` with an int ``reduction`` (1: each loss divided by its target length,
    then the batch mean)."""
    mode = _reduction_name("ctc_loss", reduction, 6)
    return _ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, mode,
                     zero_infinity)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         reduction: int = 0) -> Tensor:
    """``F.hinge_embedding_loss`` with an int ``reduction``."""
    mode = _reduction_name("hinge_embedding_loss", reduction, 4)
    return _margin.hinge_embedding_loss(input, target, margin, reduction=mode)


def kl_div(input: Tensor, target: Tensor, reduction: int = 0, *,
           log_target: bool = False) -> Tensor:
    """``F.kl_div`` with an int ``reduction`` (``input`` holds log-probabilities).

    NOTE: 1 is the mean over every element, without the warning that ``F.kl_div``'s 'mean'
    gives (torch's top-level form gives none): it is the mean of the 'none' losses.
    """
    mode = _reduction_name("kl_div", reduction, 3)
    if mode == "mean":
        return loss.kl_div(input, target, reduction="none", log_target=log_target).mean()
    return loss.kl_div(input, target, reduction=mode, log_target=log_target)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        reduction: int = 0) -> Tensor:
    """``F.margin_ranking_loss`` with an int ``reduction``."""
    mode = _reduction_name("margin_ranking_loss", reduction, 5)
    return _margin.margin_ranking_loss(input1, input2, target, margin, reduction=mode)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool, full: bool, eps: float,
                     reduction: int) -> Tensor:
    """``F.poisson_nll_loss`` with every argument required, as torch's top-level form has it,
    and an int ``reduction``."""
    mode = _reduction_name("poisson_nll_loss", reduction, 6)
    return likelihood.poisson_nll_loss(input, target, log_input, full, eps=eps, reduction=mode)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                        margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                        swap: bool = False, reduction: int = 0) -> Tensor:
    """``F.triplet_margin_loss`` with an int ``reduction``."""
    mode = _reduction_name("triplet_margin_loss", reduction, 8)
    return _margin.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                       reduction=mode)

