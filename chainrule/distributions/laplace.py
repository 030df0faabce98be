"""The Laplace (double exponential) distribution."""

from __future__ import annotations

import math
from typing import Any

from ..tensor import Tensor
from . import constraints
from ._univariate import InverseCdfSampled, expanded
from .utils import as_tensor, broadcast_all


class Laplace(InverseCdfSampled):
    """torch.distributions.Laplace(loc, scale): a batch of Laplace distributions.

    density  p(x) = e^(−|x − μ|/b) / (2b),  μ = loc, b = scale;
    CDF F(x) = ½ − ½·sign(x − μ)·(e^(−|x − μ|/b) − 1).

    Args:
        loc: the mean and median μ (a number or a Tensor).
        scale: b > 0 (a number or a Tensor).
        validate_args: check that scale > 0 and that values are real (default True).

    ``rsample`` is the inverse CDF μ − b·sign(u − ½)·log(1 − 2|u − ½|) of u ~ U(0, 1),
    differentiable in μ and b. The gradient of |x − μ| at x = μ is 0.

    Example:
        >>> from chainrule.distributions import Laplace
        >>> Laplace(0.0, 1.0).variance.item()
        2.0
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        self._dtype = self.loc.dtype
        super().__init__(self.loc.shape, (), validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Laplace:
        """This distribution over a larger batch_shape (the parameters broadcast to it)."""
        return expanded(self, batch_shape, ("loc", "scale"))

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return 2 * self.scale ** 2

    @property
    def stddev(self) -> Tensor:
        return math.sqrt(2) * self.scale

    def log_prob(self, value: Any) -> Tensor:
        """−log(2b) − |x − μ|/b."""
        value = self._value(value)
        return -(2 * self.scale).log() - (value - self.loc).abs() / self.scale

    def cdf(self, value: Any) -> Tensor:
        """½ − ½·sign(x − μ)·expm1(−|x − μ|/b)."""
        value = self._value(value)
        delta = value - self.loc
        return 0.5 - 0.5 * delta.sign() * (-delta.abs() / self.scale).expm1()

    def icdf(self, value: Any) -> Tensor:
        """μ − b·sign(p − ½)·log1p(−2|p − ½|)."""
        term = as_tensor(value, self._dtype) - 0.5
        return self.loc - self.scale * term.sign() * (-2 * term.abs()).log1p()

    def entropy(self) -> Tensor:
        """1 + log(2b)."""
        return 1 + (2 * self.scale).log()
