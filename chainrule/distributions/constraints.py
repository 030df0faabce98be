"""Constraints: the set a parameter or a value of a distribution must lie in
(``torch.distributions.constraints``, with PyTorch's names, reprs and ``event_dim``).

``check(value)`` returns a NumPy bool array of shape ``value.shape[:value.ndim - event_dim]``:
True where the event (the last ``event_dim`` dimensions) satisfies the constraint.
Parametrised constraints (``greater_than``, ``interval``, ``independent``, ``cat``, …) are
classes, called with their parameters as in PyTorch; the others are instances.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np


def _values(value: Any) -> np.ndarray:
    return np.asarray(getattr(value, "data", value))


def _all_last(result: np.ndarray, ndims: int) -> np.ndarray:
    """``result`` reduced with ``all`` over its last ``ndims`` dimensions."""
    return result.all(axis=tuple(range(result.ndim - ndims, result.ndim))) if ndims else result


class Constraint:
    """The base class: a region a variable is valid in.

    Attributes:
        is_discrete: whether the region is a discrete set.
        event_dim: how many rightmost dimensions form one event; ``check`` removes them.
    """

    is_discrete = False
    event_dim = 0

    def check(self, value: Any) -> np.ndarray:
        """A bool array of shape sample_shape + batch_shape: whether each event is valid."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__[1:]}()"


# ---------------------------------------------------------------------- dependent


class _Dependent(Constraint):
    """A placeholder for a variable whose support depends on other variables.

    ``is_discrete``/``event_dim`` raise NotImplementedError unless given (as in PyTorch), and
    calling it, ``dependent(is_discrete=True, event_dim=1)``, gives one with them set.

    NOTE: PyTorch's ``check`` raises ValueError and its ``Distribution`` skips dependent
    arguments when validating; chainrule's ``Distribution`` calls ``check`` on every entry of
    ``arg_constraints``, so here ``check`` accepts every value (the distribution that declares
    a dependent argument checks it itself).
    """

    def __init__(self, *, is_discrete: Any = NotImplemented,
                 event_dim: Any = NotImplemented) -> None:
        self._is_discrete, self._event_dim = is_discrete, event_dim

    @property
    def is_discrete(self) -> bool:  # type: ignore[override]
        if self._is_discrete is NotImplemented:
            raise NotImplementedError(".is_discrete cannot be determined statically")
        return self._is_discrete

    @property
    def event_dim(self) -> int:  # type: ignore[override]
        if self._event_dim is NotImplemented:
            raise NotImplementedError(".event_dim cannot be determined statically")
        return self._event_dim

    def __call__(self, *, is_discrete: Any = NotImplemented,
                 event_dim: Any = NotImplemented) -> _Dependent:
        return _Dependent(
            is_discrete=self._is_discrete if is_discrete is NotImplemented else is_discrete,
            event_dim=self._event_dim if event_dim is NotImplemented else event_dim)

    def check(self, value: Any) -> np.ndarray:
        return np.ones(np.shape(_values(value)), dtype=bool)


def is_dependent(constraint: Any) -> bool:
    """Whether ``constraint`` is a dependent placeholder (``dependent``, ``dependent_property``)."""
    return isinstance(constraint, _Dependent)


class _DependentProperty(property, _Dependent):
    """A ``property`` on instances that, read on the class, is a dependent constraint::

        @constraints.dependent_property(is_discrete=False, event_dim=0)
        def support(self):
            return constraints.interval(self.low, self.high)
    """

    def __init__(self, fn: Callable[..., Any] | None = None, *,
                 is_discrete: Any = NotImplemented, event_dim: Any = NotImplemented) -> None:
        property.__init__(self, fn)
        self._is_discrete, self._event_dim = is_discrete, event_dim

    def __call__(self, fn: Callable[..., Any]) -> _DependentProperty:  # type: ignore[override]
        return _DependentProperty(fn, is_discrete=self._is_discrete, event_dim=self._event_dim)


# ---------------------------------------------------------------------- wrappers


def _checked_base(base_constraint: Any) -> Constraint:
    if not isinstance(base_constraint, Constraint):
        raise AssertionError(f"base_constraint must be a Constraint, got "
                             f"{type(base_constraint).__name__}")
    return base_constraint


class _IndependentConstraint(Constraint):
    """``base_constraint`` with its rightmost ``reinterpreted_batch_ndims`` batch dimensions
    taken into the event: an event is valid only where all its entries are."""

    def __init__(self, base_constraint: Constraint, reinterpreted_batch_ndims: int) -> None:
        self.base_constraint = _checked_base(base_constraint)
        if not isinstance(reinterpreted_batch_ndims, int) or reinterpreted_batch_ndims < 0:
            raise AssertionError(f"reinterpreted_batch_ndims must be an int >= 0, got "
                                 f"{reinterpreted_batch_ndims!r}")
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims

    @property
    def is_discrete(self) -> bool:  # type: ignore[override]
        return self.base_constraint.is_discrete

    @property
    def event_dim(self) -> int:  # type: ignore[override]
        return self.base_constraint.event_dim + self.reinterpreted_batch_ndims

    def check(self, value: Any) -> np.ndarray:
        result = np.asarray(self.base_constraint.check(value))
        if result.ndim < self.reinterpreted_batch_ndims:
            raise ValueError(f"Expected value.dim() >= {self.event_dim} but got "
                             f"{_values(value).ndim}")
        return _all_last(result, self.reinterpreted_batch_ndims)

    def __repr__(self) -> str:
        return f"IndependentConstraint({self.base_constraint!r}, " \
               f"{self.reinterpreted_batch_ndims})"


class MixtureSameFamilyConstraint(Constraint):
    """The support of a ``MixtureSameFamily``: a value is valid where the component
    constraint holds for it against every component (the value is given a component
    dimension before the check, and the result reduced over it)."""

    def __init__(self, base_constraint: Constraint) -> None:
        self.base_constraint = _checked_base(base_constraint)

    @property
    def is_discrete(self) -> bool:  # type: ignore[override]
        return self.base_constraint.is_discrete

    @property
    def event_dim(self) -> int:  # type: ignore[override]
        return self.base_constraint.event_dim

    def check(self, value: Any) -> np.ndarray:
        x = _values(value)
        if x.ndim < self.event_dim:
            raise ValueError(f"Expected value.dim() >= {self.event_dim} but got {x.ndim}")
        result = np.asarray(self.base_constraint.check(np.expand_dims(x, -1 - self.event_dim)))
        return _all_last(result, result.ndim - (x.ndim - self.event_dim))

    def __repr__(self) -> str:
        return f"MixtureSameFamilyConstraint({self.base_constraint!r})"


# ---------------------------------------------------------------------- scalars


class _Real(Constraint):
    """The extended real line [−inf, inf] (NaN is not in it)."""

    def check(self, value: Any) -> np.ndarray:
        x = _values(value)
        return x == x


class _Boolean(Constraint):
    """The two values {0, 1}."""

    is_discrete = True

    def check(self, value: Any) -> np.ndarray:
        x = _values(value)
        return (x == 0) | (x == 1)


class _Bounded(Constraint):
    """A constraint with one bound, shown as ``Name(<bound name>=<bound>)``."""

    _bound_name = ""

    def __repr__(self) -> str:
        return f"{type(self).__name__[1:]}({self._bound_name}={getattr(self, self._bound_name)})"


class _GreaterThan(_Bounded):
    """lower_bound < x."""

    _bound_name = "lower_bound"

    def __init__(self, lower_bound: Any) -> None:
        self.lower_bound = lower_bound

    def check(self, value: Any) -> np.ndarray:
        return _values(self.lower_bound) < _values(value)


class _GreaterThanEq(_GreaterThan):
    """lower_bound ≤ x."""

    def check(self, value: Any) -> np.ndarray:
        return _values(self.lower_bound) <= _values(value)


class _LessThan(_Bounded):
    """x < upper_bound."""

    _bound_name = "upper_bound"

    def __init__(self, upper_bound: Any) -> None:
        self.upper_bound = upper_bound

    def check(self, value: Any) -> np.ndarray:
        return _values(value) < _values(self.upper_bound)


class _IntegerGreaterThan(_GreaterThan):
    """The integers lower_bound, lower_bound + 1, …"""

    is_discrete = True

    def check(self, value: Any) -> np.ndarray:
        x = _values(value)
        return (x % 1 == 0) & (x >= _values(self.lower_bound))


class _IntegerLessThan(_LessThan):
    """The integers …, upper_bound − 1, upper_bound."""

    is_discrete = True

    def check(self, value: Any) -> np.ndarray:
        x = _values(value)
        return (x % 1 == 0) & (x <= _values(self.upper_bound))


class _Interval(Constraint):
    """lower_bound ≤ x ≤ upper_bound; the bounds may be numbers, arrays or Tensors."""

    def __init__(self, lower_bound: Any, upper_bound: Any) -> None:
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def _bounds(self, value: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return _values(value), _values(self.lower_bound), _values(self.upper_bound)

    def check(self, value: Any) -> np.ndarray:
        x, low, high = self._bounds(value)
        return (low <= x) & (x <= high)

    def __repr__(self) -> str:
        return f"{type(self).__name__[1:]}(lower_bound={self.lower_bound}, " \
               f"upper_bound={self.upper_bound})"


class _HalfOpenInterval(_Interval):
    """lower_bound ≤ x < upper_bound."""

    def check(self, value: Any) -> np.ndarray:
        x, low, high = self._bounds(value)
        return (low <= x) & (x < high)


class _IntegerInterval(_Interval):
    """The integers lower_bound, …, upper_bound."""

    is_discrete = True

    def check(self, value: Any) -> np.ndarray:
        x = _values(value)
        return (x % 1 == 0) & super().check(x)


# ---------------------------------------------------------------------- vectors


class _Simplex(Constraint):
    """Non-negative vectors (last dimension) that sum to 1 within 1e-6."""

    event_dim = 1

    def check(self, value: Any) -> np.ndarray:
        x = _values(value)
        return (x >= 0).all(axis=-1) & (np.abs(x.sum(axis=-1) - 1) < 1e-6)


class _OneHot(Constraint):
    """Vectors of zeros with a single one."""

    is_discrete = True
    event_dim = 1

    def check(self, value: Any) -> np.ndarray:
        x = _values(value)
        return ((x == 0) | (x == 1)).all(axis=-1) & (x.sum(axis=-1) == 1)


class _Multinomial(Constraint):
    """Non-negative vectors whose sum is at most ``upper_bound`` (PyTorch checks this weaker
    condition, not that the sum equals it)."""

    is_discrete = True
    event_dim = 1

    def __init__(self, upper_bound: Any) -> None:
        self.upper_bound = upper_bound

    def check(self, value: Any) -> np.ndarray:
        x = _values(value)
        return (x >= 0).all(axis=-1) & (x.sum(axis=-1) <= _values(self.upper_bound))


# ---------------------------------------------------------------------- matrices


def _is_lower_triangular(x: np.ndarray) -> np.ndarray:
    return (np.tril(x) == x).all(axis=(-2, -1))


class _LowerTriangular(Constraint):
    """Lower-triangular square matrices."""

    event_dim = 2

    def check(self, value: Any) -> np.ndarray:
        return _is_lower_triangular(_values(value))


class _LowerCholesky(Constraint):
    """Lower-triangular matrices with a positive diagonal."""

    event_dim = 2

    def check(self, value: Any) -> np.ndarray:
        x = _values(value)
        diagonal = np.diagonal(x, axis1=-2, axis2=-1)
        return _is_lower_triangular(x) & (diagonal > 0).all(axis=-1)


class _CorrCholesky(_LowerCholesky):
    """Lower-Cholesky matrices whose rows have unit length (within 10·n·eps of the dtype)."""

    def check(self, value: Any) -> np.ndarray:
        x = _values(value)
        dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)
        tol = np.finfo(dtype).eps * x.shape[-1] * 10
        unit_rows = (np.abs(np.linalg.norm(x, axis=-1) - 1) <= tol).all(axis=-1)
        return super().check(x) & unit_rows


class _Square(Constraint):
    """Square matrices (a check of the shape only)."""

    event_dim = 2

    def check(self, value: Any) -> np.ndarray:
        x = _values(value)
        return np.full(x.shape[:-2], x.shape[-2] == x.shape[-1], dtype=bool)


class _Symmetric(_Square):
    """Square matrices equal to their transpose (within an absolute 1e-6)."""

    def check(self, value: Any) -> np.ndarray:
        square = super().check(value)
        if not square.all():
            return square
        x = _values(value)
        return np.isclose(x, np.swapaxes(x, -1, -2), atol=1e-6).all(axis=(-2, -1))


class _PositiveSemidefinite(_Symmetric):
    """Symmetric matrices with non-negative eigenvalues."""

    def check(self, value: Any) -> np.ndarray:
        symmetric = super().check(value)
        if not symmetric.all():
            return symmetric
        return (np.linalg.eigvalsh(_values(value)) >= 0).all(axis=-1)


def _has_cholesky(matrix: np.ndarray) -> bool:
    try:
        np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        return False
    return True


class _PositiveDefinite(_Symmetric):
    """Symmetric matrices with a Cholesky factorisation (positive eigenvalues)."""

    def check(self, value: Any) -> np.ndarray:
        symmetric = super().check(value)
        if not symmetric.all():
            return symmetric
        x = _values(value)
        if _has_cholesky(x):
            return np.ones(x.shape[:-2], dtype=bool)
        flat = x.reshape((-1,) + x.shape[-2:])
        return np.array([_has_cholesky(m) for m in flat], dtype=bool).reshape(x.shape[:-2])


# ---------------------------------------------------------------------- joins


def _checked_sequence(cseq: Sequence[Any]) -> list[Constraint]:
    cseq = list(cseq)
    if not all(isinstance(c, Constraint) for c in cseq):
        raise AssertionError("All elements of cseq must be Constraint instances")
    return cseq


def _checked_dim(dim: int, ndim: int) -> None:
    if not -ndim <= dim < ndim:
        raise AssertionError(f"dim {dim} out of range for value with {ndim} dimensions")


class _Cat(Constraint):
    """The constraints of ``cseq`` applied to consecutive slices along ``dim`` of lengths
    ``lengths`` (default 1 each), as ``torch.cat`` joins them; the checks are joined too."""

    def __init__(self, cseq: Sequence[Constraint], dim: int = 0,
                 lengths: Sequence[int] | None = None) -> None:
        self.cseq = _checked_sequence(cseq)
        self.lengths = [1] * len(self.cseq) if lengths is None else list(lengths)
        if len(self.lengths) != len(self.cseq):
            raise AssertionError(f"lengths ({len(self.lengths)}) must match cseq "
                                 f"({len(self.cseq)})")
        self.dim = dim

    @property
    def is_discrete(self) -> bool:  # type: ignore[override]
        return any(c.is_discrete for c in self.cseq)

    @property
    def event_dim(self) -> int:  # type: ignore[override]
        return max(c.event_dim for c in self.cseq)

    def check(self, value: Any) -> np.ndarray:
        x = _values(value)
        _checked_dim(self.dim, x.ndim)
        bounds = np.cumsum([0] + self.lengths)
        parts = [np.asarray(c.check(np.take(x, range(start, stop), axis=self.dim)))
                 for c, start, stop in zip(self.cseq, bounds[:-1], bounds[1:])]
        return np.concatenate(parts, axis=self.dim)


class _Stack(Constraint):
    """The constraints of ``cseq`` applied to the slices ``value.select(dim, i)``, as
    ``torch.stack`` joins them; the checks are stacked along ``dim``."""

    def __init__(self, cseq: Sequence[Constraint], dim: int = 0) -> None:
        self.cseq = _checked_sequence(cseq)
        self.dim = dim

    @property
    def is_discrete(self) -> bool:  # type: ignore[override]
        return any(c.is_discrete for c in self.cseq)

    @property
    def event_dim(self) -> int:  # type: ignore[override]
        dim = max(c.event_dim for c in self.cseq)
        return dim + 1 if self.dim + dim < 0 else dim

    def check(self, value: Any) -> np.ndarray:
        x = _values(value)
        _checked_dim(self.dim, x.ndim)
        slices = [np.take(x, i, axis=self.dim) for i in range(x.shape[self.dim])]
        return np.stack([np.asarray(c.check(v)) for v, c in zip(slices, self.cseq)],
                        axis=self.dim)


# ---------------------------------------------------------------------- public names

dependent = _Dependent()
dependent_property = _DependentProperty
independent = _IndependentConstraint
boolean = _Boolean()
one_hot = _OneHot()
nonnegative_integer = _IntegerGreaterThan(0)
positive_integer = _IntegerGreaterThan(1)
integer_interval = _IntegerInterval
real = _Real()
real_vector = independent(real, 1)
positive = _GreaterThan(0.0)
nonnegative = _GreaterThanEq(0.0)
greater_than = _GreaterThan
greater_than_eq = _GreaterThanEq
less_than = _LessThan
multinomial = _Multinomial
unit_interval = _Interval(0.0, 1.0)
interval = _Interval
half_open_interval = _HalfOpenInterval
simplex = _Simplex()
lower_triangular = _LowerTriangular()
lower_cholesky = _LowerCholesky()
corr_cholesky = _CorrCholesky()
square = _Square()
symmetric = _Symmetric()
positive_semidefinite = _PositiveSemidefinite()
positive_definite = _PositiveDefinite()
cat = _Cat
stack = _Stack

__all__ = ["Constraint", "MixtureSameFamilyConstraint", "boolean", "cat", "corr_cholesky",
           "dependent", "dependent_property", "greater_than", "greater_than_eq",
           "half_open_interval", "independent", "integer_interval", "interval",
           "is_dependent", "less_than", "lower_cholesky", "lower_triangular", "multinomial",
           "nonnegative", "nonnegative_integer", "one_hot", "positive", "positive_definite",
           "positive_integer", "positive_semidefinite", "real", "real_vector", "simplex",
           "square", "stack", "symmetric", "unit_interval"]
