"""The Poisson distribution over the counts {0, 1, 2, …}."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from ._univariate import expanded, nonnegative, nonnegative_integer
from .distribution import Distribution
from .utils import broadcast_all, generator


class Poisson(Distribution):
    """torch.distributions.Poisson(rate): a batch of Poisson distributions.

    mass  P(k) = λᵏ e^(−λ) / k!,  λ = rate,  k = 0, 1, 2, …

    Args:
        rate: λ ≥ 0 (a number or a Tensor).
        validate_args: check that rate ≥ 0 and that values are non-negative integers.

    log_prob is differentiable in λ (d/dλ = k/λ − 1). Samples are floats of the rate's
    dtype drawn by NumPy's Poisson sampler from chainrule's generator; there is no
    reparameterised sample, and no entropy (PyTorch has none).

    Example:
        >>> import chainrule
        >>> from chainrule.distributions import Poisson
        >>> round(Poisson(2.0).log_prob(chainrule.tensor(0.0)).item(), 4)  # −λ
        -2.0
    """

    arg_constraints = {"rate": nonnegative}
    support = nonnegative_integer

    def __init__(self, rate: Any, validate_args: bool | None = None) -> None:
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, (), validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Poisson:
        """This distribution over a larger batch_shape (the rate broadcast to it)."""
        return expanded(self, batch_shape, ("rate",))

    @property
    def mean(self) -> Tensor:
        return self.rate

    @property
    def mode(self) -> Tensor:
        return self.rate.floor()

    @property
    def variance(self) -> Tensor:
        return self.rate

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Counts (floats) of shape sample_shape + batch_shape, with no gradient."""
        shape = self._extended_shape(sample_shape)
        rate = self.rate.data
        counts = generator().poisson(np.broadcast_to(rate.astype(np.float64), shape))
        return Tensor(counts.astype(rate.dtype), dtype=rate.dtype)

    def log_prob(self, value: Any) -> Tensor:
        """k·log λ − λ − log k!  (with 0·log 0 = 0, so P(0) = 1 when λ = 0)."""
        rate, value = broadcast_all(self.rate, self._value(value))
        return value.xlogy(rate) - rate - (value + 1).lgamma()
