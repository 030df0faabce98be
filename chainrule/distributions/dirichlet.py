"""The Dirichlet distribution on the probability simplex."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..grad_mode import no_grad
from ..methods.math import where
from ..tensor import Tensor
from . import constraints
from ._univariate import expanded, positive_vector
from .distribution import Distribution
from .standard_gamma import standard_gamma
from .utils import as_tensor


class Dirichlet(Distribution):
    """torch.distributions.Dirichlet(concentration): a batch of Dirichlet distributions over
    the simplex of the last dimension.

    density  p(x) = Γ(Σₖαₖ) / Πₖ Γ(αₖ) · Πₖ xₖ^(αₖ−1),  x on the simplex,
    α = concentration (..., K).

    Args:
        concentration: α > 0, at least one-dimensional (..., K); batch_shape is
            concentration.shape[:-1] and event_shape (K,).
        validate_args: check that α > 0 and that values lie on the simplex (default True).

    ``rsample`` is g/Σₖgₖ for independent gₖ ~ Gamma(αₖ, 1), differentiable in α through
    the gamma draws' implicit gradient (``standard_gamma``). PyTorch differentiates its
    sample through each coordinate's Beta marginal instead: the two gradients differ draw
    by draw and agree in expectation (both are the derivative of a sampler of the same
    distribution).

    Example:
        >>> import chainrule
        >>> from chainrule.distributions import Dirichlet
        >>> Dirichlet(chainrule.tensor([1.0, 3.0])).mean.tolist()
        [0.25, 0.75]
    """

    arg_constraints = {"concentration": positive_vector}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration: Any, validate_args: bool | None = None) -> None:
        concentration = as_tensor(concentration)
        if concentration.ndim < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:], validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Dirichlet:
        """This distribution over a larger batch_shape (the concentration broadcast to it)."""
        return expanded(self, batch_shape, ("concentration",))

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self) -> Tensor:
        """(α − 1)⁺ normalised, differentiable in α; where every αₖ < 1, the vertex of the
        largest of those (NaN) entries, which is the first, as PyTorch gives it."""
        am1 = (self.concentration - 1).clamp(min=0)
        with np.errstate(invalid="ignore"):  # 0/0 where every αₖ ≤ 1
            mode = am1 / am1.sum(-1, keepdim=True)
        alpha = self.concentration.data
        vertex = np.eye(alpha.shape[-1], dtype=alpha.dtype)[np.argmax(mode.data, axis=-1)]
        corner = np.broadcast_to((alpha < 1).all(-1, keepdims=True), alpha.shape)
        return where(corner, Tensor(vertex, dtype=alpha.dtype), mode)

    @property
    def variance(self) -> Tensor:
        total = self.concentration.sum(-1, keepdim=True)
        return self.concentration * (total - self.concentration) / (total ** 2 * (total + 1))

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """g/Σₖgₖ, of shape sample_shape + batch_shape + (K,) (differentiable)."""
        shape = self._extended_shape(sample_shape)
        alpha = self.concentration
        gammas = standard_gamma(alpha if alpha.shape == shape else alpha.expand(*shape))
        return gammas / gammas.sum(-1, keepdim=True)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """A draw of shape sample_shape + batch_shape + (K,), with no gradient."""
        with no_grad():
            return self.rsample(sample_shape).detach()

    def log_prob(self, value: Any) -> Tensor:
        """Σₖ(αₖ − 1)·log xₖ + log Γ(Σₖαₖ) − Σₖ log Γ(αₖ)  (0·log 0 = 0)."""
        value = self._value(value)
        alpha = self.concentration
        return (alpha - 1.0).xlogy(value).sum(-1) + alpha.sum(-1).lgamma() \
            - alpha.lgamma().sum(-1)

    def entropy(self) -> Tensor:
        """Σₖ log Γ(αₖ) − log Γ(α₀) − (K − α₀)ψ(α₀) − Σₖ(αₖ − 1)ψ(αₖ),  α₀ = Σₖαₖ."""
        alpha = self.concentration
        k, total = alpha.shape[-1], alpha.sum(-1)
        return alpha.lgamma().sum(-1) - total.lgamma() - (k - total) * total.digamma() \
            - ((alpha - 1.0) * alpha.digamma()).sum(-1)
