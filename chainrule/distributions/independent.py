"""``Independent``: a distribution with some of its batch dimensions taken as event
dimensions; and its KL divergence."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .kl import kl_divergence, register_kl


def sum_rightmost(value: Tensor, ndims: int) -> Tensor:
    """``value`` summed over its last ``ndims`` dimensions (itself when ``ndims`` is 0)."""
    return value.sum(tuple(range(-ndims, 0))) if ndims else value


def expand_base(base: Distribution, batch_shape: tuple[int, ...]) -> Distribution:
    """``base.expand(batch_shape)``, or a NotImplementedError naming a base without it."""
    if not hasattr(base, "expand"):
        raise NotImplementedError(f"{type(base).__name__} does not implement expand")
    return base.expand(batch_shape)


class Independent(Distribution):
    """torch.distributions.Independent(base_distribution, reinterpreted_batch_ndims): the
    distribution of ``base_distribution``'s draws with its rightmost
    ``reinterpreted_batch_ndims`` batch dimensions read as event dimensions.

    density  p(x) = Πᵢ p_base(xᵢ) over the reinterpreted dimensions, so log_prob and entropy
    are the base's summed over them; sampling, the moments and the mode are the base's.

    Args:
        base_distribution: the distribution whose batch dimensions are reinterpreted.
        reinterpreted_batch_ndims: how many (at most ``len(base.batch_shape)``).
        validate_args: check the values given to log_prob against the support.

    Example:
        >>> import chainrule
        >>> from chainrule.distributions import Independent, Normal
        >>> d = Independent(Normal(chainrule.zeros(2, 3), 1.0), 1)
        >>> d.batch_shape, d.event_shape, d.log_prob(chainrule.zeros(2, 3)).shape
        ((2,), (3,), (2,))
    """

    arg_constraints: dict[str, constraints.Constraint] = {}

    def __init__(self, base_distribution: Distribution, reinterpreted_batch_ndims: int,
                 validate_args: bool | None = None) -> None:
        if reinterpreted_batch_ndims > len(base_distribution.batch_shape):
            raise ValueError("Expected reinterpreted_batch_ndims <= "
                             "len(base_distribution.batch_shape), actual "
                             f"{reinterpreted_batch_ndims} vs "
                             f"{len(base_distribution.batch_shape)}")
        shape = base_distribution.batch_shape + base_distribution.event_shape
        event_dim = reinterpreted_batch_ndims + len(base_distribution.event_shape)
        self.base_dist = base_distribution
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims
        super().__init__(shape[:len(shape) - event_dim], shape[len(shape) - event_dim:],
                         validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Independent:
        """This distribution over a larger batch_shape (the base expanded)."""
        shape = tuple(int(n) for n in batch_shape)
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.base_dist = expand_base(
            self.base_dist, shape + self._event_shape[:self.reinterpreted_batch_ndims])
        new._batch_shape = shape
        return new

    @property
    def has_rsample(self) -> bool:  # type: ignore[override]
        return self.base_dist.has_rsample

    @property
    def has_enumerate_support(self) -> bool:  # type: ignore[override]
        return self.reinterpreted_batch_ndims == 0 and self.base_dist.has_enumerate_support

    @property
    def support(self) -> constraints.Constraint:  # type: ignore[override]
        support = self.base_dist.support
        if self.reinterpreted_batch_ndims:
            support = constraints.independent(support, self.reinterpreted_batch_ndims)
        return support

    @property
    def mean(self) -> Tensor:
        return self.base_dist.mean

    @property
    def mode(self) -> Tensor:
        return self.base_dist.mode

    @property
    def variance(self) -> Tensor:
        return self.base_dist.variance

    def sample(self, sample_shape: Any = ()) -> Tensor:
        return self.base_dist.sample(sample_shape)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        return self.base_dist.rsample(sample_shape)

    def log_prob(self, value: Any) -> Tensor:
        """The base's log_prob summed over the reinterpreted dimensions."""
        return sum_rightmost(self.base_dist.log_prob(value), self.reinterpreted_batch_ndims)

    def entropy(self) -> Tensor:
        """The base's entropy summed over the reinterpreted dimensions."""
        return sum_rightmost(self.base_dist.entropy(), self.reinterpreted_batch_ndims)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        if self.reinterpreted_batch_ndims > 0:
            raise NotImplementedError("Enumeration over cartesian product is not implemented")
        return self.base_dist.enumerate_support(expand=expand)

    def __repr__(self) -> str:
        return f"Independent({self.base_dist!r}, {self.reinterpreted_batch_ndims})"


@register_kl(Independent, Independent)
def _kl_independent_independent(p: Independent, q: Independent) -> Tensor:
    """KL of the bases, summed over the reinterpreted dimensions (which must agree)."""
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError("KL(Independent || Independent) is implemented only for "
                                  "equal reinterpreted_batch_ndims")
    return sum_rightmost(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)
