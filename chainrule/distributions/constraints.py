"""Constraints: the set a parameter or a value of a distribution must lie in
(``torch.distributions.constraints``' names and reprs, for the constraints used here).

``check(value)`` returns a NumPy bool array, True where ``value`` satisfies the constraint
(over the last dimension for a constraint on vectors).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _values(value: Any) -> np.ndarray:
    return np.asarray(getattr(value, "data", value))


class Constraint:
    """The base class: a set that ``check`` tests membership of, element by element."""

    is_discrete = False
    event_dim = 0

    def check(self, value: Any) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__[1:]}()"


class _Real(Constraint):
    """Any real number (NaN is not one)."""

    def check(self, value: Any) -> np.ndarray:
        x = _values(value)
        return x == x


class _IndependentReal(Constraint):
    """Real vectors: every entry along the last dimension real."""

    event_dim = 1

    def check(self, value: Any) -> np.ndarray:
        x = _values(value)
        return (x == x).all(axis=-1)

    def __repr__(self) -> str:
        return "IndependentConstraint(Real(), 1)"


class _GreaterThan(Constraint):
    def __init__(self, lower_bound: float) -> None:
        self.lower_bound = lower_bound

    def check(self, value: Any) -> np.ndarray:
        return _values(value) > self.lower_bound

    def __repr__(self) -> str:
        return f"GreaterThan(lower_bound={self.lower_bound})"


class _Interval(Constraint):
    """lower ≤ x ≤ upper (``half_open``: lower ≤ x < upper); the bounds may be arrays."""

    def __init__(self, lower_bound: Any, upper_bound: Any, half_open: bool = False) -> None:
        self.lower_bound, self.upper_bound, self.half_open = lower_bound, upper_bound, half_open

    def check(self, value: Any) -> np.ndarray:
        x, low, high = _values(value), _values(self.lower_bound), _values(self.upper_bound)
        return (low <= x) & ((x < high) if self.half_open else (x <= high))

    def __repr__(self) -> str:
        name = "HalfOpenInterval" if self.half_open else "Interval"
        return f"{name}(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _IntegerInterval(_Interval):
    is_discrete = True

    def check(self, value: Any) -> np.ndarray:
        x = _values(value)
        return (x % 1 == 0) & super().check(x)

    def __repr__(self) -> str:
        return f"IntegerInterval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _Boolean(Constraint):
    is_discrete = True

    def check(self, value: Any) -> np.ndarray:
        x = _values(value)
        return (x == 0) | (x == 1)


class _Simplex(Constraint):
    """Non-negative vectors (last dimension) that sum to 1 within 1e-6."""

    event_dim = 1

    def check(self, value: Any) -> np.ndarray:
        x = _values(value)
        return (x >= 0).all(axis=-1) & (np.abs(x.sum(axis=-1) - 1) < 1e-6)


real = _Real()
real_vector = _IndependentReal()
positive = _GreaterThan(0.0)
unit_interval = _Interval(0.0, 1.0)
boolean = _Boolean()
simplex = _Simplex()


def interval(lower_bound: Any, upper_bound: Any) -> Constraint:
    """lower_bound ≤ x ≤ upper_bound."""
    return _Interval(lower_bound, upper_bound)


def half_open_interval(lower_bound: Any, upper_bound: Any) -> Constraint:
    """lower_bound ≤ x < upper_bound."""
    return _Interval(lower_bound, upper_bound, half_open=True)


def integer_interval(lower_bound: int, upper_bound: int) -> Constraint:
    """The integers lower_bound, ..., upper_bound."""
    return _IntegerInterval(lower_bound, upper_bound)


class _Dependent(Constraint):
    """A constraint that depends on other parameters; checked by the distribution itself."""

    def check(self, value: Any) -> np.ndarray:
        return np.ones(np.shape(_values(value)), dtype=bool)


dependent = _Dependent()
