"""Transforms with computable log-Jacobians (``torch.distributions.transforms``): the
elementwise ones here (exp, affine, sigmoid, tanh, softplus, power, abs, a distribution's
CDF), reshape and the ones onto the simplex in ``transforms_more.py``, and the base class
and the combinators (compose, independent) in ``_transform.py``, all re-exported here.

Every transform takes and returns Tensors, and its results carry gradients to its input
and to its own parameters (``AffineTransform``'s loc and scale, ``PowerTransform``'s
exponent) through chainrule's differentiable Tensor ops.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any, Sequence

import numpy as np

from ..tensor import Tensor
from . import constraints
from ._transform import (
    ComposeTransform,
    IndependentTransform,
    Transform,
    identity_transform,
)
from .distribution import Distribution
from .transforms_more import (
    ReshapeTransform,
    SoftmaxTransform,
    StickBreakingTransform,
    clipped_sigmoid,
    torch_softplus,
)
from .utils import as_tensor, broadcast_all


class ExpTransform(Transform):
    """y = eˣ, x = log y;  log|dy/dx| = x."""

    domain = constraints.real
    codomain = constraints.positive
    bijective = True
    sign = +1

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExpTransform)

    def _call(self, x: Tensor) -> Tensor:
        return x.exp()

    def _inverse(self, y: Tensor) -> Tensor:
        return y.log()

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return x


class PowerTransform(Transform):
    """y = xᵃ on x > 0, a = exponent;  x = y^(1/a);  log|dy/dx| = log|a·y/x|.

    Args:
        exponent: a (a number or a Tensor, broadcast against the input).
        cache_size: 0 or 1 (see ``Transform``).
    """

    domain = constraints.positive
    codomain = constraints.positive
    bijective = True

    def __init__(self, exponent: Any, cache_size: int = 0) -> None:
        super().__init__(cache_size=cache_size)
        (self.exponent,) = broadcast_all(exponent)

    def with_cache(self, cache_size: int = 1) -> Transform:
        if self._cache_size == cache_size:
            return self
        return PowerTransform(self.exponent, cache_size=cache_size)

    @property
    def sign(self) -> Tensor:  # type: ignore[override]
        return self.exponent.sign()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PowerTransform) and \
            bool(np.all(self.exponent.data == other.exponent.data))

    def _call(self, x: Tensor) -> Tensor:
        return x.pow(self.exponent)

    def _inverse(self, y: Tensor) -> Tensor:
        return y.pow(1 / self.exponent)

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return (self.exponent * y / x).abs().log()

    def forward_shape(self, shape: Sequence[int]) -> tuple[int, ...]:
        return np.broadcast_shapes(tuple(shape), self.exponent.shape)

    def inverse_shape(self, shape: Sequence[int]) -> tuple[int, ...]:
        return np.broadcast_shapes(tuple(shape), self.exponent.shape)


class SigmoidTransform(Transform):
    """y = σ(x) = 1/(1 + e⁻ˣ), clamped to [tiny, 1 − eps] of the dtype (as PyTorch, so that
    the inverse is finite);  x = logit(y) = log y − log(1 − y);
    log|dy/dx| = log σ(x)(1 − σ(x)) = −softplus(−x) − softplus(x), which does not round σ."""

    domain = constraints.real
    codomain = constraints.unit_interval
    bijective = True
    sign = +1

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SigmoidTransform)

    def _call(self, x: Tensor) -> Tensor:
        return clipped_sigmoid(x)

    def _inverse(self, y: Tensor) -> Tensor:
        finfo = np.finfo(y.dtype)
        y = y.clamp(min=float(finfo.tiny), max=float(1 - finfo.eps))
        return y.log() - (-y).log1p()

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return -torch_softplus(-x) - torch_softplus(x)


class SoftplusTransform(Transform):
    """y = softplus(x) = log(1 + eˣ) (x itself above x = 20, as PyTorch);
    x = y + log(−expm1(−y));  log|dy/dx| = log σ(x) = −softplus(−x)."""

    domain = constraints.real
    codomain = constraints.positive
    bijective = True
    sign = +1

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SoftplusTransform)

    def _call(self, x: Tensor) -> Tensor:
        return torch_softplus(x)

    def _inverse(self, y: Tensor) -> Tensor:
        return (-(-y).expm1()).log() + y

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return -torch_softplus(-x)


class TanhTransform(Transform):
    """y = tanh x, x = atanh y;  log|dy/dx| = log(1 − tanh²x) = 2·(log 2 − x − softplus(−2x)).

    The last form (PyTorch's) stays accurate where 1 − tanh²x rounds to 0 (|x| ≳ 19 in
    float64). The inverse does not clamp y: atanh(±1) = ±inf; use ``cache_size=1`` to get
    the pre-image of a sample back exactly, as SAC policies do.
    """

    domain = constraints.real
    codomain = constraints.interval(-1.0, 1.0)
    bijective = True
    sign = +1

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TanhTransform)

    def _call(self, x: Tensor) -> Tensor:
        return x.tanh()

    def _inverse(self, y: Tensor) -> Tensor:
        with np.errstate(divide="ignore"):  # atanh(±1) = ±inf, as in PyTorch
            return y.atanh()

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return 2.0 * (math.log(2.0) - x - torch_softplus(-2.0 * x))


class AbsTransform(Transform):
    """y = |x|, not bijective: the pseudo-inverse is x = y (no log-Jacobian)."""

    domain = constraints.real
    codomain = constraints.positive

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AbsTransform)

    def _call(self, x: Tensor) -> Tensor:
        return x.abs()

    def _inverse(self, y: Tensor) -> Tensor:
        return y


class AffineTransform(Transform):
    """y = loc + scale·x, x = (y − loc)/scale;  log|dy/dx| = log|scale|, summed over the
    last ``event_dim`` dimensions and broadcast to the input's batch shape.

    Args:
        loc: the shift (a number or a Tensor).
        scale: the factor (a number or a Tensor).
        event_dim: how many rightmost dimensions one event has (0 for scalars, 1 for
            vectors, …).
        cache_size: 0 or 1 (see ``Transform``).
    """

    bijective = True

    def __init__(self, loc: Any, scale: Any, event_dim: int = 0, cache_size: int = 0) -> None:
        super().__init__(cache_size=cache_size)
        self.loc, self.scale = _parameter(loc), _parameter(scale)
        self._event_dim = event_dim

    @property
    def event_dim(self) -> int:
        return self._event_dim

    @property
    def domain(self) -> constraints.Constraint:  # type: ignore[override]
        if self.event_dim == 0:
            return constraints.real
        return constraints.independent(constraints.real, self.event_dim)

    @property
    def codomain(self) -> constraints.Constraint:  # type: ignore[override]
        return self.domain

    def with_cache(self, cache_size: int = 1) -> Transform:
        if self._cache_size == cache_size:
            return self
        return AffineTransform(self.loc, self.scale, self.event_dim, cache_size=cache_size)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AffineTransform) and _same(self.loc, other.loc) and \
            _same(self.scale, other.scale)

    @property
    def sign(self) -> Any:
        if isinstance(self.scale, Real):
            return 1 if self.scale > 0 else -1 if self.scale < 0 else 0
        return self.scale.sign()

    def _call(self, x: Tensor) -> Tensor:
        return self.loc + self.scale * x

    def _inverse(self, y: Tensor) -> Tensor:
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        shape = tuple(x.shape)
        if isinstance(self.scale, Real):
            result = Tensor(np.full(shape, math.log(abs(self.scale)), dtype=x.dtype))
        else:
            result = self.scale.abs().log()
        if self.event_dim:
            result = result.reshape(tuple(result.shape[:-self.event_dim]) + (-1,)).sum(-1)
            shape = shape[:-self.event_dim]
        return result if tuple(result.shape) == shape else result.expand(*shape)

    def forward_shape(self, shape: Sequence[int]) -> tuple[int, ...]:
        return np.broadcast_shapes(tuple(shape), np.shape(_values(self.loc)),
                                   np.shape(_values(self.scale)))

    def inverse_shape(self, shape: Sequence[int]) -> tuple[int, ...]:
        return self.forward_shape(shape)


def _parameter(value: Any) -> Any:
    """A number stays a number (as in PyTorch); anything else becomes a Tensor."""
    if isinstance(value, Real):
        return float(value)
    return as_tensor(value)


def _values(value: Any) -> Any:
    return value.data if isinstance(value, Tensor) else value


def _same(a: Any, b: Any) -> bool:
    return bool(np.all(np.asarray(_values(a)) == np.asarray(_values(b))))


class CumulativeDistributionTransform(Transform):
    """y = F(x), the CDF of ``distribution``; x = F⁻¹(y) (its icdf);
    log|dy/dx| = log p(x) (its log_prob).

    Args:
        distribution: a distribution with ``cdf``, ``icdf`` and ``log_prob``; its support is
            the domain.
        cache_size: 0 or 1 (see ``Transform``).
    """

    bijective = True
    codomain = constraints.unit_interval
    sign = +1

    def __init__(self, distribution: Distribution, cache_size: int = 0) -> None:
        super().__init__(cache_size=cache_size)
        self.distribution = distribution

    @property
    def domain(self) -> constraints.Constraint:  # type: ignore[override]
        return self.distribution.support

    def with_cache(self, cache_size: int = 1) -> Transform:
        if self._cache_size == cache_size:
            return self
        return CumulativeDistributionTransform(self.distribution, cache_size=cache_size)

    def _call(self, x: Tensor) -> Tensor:
        return self.distribution.cdf(x)

    def _inverse(self, y: Tensor) -> Tensor:
        return self.distribution.icdf(y)

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return self.distribution.log_prob(x)


__all__ = ["AbsTransform", "AffineTransform", "ComposeTransform",
           "CumulativeDistributionTransform", "ExpTransform", "IndependentTransform",
           "PowerTransform", "ReshapeTransform", "SigmoidTransform", "SoftmaxTransform",
           "SoftplusTransform", "StickBreakingTransform", "TanhTransform", "Transform",
           "identity_transform"]
