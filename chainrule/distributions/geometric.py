"""The geometric distribution: the number of failures before the first success."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from . import constraints
from ._univariate import expanded, nonnegative_integer, replaced
from .distribution import Distribution
from .utils import broadcast_all, generator, probs_to_logits


class Geometric(Distribution):
    """torch.distributions.Geometric(probs=None, logits=None): the number of failures
    before the first success of independent trials that succeed with probability p.

    mass  P(k) = (1 − p)ᵏ·p,  k = 0, 1, 2, …

    Args:
        probs: p in (0, 1].
        logits: log(p/(1 − p)): p = sigmoid(logits).
        validate_args: check the parameter (p > 0 too), and that values are non-negative
            integers.

    Exactly one of probs and logits is given; gradients reach it through log_prob and
    entropy. Samples are floor(log u / log(1 − p)) of u ~ U(tiny, 1), floats of the
    parameter's dtype.

    Example:
        >>> from chainrule.distributions import Geometric
        >>> Geometric(probs=0.25).mean.item()
        3.0
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = nonnegative_integer

    def __init__(self, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        self._param_name = "probs" if probs is not None else "logits"
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
            self.logits = probs_to_logits(self.probs, is_binary=True)
        else:
            (self.logits,) = broadcast_all(logits)
            self.probs = self.logits.sigmoid()
        super().__init__(self.probs.shape, (), validate_args)
        if self._validate_args and probs is not None and not np.all(self.probs.data > 0):
            value = self.probs
            raise ValueError(f"Expected parameter probs (Tensor of shape {tuple(value.shape)}) "
                             f"of distribution {self!r} to be positive but found invalid "
                             f"values:\n{value.data[~(value.data > 0)]}")

    def _given_params(self) -> tuple[str, ...]:
        return (self._param_name,)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Geometric:
        """This distribution over a larger batch_shape (the parameter broadcast to it)."""
        return expanded(self, batch_shape, ("probs", "logits"))

    @property
    def mean(self) -> Tensor:
        return 1.0 / self.probs - 1.0

    @property
    def mode(self) -> Tensor:
        return Tensor(np.zeros(self.probs.shape, self.probs.dtype), dtype=self.probs.dtype)

    @property
    def variance(self) -> Tensor:
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """floor(log u / log1p(−p)), u ~ U[tiny, 1), of shape sample_shape + batch_shape."""
        shape = self._extended_shape(sample_shape)
        p = self.probs.data
        u = np.maximum(generator().random(shape), np.finfo(p.dtype).tiny)
        with np.errstate(divide="ignore"):
            draws = np.floor(np.log(u) / np.log1p(-p.astype(np.float64)))
        return Tensor(draws.astype(p.dtype), dtype=p.dtype)

    def log_prob(self, value: Any) -> Tensor:
        """k·log(1 − p) + log p, with the 0·log 0 at p = 1, k = 0 taken as 0."""
        value, probs = broadcast_all(self._value(value), self.probs)
        probs = replaced(probs, (probs.data == 1) & (value.data == 0), 0.0)
        return value * (-probs).log1p() + self.probs.log()

    def entropy(self) -> Tensor:
        """(softplus(logit) − p·logit)/p: the Bernoulli entropy over p."""
        return (self.logits.softplus() - self.probs * self.logits) / self.probs
