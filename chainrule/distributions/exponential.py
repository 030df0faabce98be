"""The exponential distribution with rate λ."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from . import constraints
from ._univariate import InverseCdfSampled, expanded, nonnegative
from .utils import as_tensor, broadcast_all


class Exponential(InverseCdfSampled):
    """torch.distributions.Exponential(rate): a batch of exponential distributions.

    density  p(x) = λ·e^(−λx) for x ≥ 0,  λ = rate;  CDF F(x) = 1 − e^(−λx).

    Args:
        rate: λ > 0, the inverse of the scale (a number or a Tensor).
        validate_args: check that rate > 0 and that values are non-negative (default True).

    ``rsample`` is the inverse CDF −log(1 − u)/λ of u ~ U(0, 1) from chainrule's generator,
    differentiable in λ.

    Example:
        >>> from chainrule.distributions import Exponential
        >>> Exponential(2.0).mean.item()
        0.5
    """

    arg_constraints = {"rate": constraints.positive}
    support = nonnegative

    def __init__(self, rate: Any, validate_args: bool | None = None) -> None:
        (self.rate,) = broadcast_all(rate)
        self._dtype = self.rate.dtype
        super().__init__(self.rate.shape, (), validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Exponential:
        """This distribution over a larger batch_shape (the rate broadcast to it)."""
        return expanded(self, batch_shape, ("rate",))

    @property
    def mean(self) -> Tensor:
        return self.rate.reciprocal()

    @property
    def mode(self) -> Tensor:
        return Tensor(np.zeros(self.rate.shape, self._dtype), dtype=self._dtype)

    @property
    def stddev(self) -> Tensor:
        return self.rate.reciprocal()

    @property
    def variance(self) -> Tensor:
        return self.rate ** -2

    def log_prob(self, value: Any) -> Tensor:
        """log λ − λx."""
        value = self._value(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value: Any) -> Tensor:
        """1 − e^(−λx), computed as −expm1(−λx) (exact for small λx)."""
        value = self._value(value)
        return -(-self.rate * value).expm1()

    def icdf(self, value: Any) -> Tensor:
        """−log(1 − p)/λ."""
        value = as_tensor(value, self._dtype)
        return -(-value).log1p() / self.rate

    def entropy(self) -> Tensor:
        """1 − log λ."""
        return 1.0 - self.rate.log()
