"""The Gumbel (type-I extreme value) distribution."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor
from . import constraints
from ._univariate import InverseCdfSampled, expanded
from .utils import as_tensor, broadcast_all

EULER_GAMMA = 0.57721566490153286060


class Gumbel(InverseCdfSampled):
    """torch.distributions.Gumbel(loc, scale): a batch of Gumbel distributions.

    density  p(x) = e^(−(z + e^(−z)))/β,  z = (x − μ)/β,  μ = loc, β = scale;
    CDF F(x) = exp(−e^(−z)).

    Args:
        loc: the mode μ (a number or a Tensor).
        scale: β > 0 (a number or a Tensor).
        validate_args: check that scale > 0 and that values are real (default True).

    As in PyTorch (a transform of Uniform(tiny, 1 − eps)), ``icdf`` first maps p onto
    [tiny, 1 − eps] of the dtype, so icdf(0) and icdf(1) are finite, and ``rsample`` is
    icdf(u) = μ − β·log(−log u) of u ~ U(0, 1), differentiable in μ and β.

    Example:
        >>> from chainrule.distributions import Gumbel
        >>> round(Gumbel(0.0, 1.0).mean.item(), 4)  # Euler's γ
        0.5772
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        self._dtype = self.loc.dtype
        super().__init__(self.loc.shape, (), validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Gumbel:
        """This distribution over a larger batch_shape (the parameters broadcast to it)."""
        return expanded(self, batch_shape, ("loc", "scale"))

    @property
    def mean(self) -> Tensor:
        return self.loc + self.scale * EULER_GAMMA

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return (math.pi / math.sqrt(6)) * self.scale

    @property
    def variance(self) -> Tensor:
        return self.stddev ** 2

    def log_prob(self, value: Any) -> Tensor:
        """y − e^y − log β with y = (μ − x)/β."""
        value = self._value(value)
        y = (self.loc - value) / self.scale
        return (y - y.exp()) - self.scale.log()

    def cdf(self, value: Any) -> Tensor:
        """exp(−e^(−(x − μ)/β))."""
        value = self._value(value)
        return (-(-(value - self.loc) / self.scale).exp()).exp()

    def icdf(self, value: Any) -> Tensor:
        """μ − β·log(−log u), u = tiny + p·(1 − eps − tiny)."""
        finfo = np.finfo(self._dtype)
        u = float(finfo.tiny) + as_tensor(value, self._dtype) * float(1 - finfo.eps - finfo.tiny)
        return self.loc - self.scale * (-u.log()).log()

    def entropy(self) -> Tensor:
        """log β + 1 + γ (Euler's constant)."""
        return self.scale.log() + (1 + EULER_GAMMA)
