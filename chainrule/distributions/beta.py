"""The beta distribution on [0, 1]."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..grad_mode import no_grad
from ..tensor import Tensor
from . import constraints
from ._univariate import expanded, replaced
from .distribution import Distribution
from .standard_gamma import standard_gamma
from .utils import broadcast_all


class Beta(Distribution):
    """torch.distributions.Beta(concentration1, concentration0): a batch of beta
    distributions.

    density  p(x) = x^(a−1) (1 − x)^(b−1) / B(a, b) on [0, 1],  a = concentration1,
    b = concentration0,  B(a, b) = Γ(a)Γ(b)/Γ(a + b).

    Args:
        concentration1: a > 0 (often α), the exponent of x.
        concentration0: b > 0 (often β), the exponent of 1 − x.
        validate_args: check that a, b > 0 and that values lie in [0, 1] (default True).

    ``rsample`` is g₁/(g₁ + g₀) for g₁ ~ Gamma(a, 1), g₀ ~ Gamma(b, 1), differentiable in a
    and b through the gamma draws' implicit gradient (``standard_gamma``). As in PyTorch,
    a gamma draw that underflows is clamped to the dtype's tiny, which matters only for
    concentrations far below 0.01.

    Example:
        >>> from chainrule.distributions import Beta
        >>> Beta(2.0, 6.0).mean.item()
        0.25
    """

    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1: Any, concentration0: Any,
                 validate_args: bool | None = None) -> None:
        self.concentration1, self.concentration0 = broadcast_all(concentration1,
                                                                 concentration0)
        super().__init__(self.concentration1.shape, (), validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Beta:
        """This distribution over a larger batch_shape (the parameters broadcast to it)."""
        return expanded(self, batch_shape, ("concentration1", "concentration0"))

    @property
    def mean(self) -> Tensor:
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self) -> Tensor:
        """(a − 1)⁺/((a − 1)⁺ + (b − 1)⁺): NaN when both are 0, and 1 when a < 1 and b < 1
        (PyTorch's choice between the two modes 0 and 1); differentiable in a and b."""
        am1 = (self.concentration1 - 1).clamp(min=0)
        bm1 = (self.concentration0 - 1).clamp(min=0)
        both_below_one = (self.concentration1.data < 1) & (self.concentration0.data < 1)
        with np.errstate(invalid="ignore"):  # 0/0 where both are at most 1
            return replaced(am1 / (am1 + bm1), both_below_one, 1.0)

    @property
    def variance(self) -> Tensor:
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total ** 2 * (total + 1))

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """g₁/(g₁ + g₀), of shape sample_shape + batch_shape (differentiable)."""
        shape = self._extended_shape(sample_shape)
        a, b = self.concentration1, self.concentration0
        if a.shape != shape:
            a, b = a.expand(*shape), b.expand(*shape)
        heads, tails = standard_gamma(a), standard_gamma(b)
        return heads / (heads + tails)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """A draw of shape sample_shape + batch_shape, with no gradient."""
        with no_grad():
            return self.rsample(sample_shape).detach()

    def log_prob(self, value: Any) -> Tensor:
        """(a − 1)·log x + (b − 1)·log(1 − x) − log B(a, b)  (0·log 0 = 0)."""
        value = self._value(value)
        a, b = self.concentration1, self.concentration0
        return (a - 1).xlogy(value) + (b - 1).xlogy(1.0 - value) + (a + b).lgamma() \
            - a.lgamma() - b.lgamma()

    def entropy(self) -> Tensor:
        """log B(a, b) − (a − 1)ψ(a) − (b − 1)ψ(b) + (a + b − 2)ψ(a + b)."""
        a, b = self.concentration1, self.concentration0
        total = a + b
        return a.lgamma() + b.lgamma() - total.lgamma() - (2 - total) * total.digamma() \
            - (a - 1) * a.digamma() - (b - 1) * b.digamma()
