"""The one-hot categorical distribution (and its straight-through reparameterisation):
a categorical draw written as a one-hot vector; and its KL divergence."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from . import constraints
from .categorical import Categorical
from .distribution import Distribution
from .kl import kl_divergence, register_kl


def expand_categorical(categorical: Categorical, batch_shape: tuple[int, ...]) -> Categorical:
    """A copy of ``categorical`` over ``batch_shape``, its probs and logits expanded."""
    full = batch_shape + categorical.param_shape[-1:]
    new = object.__new__(type(categorical))
    new.__dict__.update(categorical.__dict__)
    new.probs, new.logits = categorical.probs.expand(*full), categorical.logits.expand(*full)
    new._batch_shape = batch_shape
    return new


def expanded_over_categorical(dist: Any, batch_shape: Any) -> Any:
    """A copy of ``dist`` (a distribution built on a ``Categorical`` in ``_categorical``, as
    OneHotCategorical and Multinomial are) over the larger ``batch_shape``."""
    shape = tuple(int(n) for n in batch_shape)
    new = object.__new__(type(dist))
    new.__dict__.update(dist.__dict__)
    new._categorical = expand_categorical(dist._categorical, shape)
    new._batch_shape = shape
    return new


class OneHotCategorical(Distribution):
    """torch.distributions.OneHotCategorical(probs=None, logits=None): a batch of
    categorical distributions over K categories, each draw a one-hot vector of size K.

    mass  P(x = eₖ) = pₖ,  p = probs (normalised) = softmax(logits).

    Args:
        probs: non-negative weights (..., K), normalised along the last dimension.
        logits: unnormalised log-probabilities (..., K).
        validate_args: check the parameter, and that log_prob's values are one-hot.

    Exactly one of probs and logits is given. A draw has the dtype of probs; ``mean`` is p,
    ``variance`` p(1 − p) and ``mode`` the one-hot vector of the most likely category.
    ``log_prob`` reads the category of each one-hot value (its largest entry), so it carries
    no gradient to the value.

    Example:
        >>> import chainrule
        >>> from chainrule.distributions import OneHotCategorical
        >>> d = OneHotCategorical(probs=chainrule.tensor([0.2, 0.8]))
        >>> d.event_shape, d.sample((3,)).shape
        ((2,), (3, 2))
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        self._categorical = Categorical(probs, logits, validate_args)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args)

    def _given_params(self) -> tuple[str, ...]:
        return ()  # the Categorical inside checked the parameter


    def expand(self, batch_shape: Any, _instance: Any = None) -> OneHotCategorical:
        """This distribution over a larger batch_shape (probs and logits broadcast)."""
        return expanded_over_categorical(self, batch_shape)

    @property
    def probs(self) -> Tensor:
        return self._categorical.probs

    @property
    def logits(self) -> Tensor:
        return self._categorical.logits

    @property
    def param_shape(self) -> tuple[int, ...]:
        return self._categorical.param_shape

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        """The one-hot vector of the most likely category (the first, on a tie)."""
        probs = self.probs.data
        return Tensor(np.eye(probs.shape[-1], dtype=probs.dtype)[probs.argmax(-1)])

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """One-hot draws of shape sample_shape + batch_shape + (K,), in the dtype of probs."""
        index = self._categorical.sample(sample_shape).data
        dtype = self.probs.dtype
        return Tensor(np.eye(self._event_shape[0], dtype=dtype)[index], dtype=dtype)

    def log_prob(self, value: Any) -> Tensor:
        """log p of the category each one-hot value marks."""
        value = self._value(value)
        return self._categorical.log_prob(Tensor(value.data.argmax(-1).astype(np.int64)))

    def entropy(self) -> Tensor:
        return self._categorical.entropy()

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """The K one-hot vectors along a new first dimension: (K,) + batch_shape + (K,) when
        ``expand``, else (K,) + (1,)·len(batch_shape) + (K,)."""
        k, dtype = self._event_shape[0], self.probs.dtype
        values = np.eye(k, dtype=dtype).reshape((k,) + (1,) * len(self._batch_shape) + (k,))
        if expand:
            values = np.broadcast_to(values, (k,) + self._batch_shape + (k,)).copy()
        return Tensor(values, dtype=dtype)


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """torch.distributions.OneHotCategoricalStraightThrough(probs=None, logits=None): a
    ``OneHotCategorical`` whose ``rsample`` passes gradients straight through (Bengio et al.,
    2013): the value is a one-hot draw s, the gradient that of p,

        rsample = s + (p − stop_gradient(p)),

    so d rsample/d p is the identity although the draw is discrete.
    """

    has_rsample = True

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """A one-hot draw whose gradient with respect to probs is the identity."""
        probs = self.probs
        return self.sample(sample_shape) + (probs - probs.detach())


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehotcategorical_onehotcategorical(p: OneHotCategorical,
                                            q: OneHotCategorical) -> Tensor:
    """The KL divergence of the categorical distributions they write as one-hot vectors."""
    return kl_divergence(p._categorical, q._categorical)
