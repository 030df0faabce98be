"""The continuous uniform distribution on [low, high)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..grad_mode import no_grad
from ..methods.math import where
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import as_tensor, broadcast_all, generator


class Uniform(Distribution):
    """torch.distributions.Uniform(low, high): a batch of uniform distributions on
    [low, high).

    Args:
        low: the lower bound (inclusive).
        high: the upper bound (exclusive), greater than low.
        validate_args: check that low < high, and that values lie in [low, high].

    ``rsample`` draws low + u·(high − low), u ~ U[0, 1) from chainrule's generator,
    differentiable in both bounds; log_prob is −log(high − low) inside and −inf outside.

    Example:
        >>> from chainrule.distributions import Uniform
        >>> Uniform(0.0, 2.0).entropy().item()  # log 2
        0.6931...
    """

    arg_constraints = {"low": constraints.dependent, "high": constraints.dependent}
    has_rsample = True

    def __init__(self, low: Any, high: Any, validate_args: bool | None = None) -> None:
        self.low, self.high = broadcast_all(low, high)
        super().__init__(self.low.shape, (), validate_args)
        if self._validate_args and not np.all(self.low.data < self.high.data):
            raise ValueError("Uniform is not defined when low>= high")

    @property
    def support(self) -> constraints.Constraint:
        return constraints.interval(self.low.data, self.high.data)

    @property
    def mean(self) -> Tensor:
        return (self.high + self.low) / 2

    @property
    def mode(self) -> Tensor:
        """Undefined (every point of the interval is a mode): NaN, as PyTorch gives."""
        return Tensor(np.full(self._batch_shape, np.nan, self.low.dtype))

    @property
    def stddev(self) -> Tensor:
        return (self.high - self.low) / 12 ** 0.5

    @property
    def variance(self) -> Tensor:
        return (self.high - self.low) ** 2 / 12

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """low + u·(high − low), u ~ U[0, 1) of shape sample_shape + batch_shape."""
        shape = self._extended_shape(sample_shape)
        u = Tensor(generator().random(shape).astype(self.low.dtype), dtype=self.low.dtype)
        return self.low + u * (self.high - self.low)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        with no_grad():
            return self.rsample(sample_shape).detach()

    def log_prob(self, value: Any) -> Tensor:
        """−log(high − low) for low ≤ x < high, −inf elsewhere."""
        value = self._value(value)
        inside = (self.low.data <= value.data) & (value.data < self.high.data)
        density = -(self.high - self.low).log()
        shape = np.broadcast_shapes(inside.shape, density.shape)
        density = density if density.shape == shape else density.expand(*shape)
        return where(np.broadcast_to(inside, shape), density, -np.inf)

    def cdf(self, value: Any) -> Tensor:
        """(x − low)/(high − low), clamped to [0, 1]."""
        value = self._value(value)
        return ((value - self.low) / (self.high - self.low)).clamp(0, 1)

    def icdf(self, value: Any) -> Tensor:
        """low + p·(high − low)."""
        return as_tensor(value, self.low.dtype) * (self.high - self.low) + self.low

    def entropy(self) -> Tensor:
        """log(high − low)."""
        return (self.high - self.low).log()
