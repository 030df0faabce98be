"""``TransformedDistribution``: the distribution of f(X) for X from a base distribution and
f a chain of transforms; and its KL divergence."""

from __future__ import annotations

from typing import Any

from ..grad_mode import no_grad
from ..tensor import Tensor
from . import constraints
from ._transform import ComposeTransform, Transform
from ._univariate import expanded
from .distribution import Distribution
from .independent import Independent, sum_rightmost
from .kl import kl_divergence, register_kl


class TransformedDistribution(Distribution):
    """torch.distributions.TransformedDistribution(base_distribution, transforms,
    validate_args=None): Y = f(X), X ~ base_distribution, f = fₙ ∘ … ∘ f₁.

    density, by the change of variables:
        log p(y) = log p_X(f⁻¹(y)) − Σᵢ log|det J_fᵢ(xᵢ₋₁)|,
    each log-Jacobian summed over the event dimensions it does not already reduce.

    Args:
        base_distribution: the distribution of X.
        transforms: a Transform or a list of them, applied first to last.
        validate_args: check the values given to log_prob against the support.

    The event_shape is the largest that the base and the transforms need (a transform with
    event_dim 1 on a scalar base makes the rightmost batch dimension an event dimension;
    the base is then wrapped in ``Independent``, and expanded first if a transform's
    parameters broadcast its shape). ``rsample`` is differentiable when the base's is;
    ``cdf``/``icdf`` hold for monotone (``sign`` ±1) univariate transforms.

    Example:
        >>> import chainrule
        >>> from chainrule.distributions import Normal, TransformedDistribution
        >>> from chainrule.distributions.transforms import TanhTransform
        >>> d = TransformedDistribution(Normal(chainrule.zeros(2), 1.0), [TanhTransform()])
        >>> d.batch_shape, d.rsample((3,)).shape
        ((2,), (3, 2))
    """

    arg_constraints: dict[str, constraints.Constraint] = {}

    def __init__(self, base_distribution: Distribution, transforms: Any,
                 validate_args: bool | None = None) -> None:
        self.transforms = _transform_list(transforms)
        base_shape = base_distribution.batch_shape + base_distribution.event_shape
        base_event_dim = len(base_distribution.event_shape)
        transform = ComposeTransform(self.transforms)
        domain_dim, codomain_dim = transform.domain.event_dim, transform.codomain.event_dim
        if len(base_shape) < domain_dim:
            raise ValueError(f"base_distribution needs to have shape with size at least "
                             f"{domain_dim}, but got {base_shape}.")
        forward_shape = transform.forward_shape(base_shape)
        expanded_base_shape = transform.inverse_shape(forward_shape)
        if base_shape != expanded_base_shape:
            base_batch_shape = expanded_base_shape[:len(expanded_base_shape) - base_event_dim]
            base_distribution = expand_distribution(base_distribution, base_batch_shape)
        if domain_dim > base_event_dim:
            base_distribution = Independent(base_distribution, domain_dim - base_event_dim)
        self.base_dist = base_distribution
        event_dim = max(codomain_dim, base_event_dim + codomain_dim - domain_dim)
        cut = len(forward_shape) - event_dim
        super().__init__(forward_shape[:cut], forward_shape[cut:], validate_args)

    def _given_params(self) -> tuple[str, ...]:
        return ()  # the base distribution validated its own parameters

    def expand(self, batch_shape: Any, _instance: Any = None) -> TransformedDistribution:
        """This distribution over a larger batch_shape (the base expanded to match)."""
        batch_shape = tuple(int(n) for n in batch_shape)
        shape = batch_shape + self._event_shape
        for transform in reversed(self.transforms):
            shape = transform.inverse_shape(shape)
        base_batch_shape = shape[:len(shape) - len(self.base_dist.event_shape)]
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.base_dist = expand_distribution(self.base_dist, base_batch_shape)
        new._batch_shape = batch_shape
        return new

    @property
    def support(self) -> constraints.Constraint:  # type: ignore[override]
        if not self.transforms:
            return self.base_dist.support
        support = self.transforms[-1].codomain
        if len(self._event_shape) > support.event_dim:
            support = constraints.independent(support, len(self._event_shape) -
                                              support.event_dim)
        return support

    @property
    def has_rsample(self) -> bool:  # type: ignore[override]
        return self.base_dist.has_rsample

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """f(x) for a base draw x, with no gradient."""
        with no_grad():
            x = self.base_dist.sample(sample_shape)
            for transform in self.transforms:
                x = transform(x)
            return x.detach()

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """f(x) for a reparameterised base draw x: differentiable in the parameters of the
        base and of the transforms."""
        x = self.base_dist.rsample(sample_shape)
        for transform in self.transforms:
            x = transform(x)
        return x

    def log_prob(self, value: Any) -> Tensor:
        """log p_X(x) − Σ log|det J| along the inverted chain y → … → x."""
        if self._validate_args:
            self._validate_sample(value)
        event_dim = len(self._event_shape)
        log_prob: Any = 0.0
        y = value
        for transform in reversed(self.transforms):
            x = transform.inv(y)
            event_dim += transform.domain.event_dim - transform.codomain.event_dim
            log_prob = log_prob - sum_rightmost(transform.log_abs_det_jacobian(x, y),
                                                event_dim - transform.domain.event_dim)
            y = x
        return log_prob + sum_rightmost(self.base_dist.log_prob(y),
                                        event_dim - len(self.base_dist.event_shape))

    def _monotonize_cdf(self, value: Any) -> Any:
        """``value``, or 1 − value where the chain is decreasing (sign −1)."""
        sign = 1
        for transform in self.transforms:
            sign = sign * transform.sign
        if isinstance(sign, int) and sign == 1:
            return value
        return sign * (value - 0.5) + 0.5

    def cdf(self, value: Any) -> Tensor:
        """The base's CDF at f⁻¹(value), flipped where f decreases."""
        for transform in reversed(self.transforms):
            value = transform.inv(value)
        if self._validate_args:
            self.base_dist._validate_sample(value)
        return self._monotonize_cdf(self.base_dist.cdf(value))

    def icdf(self, value: Any) -> Tensor:
        """f of the base's icdf (of 1 − value where f decreases)."""
        value = self.base_dist.icdf(self._monotonize_cdf(value))
        for transform in self.transforms:
            value = transform(value)
        return value


def _transform_list(transforms: Any) -> list[Transform]:
    if isinstance(transforms, Transform):
        return [transforms]
    if isinstance(transforms, list):
        if not all(isinstance(t, Transform) for t in transforms):
            raise ValueError("transforms must be a Transform or a list of Transforms")
        return transforms
    raise ValueError(f"transforms must be a Transform or list, but was {transforms}")


def expand_distribution(dist: Distribution, batch_shape: tuple[int, ...]) -> Distribution:
    """``dist.expand(batch_shape)``; for a distribution without ``expand`` (``Normal``,
    ``Uniform``), a copy with its given parameters expanded (``_univariate.expanded``)."""
    batch_shape = tuple(batch_shape)
    if batch_shape == dist.batch_shape:
        return dist
    if hasattr(dist, "expand"):
        return dist.expand(batch_shape)
    names = tuple(n for n in dist.arg_constraints if n in vars(dist))
    if not names:
        raise NotImplementedError(f"{type(dist).__name__} does not implement expand")
    return expanded(dist, batch_shape, names)


@register_kl(TransformedDistribution, TransformedDistribution)
def _kl_transformed_transformed(p: TransformedDistribution,
                                q: TransformedDistribution) -> Tensor:
    """KL(f(X) ‖ f(Y)) = KL(X ‖ Y) for one bijection f (KL is invariant under it); other
    pairs raise NotImplementedError, as in PyTorch."""
    if p.transforms != q.transforms or p.event_shape != q.event_shape:
        raise NotImplementedError(f"No KL(p || q) is implemented for p type "
                                  f"{type(p).__name__} and q type {type(q).__name__} with "
                                  "different transforms or event shapes")
    return kl_divergence(p.base_dist, q.base_dist)
