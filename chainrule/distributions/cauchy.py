"""The Cauchy (Lorentz) distribution and its absolute value, the half-Cauchy."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor
from . import constraints
from ._univariate import InverseCdfSampled, expanded, filled, nonnegative, replaced
from .utils import as_tensor, broadcast_all


class Cauchy(InverseCdfSampled):
    """torch.distributions.Cauchy(loc, scale): a batch of Cauchy distributions.

    density  p(x) = 1 / (πγ·(1 + ((x − x₀)/γ)²)),  x₀ = loc, γ = scale;
    CDF F(x) = atan((x − x₀)/γ)/π + ½.

    Args:
        loc: the mode and median x₀ (a number or a Tensor).
        scale: the half width at half maximum γ > 0 (a number or a Tensor).
        validate_args: check that scale > 0 and that values are real (default True).

    The mean is undefined (NaN) and the variance infinite, as PyTorch gives them.
    ``rsample`` is the inverse CDF x₀ + γ·tan(π(u − ½)) of u ~ U(0, 1), differentiable in
    x₀ and γ.

    Example:
        >>> import chainrule
        >>> from chainrule.distributions import Cauchy
        >>> Cauchy(1.0, 2.0).cdf(chainrule.tensor(1.0)).item()
        0.5
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        self._dtype = self.loc.dtype
        super().__init__(self.loc.shape, (), validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Cauchy:
        """This distribution over a larger batch_shape (the parameters broadcast to it)."""
        return expanded(self, batch_shape, ("loc", "scale"))

    @property
    def mean(self) -> Tensor:
        """Undefined: NaN."""
        return filled(self._batch_shape, np.nan, self._dtype)

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        """Infinite."""
        return filled(self._batch_shape, np.inf, self._dtype)

    def log_prob(self, value: Any) -> Tensor:
        """−log π − log γ − log1p(((x − x₀)/γ)²)."""
        value = self._value(value)
        return -math.log(math.pi) - self.scale.log() \
            - (((value - self.loc) / self.scale) ** 2).log1p()

    def cdf(self, value: Any) -> Tensor:
        """atan((x − x₀)/γ)/π + ½."""
        value = self._value(value)
        return ((value - self.loc) / self.scale).atan() / math.pi + 0.5

    def icdf(self, value: Any) -> Tensor:
        """x₀ + γ·tan(π(p − ½))."""
        value = as_tensor(value, self._dtype)
        return (math.pi * (value - 0.5)).tan() * self.scale + self.loc

    def entropy(self) -> Tensor:
        """log(4π) + log γ."""
        return math.log(4 * math.pi) + self.scale.log()


class HalfCauchy(InverseCdfSampled):
    """torch.distributions.HalfCauchy(scale): |X| for X ~ Cauchy(0, scale).

    density  p(x) = 2 / (πγ·(1 + (x/γ)²)) for x ≥ 0,  γ = scale;  CDF F(x) = 2·F_C(x) − 1
    with F_C the Cauchy(0, γ) CDF.

    Args:
        scale: γ > 0 (a number or a Tensor).
        validate_args: check that scale > 0 and that values are non-negative (default True).

    ``base_dist`` is the Cauchy(0, scale). The mean and variance are infinite, the mode 0.
    ``rsample`` is the inverse CDF F_C⁻¹((u + 1)/2), differentiable in γ. PyTorch builds
    this as a TransformedDistribution of the Cauchy; here it is a Distribution of its own.

    Example:
        >>> import chainrule
        >>> from chainrule.distributions import HalfCauchy
        >>> HalfCauchy(1.0).icdf(chainrule.tensor(0.5)).item()  # tan(π/4)
        1.0
    """

    arg_constraints = {"scale": constraints.positive}
    support = nonnegative

    def __init__(self, scale: Any, validate_args: bool | None = None) -> None:
        self.base_dist = Cauchy(0, scale, validate_args=False)
        self._dtype = self.base_dist.scale.dtype
        super().__init__(self.base_dist.batch_shape, (), validate_args)

    @property
    def scale(self) -> Tensor:
        return self.base_dist.scale

    def expand(self, batch_shape: Any, _instance: Any = None) -> HalfCauchy:
        """This distribution over a larger batch_shape (the scale broadcast to it)."""
        new = expanded(self, batch_shape, ())
        new.base_dist = self.base_dist.expand(batch_shape)
        return new

    @property
    def mean(self) -> Tensor:
        """Infinite."""
        return filled(self._batch_shape, np.inf, self._dtype)

    @property
    def mode(self) -> Tensor:
        return filled(self._batch_shape, 0.0, self._dtype)

    @property
    def variance(self) -> Tensor:
        """Infinite."""
        return self.base_dist.variance

    def log_prob(self, value: Any) -> Tensor:
        """log 2 + the Cauchy(0, γ) log-density for x ≥ 0, −inf for x < 0."""
        value = self._value(value)
        log_prob = self.base_dist.log_prob(value) + math.log(2)
        return replaced(log_prob, value.data < 0, -np.inf)

    def cdf(self, value: Any) -> Tensor:
        """2·F_C(x) − 1."""
        value = self._value(value)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, value: Any) -> Tensor:
        """F_C⁻¹((p + 1)/2)."""
        return self.base_dist.icdf((as_tensor(value, self._dtype) + 1) / 2)

    def entropy(self) -> Tensor:
        """The Cauchy(0, γ) entropy − log 2."""
        return self.base_dist.entropy() - math.log(2)
