"""What the univariate families share: sampling by the inverse CDF, ``expand``, and Tensors
of one value over the batch."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..grad_mode import no_grad
from ..methods.math import where
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import generator


def _torch_constraint(name: str, stand_in: constraints.Constraint) -> constraints.Constraint:
    """``constraints.<name>`` (PyTorch's constraint of that name), or, in a checkout whose
    ``constraints`` module does not have it yet, ``stand_in``: a constraint built from the
    existing ones that accepts exactly the same values (only its repr differs)."""
    return getattr(constraints, name, stand_in)


# x ≥ 0; the integers 0, 1, 2, …; vectors of positive entries (PyTorch's
# ``independent(positive, 1)``: a parameter is valid where every entry is positive)
nonnegative = _torch_constraint("nonnegative", constraints.interval(0.0, np.inf))
nonnegative_integer = _torch_constraint("nonnegative_integer",
                                        constraints.integer_interval(0, np.inf))
positive_vector = constraints.independent(constraints.positive, 1) \
    if hasattr(constraints, "independent") else constraints.positive


def open_uniform(shape: tuple[int, ...], dtype: np.dtype) -> Tensor:
    """Uniform draws on [tiny, 1 − eps] of ``dtype`` (PyTorch's range for Gumbel's base), so
    that an inverse CDF of them is finite even after rounding to float32."""
    finfo = np.finfo(dtype)
    u = generator().random(shape).astype(dtype)
    return Tensor(np.clip(u, finfo.tiny, 1 - finfo.eps), dtype=dtype)


class InverseCdfSampled(Distribution):
    """A distribution whose ``rsample`` is ``icdf(u)``, u ~ U(0, 1): differentiable in the
    parameters wherever ``icdf`` is. Subclasses set ``self._dtype`` and define ``icdf``."""

    has_rsample = True
    _dtype: np.dtype

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """icdf(u), u ~ U(0, 1) of shape sample_shape + batch_shape (differentiable)."""
        return self.icdf(open_uniform(self._extended_shape(sample_shape), self._dtype))

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """A draw of shape sample_shape + batch_shape, with no gradient."""
        with no_grad():
            return self.rsample(sample_shape).detach()


def expanded(dist: Distribution, batch_shape: Any, names: tuple[str, ...]) -> Distribution:
    """A copy of ``dist`` with batch_shape ``batch_shape``: each parameter in ``names``
    expanded (a view that keeps its graph) to batch_shape + event_shape, as PyTorch's
    ``Distribution.expand`` does; a shape they do not broadcast to raises."""
    shape = tuple(int(n) for n in batch_shape)
    new = object.__new__(type(dist))
    new.__dict__.update(dist.__dict__)
    full = shape + dist.event_shape
    for name in names:
        value = getattr(dist, name)
        if not _expands(value.shape, full):
            raise RuntimeError(f"expand: the shape of {name} {tuple(value.shape)} does not "
                               f"expand to {full}")
        setattr(new, name, value if value.shape == full else value.expand(*full))
    new._batch_shape = shape
    return new


def _expands(shape: tuple[int, ...], full: tuple[int, ...]) -> bool:
    try:
        return np.broadcast_shapes(shape, full) == full
    except ValueError:
        return False


def filled(shape: tuple[int, ...], value: float, dtype: np.dtype) -> Tensor:
    """A Tensor of ``shape`` holding ``value`` everywhere (no graph)."""
    return Tensor(np.full(shape, value, dtype=dtype), dtype=dtype)


def infinite_like(t: Tensor) -> Tensor:
    """+inf of t's shape and dtype: the KL divergence where q's support misses p's."""
    return filled(tuple(t.shape), np.inf, t.dtype)


def replaced(t: Tensor, mask: Any, value: float) -> Tensor:
    """``t`` with ``value`` where ``mask`` holds (both broadcast); no gradient flows there."""
    shape = np.broadcast_shapes(t.shape, np.shape(mask))
    t = t if t.shape == shape else t.expand(*shape)
    return where(np.broadcast_to(mask, shape), value, t)
