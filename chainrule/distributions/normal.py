"""The normal (Gaussian) distribution N(loc, scale²)."""

from __future__ import annotations

import math
from typing import Any

from ..grad_mode import no_grad
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import as_tensor, broadcast_all, generator, standard_normal_cdf, standard_normal_icdf

_LOG_SQRT_2PI = math.log(math.sqrt(2 * math.pi))


class Normal(Distribution):
    """torch.distributions.Normal(loc, scale): a batch of normal distributions.

    density  p(x) = exp(−(x − μ)²/(2σ²)) / (σ√(2π)),  μ = loc, σ = scale.

    Args:
        loc: the mean μ (a number or a Tensor).
        scale: the standard deviation σ > 0 (a number or a Tensor).
        validate_args: check that scale > 0 and that values are real (default True).

    ``rsample`` draws μ + σ·ε with ε ~ N(0, 1) from chainrule's generator, differentiable in
    μ and σ; ``sample`` is the same draw without a graph. Gradients reach loc and scale
    through log_prob, entropy, cdf, icdf and rsample.

    Example:
        >>> import chainrule
        >>> from chainrule.distributions import Normal
        >>> d = Normal(chainrule.tensor([0.0, 1.0]), 2.0)
        >>> d.batch_shape, d.sample((3,)).shape
        ((2,), (3, 2))
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, (), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.scale ** 2

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """μ + σ·ε, ε ~ N(0, 1) of shape sample_shape + batch_shape (differentiable)."""
        shape = self._extended_shape(sample_shape)
        noise = generator().standard_normal(shape).astype(self.loc.dtype, copy=False)
        return self.loc + Tensor(noise, dtype=self.loc.dtype) * self.scale

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """A draw of shape sample_shape + batch_shape, with no gradient."""
        with no_grad():
            return self.rsample(sample_shape).detach()

    def log_prob(self, value: Any) -> Tensor:
        """−(x − μ)²/(2σ²) − log σ − log √(2π)."""
        value = self._value(value)
        return -((value - self.loc) ** 2) / (2 * self.scale ** 2) - self.scale.log() \
            - _LOG_SQRT_2PI

    def cdf(self, value: Any) -> Tensor:
        """Φ((x − μ)/σ)."""
        value = self._value(value)
        return standard_normal_cdf((value - self.loc) / self.scale)

    def icdf(self, value: Any) -> Tensor:
        """μ + σ·Φ⁻¹(p), for probabilities p in [0, 1] (NaN outside, as in PyTorch, which
        does not validate it)."""
        value = as_tensor(value, self.loc.dtype)
        return self.loc + self.scale * standard_normal_icdf(value)

    def entropy(self) -> Tensor:
        """½ + ½·log(2π) + log σ."""
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()
