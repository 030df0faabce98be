"""Tensor scans and shifts along a dimension: cumsum, cumprod, roll, repeat_interleave, with
their top-level ``chainrule.X`` forms.

cumsum, cumprod and roll are Functions of ``ops.select``; repeat_interleave is an
``index_select`` with each position repeated, so its gradient sums each group back.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes
from ..ops import select as ops
from .reduce import normalize_dim


def _scan_input(x: Any, dtype: Any) -> Any:
    """``x`` in ``dtype`` if given, else with bool and integers widened to int64 (PyTorch)."""
    if dtype is not None:
        return x.to(dtype)
    if not dtypes.is_floating(x.dtype):
        return x.to(dtypes.int64)
    return x


def _shifts(value: Any) -> tuple[int, ...]:
    return tuple(int(v) for v in value) if isinstance(value, (tuple, list)) else (int(value),)


class ScanMixin:
    """Cumulative and shifting methods of ``Tensor``."""

    __slots__ = ()

    def cumsum(self, dim, *, dtype=None):
        """Running sums along ``dim``; integer and bool tensors give int64 unless ``dtype``."""
        return self._scan(ops.Cumsum, dim, dtype)

    def cumprod(self, dim, *, dtype=None):
        """Running products along ``dim``; integer and bool tensors give int64 unless ``dtype``.
        The gradient is exact where the input holds zeros (see ``ops.select.Cumprod``)."""
        return self._scan(ops.Cumprod, dim, dtype)

    def roll(self, shifts, dims=None):
        """Elements shifted by ``shifts`` along ``dims`` (ints or equal-length tuples), coming
        back at the other end; with ``dims=None`` the flattened tensor is rolled and reshaped."""
        shifts = _shifts(shifts)
        if dims is None:
            if len(shifts) != 1:
                raise ValueError(f"roll: without dims, shifts must be one int, got {shifts}")
            return self.reshape(-1).roll(shifts, 0).reshape(self.shape)
        dims = _shifts(dims)
        if len(dims) != len(shifts) or not shifts:
            raise ValueError(f"roll: shifts {shifts} and dims {dims} must have the same "
                             "non-zero length")
        axes = tuple(normalize_dim(d, self.ndim) for d in dims)
        if self.ndim == 0:
            return self.clone()
        return self._apply(ops.Roll, shifts=shifts, axes=axes)

    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        """Each element (or each slice along ``dim``) repeated ``repeats`` times in place: an
        int, or one count per slice (a 1-D integer tensor; one element applies to all). With
        ``dim=None`` the flattened tensor is repeated. ``output_size`` is checked if given."""
        if dim is None:
            return self.reshape(-1).repeat_interleave(repeats, 0, output_size=output_size)
        axis = normalize_dim(dim, self.ndim)
        source = self.reshape(1) if self.ndim == 0 else self
        counts = self._repeat_counts(repeats, source.shape[axis], dim)
        index = np.repeat(np.arange(source.shape[axis]), counts)
        if output_size is not None and int(output_size) != index.size:
            raise ValueError(f"repeat_interleave: output_size is {output_size}, but the "
                             f"repeats add up to {index.size}")
        return source.index_select(axis, index)

    def _scan(self, fn, dim, dtype):
        x = _scan_input(self, dtype)
        if x.ndim == 0:
            normalize_dim(dim, 0)
            return x.reshape(1)._apply(fn, axis=0).reshape(())
        return x._apply(fn, axis=normalize_dim(dim, x.ndim))

    def _repeat_counts(self, repeats, size, dim):
        """One non-negative repeat count per slice along ``dim``, from an int or a tensor."""
        if isinstance(repeats, ScanMixin):
            repeats = repeats.data
        counts = np.asarray(repeats)
        if counts.dtype.kind not in "iu":
            raise TypeError(f"repeat_interleave: repeats must be an int or an integer "
                            f"tensor, got {counts.dtype}")
        if counts.ndim > 1:
            raise ValueError(f"repeat_interleave: repeats must be 0-d or 1-d, got shape "
                             f"{counts.shape}")
        if counts.size not in (1, size):
            raise ValueError(f"repeat_interleave: {counts.size} repeat counts for dimension "
                             f"{dim} of size {size}; give one count or one per slice")
        if (counts < 0).any():
            raise RuntimeError(f"repeat_interleave: repeats must be non-negative, got "
                               f"{counts.min()}")
        return np.broadcast_to(counts.reshape(-1), (size,))


def cumsum(input: Any, dim: int, *, dtype: Any = None) -> Any:
    """``torch.cumsum``: running sums along ``dim``.

    Args:
        dim: the dimension to accumulate along.
        dtype: convert ``input`` to this dtype first (default: integers and bool become
            int64, as in PyTorch).
    """
    return input.cumsum(dim, dtype=dtype)


def cumprod(input: Any, dim: int, *, dtype: Any = None) -> Any:
    """``torch.cumprod``: running products along ``dim``; the arguments of ``cumsum``."""
    return input.cumprod(dim, dtype=dtype)


def roll(input: Any, shifts: Any, dims: Any = None) -> Any:
    """``torch.roll``: elements shifted cyclically, those leaving at one end coming back at
    the other.

    Args:
        shifts: an int or a tuple of ints, one per entry of ``dims``.
        dims: the dimensions to roll; None rolls the flattened tensor (one shift).
    """
    return input.roll(shifts, dims)


def repeat_interleave(input: Any, repeats: Any = None, dim: int | None = None, *,
                      output_size: int | None = None) -> Any:
    """``torch.repeat_interleave``: each element (or slice along ``dim``) repeated in place;
    the gradient sums each group back. ``repeat_interleave(repeats)`` alone (an integer
    tensor) gives ``[0] * repeats[0] + [1] * repeats[1] + ...``.

    Args:
        repeats: an int, or a 1-D integer tensor with one count per slice (or one count).
        dim: the dimension to repeat along; None repeats the flattened tensor.
        output_size: the total length, checked when given.
    """
    if repeats is None:
        counts = input.data.reshape(-1)
        ramp = input._const(np.arange(counts.size, dtype=np.int64))
        return ramp.repeat_interleave(input.reshape(-1), 0, output_size=output_size)
    return input.repeat_interleave(repeats, dim, output_size=output_size)
