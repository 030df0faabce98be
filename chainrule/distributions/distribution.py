"""The ``Distribution`` base class: shapes, argument and value validation, and the methods
every distribution offers (``torch.distributions.Distribution``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from . import constraints
from .utils import as_tensor, checked_sample_shape


class Distribution:
    """A batch of probability distributions (torch.distributions.Distribution).

    Args:
        batch_shape: the shape of the batch of independent distributions.
        event_shape: the shape of one draw of one distribution.
        validate_args: check the parameters on construction, and the values given to
            ``log_prob``/``cdf``, raising a ValueError naming the parameter or the value
            (default: ``Distribution.set_default_validate_args``, True, as in PyTorch).

    Sampling draws from chainrule's package generator, so ``chainrule.manual_seed``
    reproduces it.
    """

    has_rsample = False
    has_enumerate_support = False
    arg_constraints: dict[str, constraints.Constraint] = {}
    support: constraints.Constraint | None = None
    _validate_default = True

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Turn the default validation on or off for distributions made later."""
        if value not in (True, False):
            raise ValueError(f"set_default_validate_args expects a bool, got {value!r}")
        Distribution._validate_default = bool(value)

    def __init__(self, batch_shape: Any = (), event_shape: Any = (),
                 validate_args: bool | None = None) -> None:
        self._batch_shape, self._event_shape = tuple(batch_shape), tuple(event_shape)
        self._validate_args = Distribution._validate_default if validate_args is None \
            else bool(validate_args)
        if self._validate_args:
            for name in self._given_params():
                self._check_param(name, getattr(self, name))

    def _given_params(self) -> tuple[str, ...]:
        """The parameters validated on construction (those the caller gave)."""
        return tuple(self.arg_constraints)

    def _check_param(self, name: str, value: Tensor) -> None:
        if not np.all(self.arg_constraints[name].check(value)):
            raise ValueError(f"Expected parameter {name} (Tensor of shape {tuple(value.shape)}) "
                             f"of distribution {self!r} to satisfy the constraint "
                             f"{self.arg_constraints[name]!r}, but found invalid values:\n"
                             f"{value.data}")

    # ------------------------------------------------------------------ shapes

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """The shape over which parameters are batched."""
        return self._batch_shape

    @property
    def event_shape(self) -> tuple[int, ...]:
        """The shape of a single sample (without batching)."""
        return self._event_shape

    def _extended_shape(self, sample_shape: Any = ()) -> tuple[int, ...]:
        return checked_sample_shape(sample_shape) + self._batch_shape + self._event_shape

    # ------------------------------------------------------------------ the interface

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """A draw of shape sample_shape + batch_shape + event_shape, with no gradient."""
        raise NotImplementedError(f"{type(self).__name__} does not implement sample")

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """A reparameterised draw, differentiable with respect to the parameters."""
        raise NotImplementedError(f"{type(self).__name__} does not implement rsample: it has "
                                  "no reparameterised sampler (has_rsample is False)")

    def sample_n(self, n: int) -> Tensor:
        """``sample((n,))``."""
        return self.sample((n,))

    def log_prob(self, value: Any) -> Tensor:
        """The log of the probability density or mass at ``value``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement log_prob")

    def cdf(self, value: Any) -> Tensor:
        """The cumulative distribution function at ``value``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement cdf")

    def icdf(self, value: Any) -> Tensor:
        """The inverse of the cumulative distribution function at ``value``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement icdf")

    def entropy(self) -> Tensor:
        """The entropy of each distribution of the batch (shape batch_shape)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement entropy")

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """Every value of a discrete distribution's support, along a new first dimension."""
        raise NotImplementedError(f"{type(self).__name__} does not implement "
                                  "enumerate_support")

    def perplexity(self) -> Tensor:
        """exp(entropy)."""
        return self.entropy().exp()

    @property
    def mean(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement mean")

    @property
    def mode(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement mode")

    @property
    def variance(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement variance")

    @property
    def stddev(self) -> Tensor:
        """The standard deviation, √variance."""
        return self.variance.sqrt()

    # ------------------------------------------------------------------ values

    def _validate_sample(self, value: Any) -> None:
        """PyTorch's checks of a value given to log_prob or cdf: a Tensor, of a shape that
        broadcasts with batch_shape + event_shape, inside the support."""
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        start = value.ndim - len(self._event_shape)
        if start < 0 or tuple(value.shape[start:]) != self._event_shape:
            raise ValueError(f"The right-most size of value must match event_shape: "
                             f"{tuple(value.shape)} vs {self._event_shape}.")
        expected = self._batch_shape + self._event_shape
        for i, j in zip(reversed(value.shape), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: "
                                 f"{tuple(value.shape)} vs {expected}.")
        if not np.all(self.support.check(value)):
            raise ValueError(f"Expected value argument (Tensor of shape {tuple(value.shape)}) "
                             f"to be within the support ({self.support!r}) of the "
                             f"distribution {self!r}, but found invalid values:\n{value.data}")

    def _value(self, value: Any) -> Tensor:
        """``value`` as a Tensor, validated when this distribution validates."""
        if self._validate_args:
            self._validate_sample(value)
        return as_tensor(value)

    def __repr__(self) -> str:
        shown = [name for name in self.arg_constraints if name in self._given_params()]
        parts = []
        for name in shown:
            value = getattr(self, name).data
            parts.append(f"{name}: {value.item() if value.size == 1 else tuple(value.shape)}")
        return f"{type(self).__name__}({', '.join(parts)})"
