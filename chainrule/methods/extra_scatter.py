"""Out-of-place writes into a part of a tensor: ``slice_scatter``, ``select_scatter``,
``diagonal_scatter`` (the part named as for slicing, ``select`` and ``diagonal``) and
``index_reduce`` (slices combined by a reduction). The Tensor methods (``methods.extra``)
call these.

The three copies find the flat positions of the part (the same slicing, applied to the array
of every element's flat position) and write ``src`` there with ``Scatter`` on the flattened
tensor (``MiscMixin._flat_write``): the gradient of ``input`` is G with the part set to 0, that
of ``src`` is G's part, both already derived in ``ops.select.Scatter``. ``index_reduce`` is
``scatter_reduce`` with the index spread over ``source``'s shape, so its gradients are those
of ``ops.misc.ScatterReduce``, which PyTorch's index_reduce gradients match (zeros handled
exactly in 'prod', ties sharing equally in 'amax'/'amin'), but for one case.
NOTE: with ``include_self=False``, PyTorch 2.13's backward of 'amax'/'amin' also counts the
left-out input value among the ties when it equals the result, and gives it no share: the
source values then get G/(k + 1) instead of G/k, and part of G is lost. chainrule gives the
derivative of what is computed (the extreme of the source values alone), as its
``scatter_reduce`` does (tests/test_extra_ops.py shows both).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .math import MathMixin
from .reduce import normalize_dim

REDUCTIONS = ("prod", "mean", "amax", "amin")


def _positions(shape: tuple[int, ...]) -> np.ndarray:
    """The flat (C-order) position of every element of a tensor of ``shape``."""
    return np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)


def _write(input: Any, where: np.ndarray, src: Any, name: str) -> Any:
    """``input`` with ``src`` (cast to input's dtype) written at the flat positions
    ``where``; ``src`` must have ``where``'s shape, as in PyTorch."""
    if not isinstance(src, MathMixin):
        raise TypeError(f"{name}: src must be a tensor, got {type(src).__name__}")
    if tuple(src.shape) != where.shape:
        raise RuntimeError(f"{name}: expected src to have a size equal to the slice of self. "
                           f"src size = {list(src.shape)}, slice size = {list(where.shape)}")
    return input._flat_write(where, src.to(input.dtype), False)


def slice_scatter(input: Any, src: Any, dim: int = 0, start: Any = None, end: Any = None,
                  step: int = 1) -> Any:
    """``input`` with ``input[..., start:end:step, ...]`` (along ``dim``) replaced by src."""
    if input.ndim == 0:
        raise IndexError("slice_scatter: slice() cannot be applied to a 0-dim tensor")
    axis = normalize_dim(dim, input.ndim)
    if step is None or step <= 0:
        raise RuntimeError(f"slice_scatter: slice step must be positive, got {step}")
    part = (slice(None),) * axis + (slice(start, end, step),)
    return _write(input, _positions(input.shape)[part], src, "slice_scatter")


def select_scatter(input: Any, src: Any, dim: int, index: int) -> Any:
    """``input`` with ``input.select(dim, index)`` replaced by src (of that shape)."""
    if input.ndim == 0:
        raise IndexError("select_scatter: select() cannot be applied to a 0-dim tensor")
    axis = normalize_dim(dim, input.ndim)
    size = input.shape[axis]
    if not -size <= index < size:
        raise IndexError(f"select_scatter: index {index} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {dim}")
    where = np.take(_positions(input.shape), int(index) % size, axis=axis)
    return _write(input, where, src, "select_scatter")


def diagonal_scatter(input: Any, src: Any, offset: int = 0, dim1: int = 0,
                     dim2: int = 1) -> Any:
    """``input`` with ``input.diagonal(offset, dim1, dim2)`` replaced by src (of that shape:
    the other dimensions, then the diagonal's length)."""
    axis1, axis2 = normalize_dim(dim1, input.ndim), normalize_dim(dim2, input.ndim)
    if axis1 == axis2:
        raise RuntimeError(f"diagonal_scatter: diagonal dimensions cannot be identical "
                           f"{dim1}, {dim2}")
    where = np.diagonal(_positions(input.shape), int(offset), axis1, axis2)
    return _write(input, where, src, "diagonal_scatter")


def index_reduce(input: Any, dim: int, index: Any, source: Any, reduce: str, *,
                 include_self: bool = True) -> Any:
    """``input`` with every slice ``source[j]`` along ``dim`` combined by ``reduce`` into the
    slice ``index[j]`` ('prod', 'mean', 'amax', 'amin'; ``include_self=False`` leaves
    input's value out where a slice lands). Integer 'mean' floors, as in PyTorch."""
    if reduce not in REDUCTIONS:
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or "
                           f"amin but got {reduce}.")
    if input.ndim == 0:  # as a 1-element vector
        normalize_dim(dim, 0)
        source = source.reshape(1) if isinstance(source, MathMixin) else source
        out = index_reduce(input.reshape(1), 0, index, source, reduce,
                           include_self=include_self)
        return out.reshape(())
    axis = normalize_dim(dim, input.ndim)
    idx = _index_vector(index)
    _check_source(input, axis, idx, source, dim)
    spread = input._const(np.broadcast_to(
        idx.reshape((1,) * axis + (-1,) + (1,) * (input.ndim - axis - 1)), source.shape))
    return input.scatter_reduce(axis, spread, source, reduce, include_self=include_self)


def _index_vector(index: Any) -> np.ndarray:
    """``index`` as an int64 vector (a 0-d index as one entry), or PyTorch's error."""
    array = index.data if hasattr(index, "data") else np.asarray(index)
    if array.dtype not in (np.int32, np.int64):
        raise RuntimeError(f"index_reduce(): Expected dtype int32/int64 for index but got: "
                           f"{array.dtype}")
    if array.ndim > 1:
        raise IndexError(f"index_reduce(): Index is supposed to be a vector, but got dim: "
                         f"{array.ndim} with size: {list(array.shape)}")
    return array.reshape(-1).astype(np.int64)


def _check_source(input: Any, axis: int, idx: np.ndarray, source: Any, dim: int) -> None:
    """PyTorch's checks of ``source`` and the index entries against ``input``."""
    if not isinstance(source, MathMixin):
        raise TypeError(f"index_reduce(): source must be a tensor, got {type(source).__name__}")
    if source.dtype != input.dtype:
        raise RuntimeError(f"index_reduce(): self ({input.dtype}) and source ({source.dtype}) "
                           "must have the same scalar type")
    if source.ndim != input.ndim or any(
            a != b for i, (a, b) in enumerate(zip(input.shape, source.shape)) if i != axis):
        raise RuntimeError(f"index_reduce(): source tensor shape must match self tensor "
                           f"shape, excluding the specified dimension. Got self.shape = "
                           f"{list(input.shape)} source.shape = {list(source.shape)}")
    if idx.size != source.shape[axis]:
        raise RuntimeError(f"index_reduce(): Number of indices ({idx.size}) should be equal "
                           f"to source.size(dim): ({source.shape[axis]}), for dim: {dim}")
    if idx.size and (idx.min() < 0 or idx.max() >= input.shape[axis]):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise IndexError(f"index_reduce(): index {bad} is out of range in self (dimension "
                         f"{dim} has size {input.shape[axis]})")


__all__ = ["diagonal_scatter", "index_reduce", "select_scatter", "slice_scatter"]
