"""Tensor methods of PyTorch that compute something new (not aliases): their top-level forms
are in ``extra_functions``.

Each method is a line that calls its function in ``extra_scatter`` (slice/select/diagonal
scatters, index_reduce), ``extra_math`` (logaddexp2, ldexp, frexp, nextafter, bit shifts) or
``extra_reduce`` (renorm, nanmedian), loaded on first use so that ``import chainrule`` does not
load them (tests/test_lazy_import.py). The in-place forms compute out of place and write the
result back with ``inplace.inplace`` (recorded for autograd like the other in-place ops).
"""

from __future__ import annotations

from typing import Any

from .inplace import inplace


def _scatter() -> Any:
    from . import extra_scatter  # noqa: PLC0415 - loaded on first use

    return extra_scatter


def _math() -> Any:
    from . import extra_math  # noqa: PLC0415 - loaded on first use

    return extra_math


def _reduce() -> Any:
    from . import extra_reduce  # noqa: PLC0415 - loaded on first use

    return extra_reduce


def _cast_inplace(t: Any, name: str, compute: Any, *operands: Any) -> Any:
    """``t`` ← ``compute(t, *operands)`` in place, the result cast to ``t``'s dtype where
    PyTorch casts it (float64 into float32, int64 into int8; never float into int)."""
    return inplace(t, name, lambda x, *o: _math().cast_into(x, name, compute(x, *o)),
                   *operands)


class ExtraMixin:
    """Tensor's further PyTorch methods."""

    __slots__ = ()

    def slice_scatter(self, src, dim=0, start=None, end=None, step=1):
        """A copy of self with the slice ``start:end:step`` along ``dim`` replaced by src."""
        return _scatter().slice_scatter(self, src, dim, start, end, step)

    def select_scatter(self, src, dim, index):
        """A copy of self with ``self.select(dim, index)`` replaced by src."""
        return _scatter().select_scatter(self, src, dim, index)

    def diagonal_scatter(self, src, offset=0, dim1=0, dim2=1):
        """A copy of self with ``self.diagonal(offset, dim1, dim2)`` replaced by src."""
        return _scatter().diagonal_scatter(self, src, offset, dim1, dim2)

    def index_reduce(self, dim, index, source, reduce, *, include_self=True):
        """self with the slices of source along ``dim`` reduced into the slices ``index``
        names, by 'prod', 'mean', 'amax' or 'amin'."""
        return _scatter().index_reduce(self, dim, index, source, reduce,
                                       include_self=include_self)

    def index_reduce_(self, dim, index, source, reduce, *, include_self=True):
        """In-place ``index_reduce``; returns self."""
        return inplace(self, "index_reduce_", lambda x, s: x.index_reduce(
            dim, index, s, reduce, include_self=include_self), source)

    def diagflat(self, offset=0):
        """The square matrix with self, flattened, on diagonal ``offset``."""
        return self.reshape(-1).diag(offset)

    def logaddexp2(self, other):
        """log₂(2^self + 2^other), computed stably."""
        return _math().logaddexp2(self, other)

    def ldexp(self, other):
        """self · 2^other."""
        return _math().ldexp(self, other)

    def ldexp_(self, other):
        """self ← self · 2^other, in place; returns self."""
        return _cast_inplace(self, "ldexp_", lambda x, o: x.ldexp(o), other)

    def frexp(self):
        """The named tuple (mantissa, exponent): self = mantissa · 2^exponent."""
        return _math().frexp(self)

    def nextafter(self, other):
        """The next float after self towards other, elementwise."""
        return _math().nextafter(self, other)

    def nextafter_(self, other):
        """self ← ``self.nextafter(other)``, in place; returns self."""
        return _cast_inplace(self, "nextafter_", lambda x, o: x.nextafter(o), other)

    def bitwise_left_shift(self, other):
        """self << other, for integers (0 for a shift < 0 or ≥ the dtype's width)."""
        return _math().shift(self, other, "bitwise_left_shift", left=True)

    def bitwise_right_shift(self, other):
        """self >> other, for integers (the sign fill for a shift < 0 or ≥ the width)."""
        return _math().shift(self, other, "bitwise_right_shift", left=False)

    def bitwise_left_shift_(self, other):
        """self ← self << other, in place; returns self."""
        return _cast_inplace(self, "bitwise_left_shift_",
                             lambda x, o: x.bitwise_left_shift(o), other)

    def bitwise_right_shift_(self, other):
        """self ← self >> other, in place; returns self."""
        return _cast_inplace(self, "bitwise_right_shift_",
                             lambda x, o: x.bitwise_right_shift(o), other)

    def renorm(self, p, dim, maxnorm):
        """self with every slice along ``dim`` whose p-norm exceeds maxnorm scaled down."""
        return _reduce().renorm(self, p, dim, maxnorm)

    def renorm_(self, p, dim, maxnorm):
        """In-place ``renorm``; returns self."""
        return inplace(self, "renorm_", lambda x: x.renorm(p, dim, maxnorm))

    def nanmedian(self, dim=None, keepdim=False):
        """The lower median ignoring NaN (with ``dim``, the named tuple (values, indices))."""
        return _reduce().nanmedian(self, dim, keepdim)

    def __lshift__(self, other):
        return self.bitwise_left_shift(other)

    def __rshift__(self, other):
        return self.bitwise_right_shift(other)

    def __rlshift__(self, other):
        return _math().shift(other, self, "bitwise_left_shift", left=True)

    def __rrshift__(self, other):
        return _math().shift(other, self, "bitwise_right_shift", left=False)

    def __ilshift__(self, other):
        return self.bitwise_left_shift_(other)

    def __irshift__(self, other):
        return self.bitwise_right_shift_(other)
