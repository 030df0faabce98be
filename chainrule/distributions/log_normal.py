"""The log-normal distribution: the law of e^X for X ~ N(loc, scale²)."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from . import constraints
from .normal import Normal
from .transformed_distribution import TransformedDistribution
from .transforms import ExpTransform


class LogNormal(TransformedDistribution):
    """torch.distributions.LogNormal(loc, scale): Y = e^X, X ~ Normal(loc, scale).

    density  p(y) = exp(−(log y − μ)²/(2σ²)) / (yσ√(2π)) on y > 0,  μ = loc, σ = scale.

    Args:
        loc: μ, the mean of log Y (a number or a Tensor).
        scale: σ > 0, the standard deviation of log Y (a number or a Tensor).
        validate_args: check that scale > 0 and that values are positive (default True).

    A ``TransformedDistribution`` of ``Normal(loc, scale)`` by ``ExpTransform``: ``rsample``
    is e^(μ + σε), differentiable in μ and σ; log_prob, cdf and icdf follow from the normal's.
    The KL divergence of two log-normals is that of their normals.

    Example:
        >>> from chainrule.distributions import LogNormal
        >>> round(LogNormal(0.0, 1.0).mean.item(), 4)  # e^(1/2)
        1.6487
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive
    has_rsample = True
    base_dist: Normal

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        base_dist = Normal(loc, scale, validate_args=validate_args)
        super().__init__(base_dist, ExpTransform(), validate_args=validate_args)

    @property
    def loc(self) -> Tensor:
        return self.base_dist.loc

    @property
    def scale(self) -> Tensor:
        return self.base_dist.scale

    @property
    def mean(self) -> Tensor:
        """e^(μ + σ²/2)."""
        return (self.loc + self.scale ** 2 / 2).exp()

    @property
    def mode(self) -> Tensor:
        """e^(μ − σ²)."""
        return (self.loc - self.scale.square()).exp()

    @property
    def variance(self) -> Tensor:
        """(e^(σ²) − 1)·e^(2μ + σ²)."""
        scale_sq = self.scale ** 2
        return scale_sq.expm1() * (2 * self.loc + scale_sq).exp()

    def entropy(self) -> Tensor:
        """The normal's entropy plus μ: ½ + ½·log(2π) + log σ + μ."""
        return self.base_dist.entropy() + self.loc


