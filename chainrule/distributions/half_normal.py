"""The half-normal distribution: the absolute value of a centred normal."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor
from . import constraints
from ._univariate import InverseCdfSampled, expanded, filled, nonnegative, replaced
from .normal import Normal
from .utils import as_tensor


class HalfNormal(InverseCdfSampled):
    """torch.distributions.HalfNormal(scale): |X| for X ~ Normal(0, scale).

    density  p(x) = √2/(σ√π)·e^(−x²/(2σ²)) for x ≥ 0,  σ = scale;  CDF F(x) = 2Φ(x/σ) − 1.

    Args:
        scale: σ > 0, the scale of the full normal (a number or a Tensor).
        validate_args: check that scale > 0 and that values are non-negative (default True).

    ``base_dist`` is the Normal(0, scale). ``rsample`` is the inverse CDF σ·Φ⁻¹((u + 1)/2)
    of u ~ U(0, 1), differentiable in σ. PyTorch builds this as a TransformedDistribution of
    the normal; here it is a Distribution of its own.

    Example:
        >>> from chainrule.distributions import HalfNormal
        >>> round(HalfNormal(1.0).mean.item(), 4)  # √(2/π)
        0.7979
    """

    arg_constraints = {"scale": constraints.positive}
    support = nonnegative

    def __init__(self, scale: Any, validate_args: bool | None = None) -> None:
        self.base_dist = Normal(0, scale, validate_args=False)
        self._dtype = self.base_dist.scale.dtype
        super().__init__(self.base_dist.batch_shape, (), validate_args)

    @property
    def scale(self) -> Tensor:
        return self.base_dist.scale

    def expand(self, batch_shape: Any, _instance: Any = None) -> HalfNormal:
        """This distribution over a larger batch_shape (the scale broadcast to it)."""
        new = expanded(self, batch_shape, ())
        new.base_dist = expanded(self.base_dist, batch_shape, ("loc", "scale"))
        return new

    @property
    def mean(self) -> Tensor:
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def mode(self) -> Tensor:
        return filled(self._batch_shape, 0.0, self._dtype)

    @property
    def variance(self) -> Tensor:
        return self.scale ** 2 * (1 - 2 / math.pi)

    def log_prob(self, value: Any) -> Tensor:
        """log 2 + the Normal(0, σ) log-density for x ≥ 0, −inf for x < 0."""
        value = self._value(value)
        log_prob = self.base_dist.log_prob(value) + math.log(2)
        return replaced(log_prob, value.data < 0, -np.inf)

    def cdf(self, value: Any) -> Tensor:
        """2Φ(x/σ) − 1."""
        value = self._value(value)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, value: Any) -> Tensor:
        """σ·Φ⁻¹((p + 1)/2)."""
        return self.base_dist.icdf((as_tensor(value, self._dtype) + 1) / 2)

    def entropy(self) -> Tensor:
        """The Normal(0, σ) entropy − log 2."""
        return self.base_dist.entropy() - math.log(2)
