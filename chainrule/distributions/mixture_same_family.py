"""``MixtureSameFamily``: a mixture of K distributions of one family, chosen by a
categorical distribution."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from . import constraints
from .categorical import Categorical
from .distribution import Distribution
from .independent import expand_base
from .one_hot_categorical import expand_categorical
from .utils import as_tensor, checked_sample_shape


class MixtureSameFamily(Distribution):
    """torch.distributions.MixtureSameFamily(mixture_distribution, component_distribution):
    draw a component k from the categorical ``mixture_distribution``, then x from component
    k of ``component_distribution`` (whose rightmost batch dimension indexes the K
    components).

    density  p(x) = Σₖ πₖ pₖ(x),  π = mixture_distribution.probs.

    Args:
        mixture_distribution: a ``Categorical`` over the K components, its batch shape
            broadcasting with the components' batch shape without its last dimension.
        component_distribution: any distribution of batch shape (…, K).
        validate_args: check the values given to log_prob against the support.

    ``log_prob`` is logsumexp over k of log πₖ + log pₖ(x) (gradients reach both);
    ``mean`` is Σₖ πₖ μₖ and ``variance`` Σₖ πₖ σₖ² + Σₖ πₖ (μₖ − μ)² (the laws of total
    expectation and variance); ``cdf`` is Σₖ πₖ Fₖ(x). There is no ``rsample`` (the choice of
    component is discrete).

    Example:
        >>> import chainrule
        >>> from chainrule.distributions import Categorical, MixtureSameFamily, Normal
        >>> mix = Categorical(probs=chainrule.tensor([0.3, 0.7]))
        >>> d = MixtureSameFamily(mix, Normal(chainrule.tensor([-1.0, 1.0]), 1.0))
        >>> d.batch_shape, d.sample((4,)).shape
        ((), (4,))
    """

    arg_constraints: dict[str, constraints.Constraint] = {}
    has_rsample = False

    def __init__(self, mixture_distribution: Categorical,
                 component_distribution: Distribution,
                 validate_args: bool | None = None) -> None:
        if not isinstance(mixture_distribution, Categorical):
            raise ValueError(" The Mixture distribution needs to be an  instance of "
                             "torch.distributions.Categorical")
        if not isinstance(component_distribution, Distribution):
            raise ValueError("The Component distribution needs to be an instance of "
                             "torch.distributions.Distribution")
        mixture_batch = mixture_distribution.batch_shape
        component_batch = component_distribution.batch_shape[:-1]
        for m, c in zip(reversed(mixture_batch), reversed(component_batch)):
            if m != 1 and c != 1 and m != c:
                raise ValueError(f"`mixture_distribution.batch_shape` ({mixture_batch}) is "
                                 "not compatible with `component_distribution.batch_shape`"
                                 f"({component_batch})")
        k_mixture = mixture_distribution.logits.shape[-1]
        k_component = component_distribution.batch_shape[-1:]
        if k_component != (k_mixture,):
            raise ValueError(f"`mixture_distribution component` ({k_mixture}) does not equal "
                             "`component_distribution.batch_shape[-1]` "
                             f"({k_component[0] if k_component else None})")
        self._mixture_distribution = mixture_distribution
        self._component_distribution = component_distribution
        self._num_component = k_mixture
        self._event_ndims = len(component_distribution.event_shape)
        super().__init__(component_batch, component_distribution.event_shape, validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> MixtureSameFamily:
        """This mixture over a larger batch_shape (the mixture and components expanded)."""
        shape = tuple(int(n) for n in batch_shape)
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._component_distribution = expand_base(self._component_distribution,
                                                  shape + (self._num_component,))
        new._mixture_distribution = expand_categorical(self._mixture_distribution, shape)
        new._batch_shape = shape
        return new

    @property
    def support(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.MixtureSameFamilyConstraint(self._component_distribution.support)

    @property
    def mixture_distribution(self) -> Categorical:
        return self._mixture_distribution

    @property
    def component_distribution(self) -> Distribution:
        return self._component_distribution

    def _weights(self) -> Tensor:
        """π shaped (…, K) + (1,)·event_ndims, to weigh the components' moments."""
        probs = self._mixture_distribution.probs
        return probs.reshape(*probs.shape, *(1,) * self._event_ndims)

    def _component_dim(self) -> int:
        return -1 - self._event_ndims

    @property
    def mean(self) -> Tensor:
        """Σₖ πₖ μₖ."""
        return (self._weights() * self._component_distribution.mean).sum(self._component_dim())

    @property
    def variance(self) -> Tensor:
        """E[Var(X | k)] + Var(E[X | k]) = Σₖ πₖ σₖ² + Σₖ πₖ (μₖ − μ)²."""
        weights, dim = self._weights(), self._component_dim()
        components = self._component_distribution
        mean_of_variances = (weights * components.variance).sum(dim)
        deviations = components.mean - self._pad(self.mean)
        return mean_of_variances + (weights * deviations ** 2).sum(dim)

    def cdf(self, x: Any) -> Tensor:
        """Σₖ πₖ Fₖ(x)."""
        return (self._component_distribution.cdf(self._pad(as_tensor(x)))
                * self._mixture_distribution.probs).sum(-1)

    def log_prob(self, x: Any) -> Tensor:
        """log Σₖ πₖ pₖ(x), as a logsumexp over k of log πₖ + log pₖ(x)."""
        x = self._value(x)
        log_prob_x = self._component_distribution.log_prob(self._pad(x))  # (S, B, K)
        log_weights = self._mixture_distribution.logits.log_softmax(-1)  # (B, K)
        return (log_prob_x + log_weights).logsumexp(-1)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """A draw of shape sample_shape + batch_shape + event_shape: each batch entry's
        chosen component's draw, with no gradient."""
        sample_shape = checked_sample_shape(sample_shape)
        choice = self._mixture_distribution.sample(sample_shape).data  # (S, B_mix)
        draws = self._component_distribution.sample(sample_shape).data  # (S, B, K, E)
        axis = len(sample_shape) + len(self._batch_shape)
        pad = (1,) * (len(self._batch_shape) - len(self._mixture_distribution.batch_shape))
        index = choice.reshape(sample_shape + pad + choice.shape[len(sample_shape):]
                               + (1,) * (self._event_ndims + 1))
        index = np.broadcast_to(index, draws.shape[:axis] + (1,) + draws.shape[axis + 1:])
        picked = np.take_along_axis(draws, index, axis=axis).squeeze(axis)
        return Tensor(picked, dtype=draws.dtype)

    def _pad(self, x: Any) -> Tensor:
        """x with a component dimension before its event dimensions."""
        return x.unsqueeze(self._component_dim())

    def __repr__(self) -> str:
        return f"MixtureSameFamily(\n  {self._mixture_distribution!r},\n  " \
               f"{self._component_distribution!r})"
