"""The binomial distribution: the number of successes in n independent trials."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from . import constraints
from ._univariate import expanded, nonnegative_integer
from .distribution import Distribution
from .utils import as_tensor, broadcast_all, generator, probs_to_logits


class Binomial(Distribution):
    """torch.distributions.Binomial(total_count=1, probs=None, logits=None): a batch of
    binomial distributions.

    mass  P(k) = C(n, k)·pᵏ(1 − p)ⁿ⁻ᵏ,  k = 0, …, n,  n = total_count.

    Args:
        total_count: n, a non-negative integer (a number or a Tensor broadcastable with the
            probabilities); stored as a float Tensor of their dtype.
        probs: p in [0, 1].
        logits: log(p/(1 − p)): p = sigmoid(logits).
        validate_args: check the parameters, and that values are integers in [0, n].

    Exactly one of probs and logits is given. log_prob is computed from the logit ℓ as
    k·ℓ − log k! − log (n − k)! − (n·softplus(ℓ) − log n!), finite at any ℓ and
    differentiable in the given parameter (p is clamped to [eps, 1 − eps] to give ℓ).
    ``entropy`` and ``enumerate_support`` need one n over the whole batch, as in PyTorch.

    Example:
        >>> from chainrule.distributions import Binomial
        >>> Binomial(10, probs=0.3).mean.item()
        3.0
    """

    arg_constraints = {"total_count": nonnegative_integer,
                       "probs": constraints.unit_interval, "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count: Any = 1, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        self._param_name = "probs" if probs is not None else "logits"
        if probs is not None:
            self.total_count, self.probs = broadcast_all(total_count, probs)
            self.logits = probs_to_logits(self.probs, is_binary=True)
        else:
            self.total_count, self.logits = broadcast_all(total_count, logits)
            self.probs = self.logits.sigmoid()
        if self.total_count.dtype != self.probs.dtype:  # PyTorch's type_as
            self.total_count = self.total_count.to(self.probs.dtype)
        super().__init__(self.probs.shape, (), validate_args)

    def _given_params(self) -> tuple[str, ...]:
        return ("total_count", self._param_name)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Binomial:
        """This distribution over a larger batch_shape (the parameters broadcast to it)."""
        return expanded(self, batch_shape, ("total_count", "probs", "logits"))

    @property
    def support(self) -> constraints.Constraint:
        return constraints.integer_interval(0, self.total_count.data)

    @property
    def param_shape(self) -> tuple[int, ...]:
        return tuple(self.probs.shape)

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.probs

    @property
    def mode(self) -> Tensor:
        """floor((n + 1)·p), at most n."""
        n, p = self.total_count.data, self.probs.data
        return Tensor(np.minimum(np.floor((n + 1) * p), n), dtype=p.dtype)

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Counts (floats) of shape sample_shape + batch_shape, with no gradient."""
        shape = self._extended_shape(sample_shape)
        n = np.broadcast_to(self.total_count.data.astype(np.int64), shape)
        p = self.probs.data
        draws = generator().binomial(n, np.broadcast_to(p.astype(np.float64), shape))
        return Tensor(draws.astype(p.dtype), dtype=p.dtype)

    def log_prob(self, value: Any) -> Tensor:
        """k·ℓ − log k! − log (n − k)! − (n·softplus(ℓ) − log n!)."""
        value = self._value(value)
        n, logits = self.total_count, self.logits
        normalizer = n * logits.softplus() - (n + 1).lgamma()
        return value * logits - (value + 1).lgamma() - (n - value + 1).lgamma() - normalizer

    def entropy(self) -> Tensor:
        """−Σₖ P(k)·log P(k) over k = 0, …, n."""
        self._homogeneous_count("entropy")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(log_prob.exp() * log_prob).sum(0)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """0, 1, …, n along a new first dimension: (n + 1,) + batch_shape when ``expand``."""
        n = self._homogeneous_count("enumerate_support")
        dtype = self.probs.dtype
        values = np.arange(n + 1, dtype=dtype).reshape((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = np.broadcast_to(values, (n + 1,) + self._batch_shape).copy()
        return as_tensor(values, dtype)

    def _homogeneous_count(self, what: str) -> int:
        counts = self.total_count.data
        n = int(counts.max()) if counts.size else 0
        if counts.size and counts.min() != n:
            raise NotImplementedError(f"Inhomogeneous total count not supported by `{what}`.")
        return n
