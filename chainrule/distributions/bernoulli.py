"""The Bernoulli distribution over {0, 1}."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all, generator, probs_to_logits


class Bernoulli(Distribution):
    """torch.distributions.Bernoulli(probs=None, logits=None): a batch of coin flips, 1 with
    probability p.

    Args:
        probs: p in [0, 1].
        logits: log(p/(1 − p)): p = sigmoid(logits).
        validate_args: check the parameter, and that log_prob's values are 0 or 1.

    Exactly one of probs and logits is given. log_prob(x) = x·logit − softplus(logit) and
    entropy = softplus(logit) − p·logit are computed from the logits (finite at any logit;
    probabilities are clamped to [eps, 1 − eps] to give their logits), and differentiable in
    the given parameter. Samples are floats of the parameter's dtype, as in PyTorch.

    Example:
        >>> import chainrule
        >>> from chainrule.distributions import Bernoulli
        >>> d = Bernoulli(probs=chainrule.tensor([0.2, 0.9]))
        >>> d.sample((5,)).shape, d.log_prob(chainrule.tensor([0.0, 1.0])).shape
        ((5, 2), (2,))
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

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

    def _given_params(self) -> tuple[str, ...]:
        return (self._param_name,)

    @property
    def param_shape(self) -> tuple[int, ...]:
        return tuple(self.probs.shape)

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        """1 where p > ½, 0 where p < ½, NaN where p = ½ (as PyTorch)."""
        p = self.probs.data
        return Tensor(np.where(p == 0.5, np.nan, p > 0.5).astype(p.dtype))

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """0.0/1.0 of shape sample_shape + batch_shape: 1 where a uniform draw is below p."""
        shape = self._extended_shape(sample_shape)
        p = self.probs.data
        return Tensor((generator().random(shape) < p).astype(p.dtype))

    def log_prob(self, value: Any) -> Tensor:
        """x·logit − softplus(logit), which is −BCE-with-logits(logit, x)."""
        logits, value = broadcast_all(self.logits, self._value(value))
        return value * logits - logits.softplus()

    def entropy(self) -> Tensor:
        """softplus(logit) − p·logit, which is BCE-with-logits(logit, p)."""
        return self.logits.softplus() - self.probs * self.logits

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """0.0 and 1.0 along a new first dimension: (2,) + batch_shape when ``expand``."""
        values = np.arange(2, dtype=self.probs.dtype).reshape((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = np.broadcast_to(values, (2,) + self._batch_shape).copy()
        return Tensor(values)
