"""Top-level indexing and search functions with PyTorch's names: ``masked_select``, ``take``,
``argwhere``, ``isin``, ``bucketize``, ``searchsorted``, ``bincount``, ``histc`` and
``is_nonzero``.

``masked_select`` and ``take`` index with ``GetItem``, so their gradients flow back to the
elements taken; the others return integer or bool tensors (or counts) with no gradient, as in
PyTorch. Tensor method forms are in ``methods.structure``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes
from .math import broadcast_shape

# ---------------------------------------------------------------- selections


def masked_select(input: Any, mask: Any) -> Any:
    """``torch.masked_select``: the elements of ``input`` where the bool ``mask`` holds (the
    two broadcast together), as a 1-D tensor in row-major order; differentiable."""
    condition = mask.data if hasattr(mask, "data") else np.asarray(mask)
    if condition.dtype != np.bool_:
        raise TypeError(f"masked_select: mask must be a bool tensor, got {condition.dtype}")
    shape = broadcast_shape("masked_select", tuple(input.shape), condition.shape)
    return input.broadcast_to(shape)[np.broadcast_to(condition, shape)]


def take(input: Any, index: Any) -> Any:
    """``torch.take``: the elements of the flattened ``input`` at ``index`` (negative counts
    from the end), in ``index``'s shape; differentiable (repeats add their gradients)."""
    idx = _integers("take", "index", index)
    size = input.numel()
    if idx.size and (idx.min() < -size or idx.max() >= size):
        bad = idx.min() if idx.min() < -size else idx.max()
        raise IndexError(f"take: index {bad} is out of range for a tensor of {size} elements")
    return input.reshape(-1)[np.where(idx < 0, idx + size, idx)]


def argwhere(input: Any) -> Any:
    """``torch.argwhere``: the indices of the non-zero elements, shape (count, ndim), int64."""
    return input.nonzero()


def is_nonzero(input: Any) -> bool:
    """``torch.is_nonzero``: whether the one element of a one-element tensor is not zero; a
    RuntimeError for any other number of elements."""
    if input.numel() != 1:
        what = "no values" if input.numel() == 0 else "more than one value"
        raise RuntimeError(f"is_nonzero: Boolean value of Tensor with {what} is ambiguous "
                           f"(shape {tuple(input.shape)})")
    return bool(input.data.reshape(-1)[0])


def _integers(name: str, what: str, values: Any) -> np.ndarray:
    array = values.data if hasattr(values, "data") else np.asarray(values)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{name}: {what} must be an integer tensor, got {array.dtype}")
    return array.astype(np.int64, copy=False)


def _array(values: Any) -> np.ndarray:
    return values.data if hasattr(values, "data") and hasattr(values, "ndim") else \
        np.asarray(values)


def _like(reference: Any, *candidates: Any) -> Any:
    """The first Tensor among ``candidates`` (to make constant results with)."""
    for c in candidates:
        if hasattr(c, "_const"):
            return c
    raise TypeError(f"{reference}: expects at least one tensor argument")


# ---------------------------------------------------------------- membership and order


def isin(elements: Any, test_elements: Any, *, assume_unique: bool = False,
         invert: bool = False) -> Any:
    """``torch.isin``: for each element of ``elements``, whether it occurs in
    ``test_elements`` (either may be a number); bool, ``elements``' shape. NaN is in nothing.

    Args:
        assume_unique: accepted (a speed hint in PyTorch); the result is the same.
        invert: return the opposite (not in ``test_elements``).
    """
    like = _like("isin", elements, test_elements)
    found = np.isin(_array(elements), _array(test_elements), invert=invert)
    return like._const(np.asarray(found, dtype=bool))


def searchsorted(sorted_sequence: Any, input: Any, *, out_int32: bool = False,
                 right: bool = False, side: str | None = None, sorter: Any = None) -> Any:
    """``torch.searchsorted``: for each value of ``input``, the index at which inserting it
    keeps ``sorted_sequence`` sorted along its last dimension.

    Args:
        sorted_sequence: 1-D (one sequence for every value), or N-D whose leading dimensions
            match ``input``'s (one sequence per row).
        input: the values (a tensor or a number, which gives a 0-d result).
        out_int32: return int32 instead of int64.
        right: the last suitable index (after equal values) rather than the first.
        side: 'left' or 'right', the same choice by name; it must agree with ``right``.
        sorter: indices that sort an unsorted ``sorted_sequence`` along its last dimension.
    """
    side = _side(side, right)
    sequence = _array(sorted_sequence)
    if sorter is not None:
        sequence = np.take_along_axis(sequence, _integers("searchsorted", "sorter", sorter), -1)
    values = _array(input)
    like = _like("searchsorted", sorted_sequence, input)
    if sequence.ndim == 0:
        raise RuntimeError("searchsorted: boundaries tensor should be 1 dimension or more, "
                           "got a 0-d tensor")
    if sequence.ndim == 1:
        found = np.searchsorted(sequence, values, side=side)
    else:
        if values.ndim != sequence.ndim or values.shape[:-1] != sequence.shape[:-1]:
            raise RuntimeError(f"searchsorted: the first N-1 dimensions of the boundaries "
                               f"{sequence.shape} and of the input values {values.shape} must "
                               "match")
        rows = sequence.reshape(-1, sequence.shape[-1])
        queries = values.reshape(len(rows), -1)
        found = np.stack([np.searchsorted(r, q, side=side) for r, q in zip(rows, queries)])
        found = found.reshape(values.shape)
    return like._const(np.asarray(found, dtype=np.int32 if out_int32 else np.int64))


def _side(side: str | None, right: bool) -> str:
    if side is None:
        return "right" if right else "left"
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    if right and side == "left":
        raise RuntimeError("searchsorted: side and right can't be set to opposites, got side "
                           "of left while right was True")
    return side


def bucketize(input: Any, boundaries: Any, *, out_int32: bool = False,
              right: bool = False) -> Any:
    """``torch.bucketize``: for each value, the index i of its bucket in the 1-D ascending
    ``boundaries``: boundaries[i − 1] < x ≤ boundaries[i] (``right=False``) or
    boundaries[i − 1] ≤ x < boundaries[i] (``right=True``); int64 (int32 with
    ``out_int32``), ``input``'s shape."""
    if _array(boundaries).ndim != 1:
        raise RuntimeError(f"bucketize: boundaries tensor must be 1 dimension, got shape "
                           f"{_array(boundaries).shape}")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


# ---------------------------------------------------------------- counting


def bincount(input: Any, weights: Any = None, minlength: int = 0) -> Any:
    """``torch.bincount``: how often each value 0, 1, … max(input) occurs in the 1-D
    non-negative integer ``input`` (at least ``minlength`` bins), int64; with ``weights``
    (``input``'s shape), the sum of the weights of each value instead, in the weights' float
    dtype (float64 for integer weights). No gradient."""
    data = input.data
    if data.dtype.kind not in "iu" or data.ndim != 1 or (data.size and data.min() < 0):
        raise RuntimeError(f"bincount only supports 1-d non-negative integral inputs, got "
                           f"{data.dtype} of shape {data.shape}")
    if int(minlength) < 0:
        raise RuntimeError(f"bincount: minlength should be >= 0, got {minlength}")
    if weights is None:
        return input._const(np.bincount(data, minlength=int(minlength)).astype(np.int64))
    w = _array(weights)
    if w.shape != data.shape:
        raise RuntimeError(f"bincount: weights {w.shape} should have the same shape as the "
                           f"input {data.shape}")
    dtype = w.dtype if w.dtype.kind == "f" else np.dtype(np.float64)
    counts = np.bincount(data, weights=w.astype(np.float64), minlength=int(minlength))
    return input._const(counts.astype(dtype))


def histc(input: Any, bins: int = 100, min: float = 0, max: float = 0) -> Any:  # noqa: A002
    """``torch.histc``: a histogram of ``bins`` equal-width bins over [min, max] (the data's
    own range when min == max, widened by 1 each way if that is a point); elements outside,
    and NaN, are not counted; an element equal to max goes in the last bin. Floating-point
    tensors only; the counts have ``input``'s dtype; no gradient."""
    if not dtypes.is_floating(input.dtype):
        raise TypeError(f"histc: needs a floating-point tensor, got {input.dtype}")
    if int(bins) <= 0:
        raise RuntimeError(f"histc: bins must be > 0, got {bins}")
    if min > max:
        raise RuntimeError(f"histc: max must be larger than min, got min={min}, max={max}")
    data = input.data.reshape(-1)
    lo, hi = _histc_range(data, float(min), float(max))
    x = data[(data >= lo) & (data <= hi)]
    position = np.floor((x - lo) / (hi - lo) * bins).astype(np.int64)
    counts = np.bincount(np.minimum(position, int(bins) - 1), minlength=int(bins))
    return input._const(counts.astype(input.dtype))


def _histc_range(data: np.ndarray, lo: float, hi: float) -> tuple[float, float]:
    if lo == hi and data.size:
        finite = data[np.isfinite(data)]
        if finite.size:
            lo, hi = float(finite.min()), float(finite.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    return lo, hi

