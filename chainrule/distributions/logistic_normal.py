"""The logistic-normal distribution on the simplex: a normal vector mapped by stick
breaking."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from . import constraints
from .normal import Normal
from .transformed_distribution import TransformedDistribution, expand_distribution
from .transforms import StickBreakingTransform


class LogisticNormal(TransformedDistribution):
    """torch.distributions.LogisticNormal(loc, scale): Y = StickBreaking(X) on the simplex
    of K + 1 entries, X ~ Normal(loc, scale) with K independent entries (the last batch
    dimension of loc and scale, which becomes the event dimension).

    Equivalently log(Yᵢ / (1 − Σⱼ₍ⱼ<ᵢ₎Yⱼ)) − offset ~ Normal: see ``StickBreakingTransform``.

    Args:
        loc: the means of X (a Tensor (..., K) or a number, read as K = 1).
        scale: the standard deviations of X, > 0.
        validate_args: check that scale > 0 and that values lie on the simplex.

    Example:
        >>> import chainrule
        >>> from chainrule.distributions import LogisticNormal
        >>> d = LogisticNormal(chainrule.zeros(3), chainrule.ones(3))
        >>> d.event_shape, d.rsample((2,)).shape
        ((4,), (2, 4))
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        base_dist = Normal(loc, scale, validate_args=validate_args)
        if not base_dist.batch_shape:
            base_dist = expand_distribution(base_dist, (1,))
        super().__init__(base_dist, StickBreakingTransform(), validate_args=validate_args)

    @property
    def loc(self) -> Tensor:
        return self.base_dist.base_dist.loc

    @property
    def scale(self) -> Tensor:
        return self.base_dist.base_dist.scale
