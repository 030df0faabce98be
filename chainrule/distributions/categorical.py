"""The categorical distribution over {0, …, K − 1}."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import as_tensor, checked_sample_shape, generator, probs_to_logits


class Categorical(Distribution):
    """torch.distributions.Categorical(probs=None, logits=None): a batch of distributions
    over the K categories {0, …, K − 1} of the last dimension.

    Args:
        probs: non-negative weights (..., K), normalised along the last dimension.
        logits: unnormalised log-probabilities (..., K): p = softmax(logits).
        validate_args: check the parameter, and that log_prob's values are categories.

    Exactly one of probs and logits is given. ``probs`` and ``logits`` hold the normalised
    probabilities and log-probabilities; gradients reach the given parameter through
    log_prob and entropy. Sampling is by inverse CDF: a uniform draw from chainrule's
    generator is placed among the cumulative probabilities. ``mean`` and ``variance`` are
    left undefined (PyTorch returns NaN), ``mode`` is the most likely category.

    Example:
        >>> import chainrule
        >>> from chainrule.distributions import Categorical
        >>> d = Categorical(logits=chainrule.zeros(2, 3))
        >>> d.batch_shape, d.sample((4,)).shape, d.log_prob(chainrule.tensor([0, 2])).shape
        ((2,), (4, 2), (2,))
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        self._param_name = "probs" if probs is not None else "logits"
        given = _floating(probs if probs is not None else logits)
        if given.ndim < 1:
            raise ValueError(f"`{self._param_name}` parameter must be at least "
                             "one-dimensional.")
        if probs is not None:
            self.probs = given / given.sum(-1, keepdim=True)
            self.logits = probs_to_logits(self.probs)
        else:
            self.logits = given - given.logsumexp(-1, keepdim=True)
            self.probs = self.logits.softmax(-1)
        self._num_events = given.shape[-1]
        super().__init__(given.shape[:-1], (), validate_args)

    def _given_params(self) -> tuple[str, ...]:
        return (self._param_name,)

    @property
    def support(self) -> constraints.Constraint:
        return constraints.integer_interval(0, self._num_events - 1)

    @property
    def param_shape(self) -> tuple[int, ...]:
        """The shape of probs (and logits): batch_shape + (K,)."""
        return tuple(self.probs.shape)

    @property
    def mode(self) -> Tensor:
        """The most likely category (the first, on a tie)."""
        return Tensor(self.probs.data.argmax(-1).astype(np.int64))

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Categories (int64) of shape sample_shape + batch_shape."""
        shape = checked_sample_shape(sample_shape) + self._batch_shape
        cdf = np.cumsum(self.probs.data.astype(np.float64), axis=-1)
        target = generator().random(shape) * cdf[..., -1]  # u·total, in [0, total)
        # NOTE: category i is drawn when cdf[i−1] ≤ u·total < cdf[i]: one of probability 0 has
        # an empty interval and is never drawn.
        index = (cdf <= target[..., None]).sum(-1)
        return Tensor(np.minimum(index, self._num_events - 1).astype(np.int64))

    def log_prob(self, value: Any) -> Tensor:
        """log p[value], broadcasting value against batch_shape."""
        index = self._value(value).data.astype(np.int64)
        shape = np.broadcast_shapes(index.shape, self._batch_shape)
        log_pmf = self.logits if shape == self._batch_shape else \
            self.logits.expand(*shape, self._num_events)
        return log_pmf.gather(-1, np.broadcast_to(index, shape)[..., None]).squeeze(-1)

    def entropy(self) -> Tensor:
        """−Σₖ pₖ log pₖ (a log-probability of −inf counts as the least float: 0·log 0 = 0)."""
        logits = self.logits.clamp(min=float(np.finfo(self.logits.dtype).min))
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """The categories 0, …, K − 1 along a new first dimension: (K,) + batch_shape when
        ``expand``, else (K,) + (1,)·len(batch_shape)."""
        values = np.arange(self._num_events, dtype=np.int64)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = np.broadcast_to(values, (self._num_events,) + self._batch_shape).copy()
        return Tensor(values)


def _floating(value: Any) -> Tensor:
    tensor = as_tensor(value)
    return tensor if tensor.dtype.kind == "f" else tensor.to(as_tensor(0.0).dtype)
