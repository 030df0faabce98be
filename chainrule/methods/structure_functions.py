"""Top-level shape and join functions with PyTorch's names: flips and rotations, the stacks
(``hstack``, ``vstack``, ``dstack``, ``column_stack``), ``atleast_Nd``, broadcasting, the
splits (``tensor_split``, ``hsplit``, ``vsplit``, ``dsplit``), ``select``, diagonals
(``diagonal``, ``trace``, ``diag_embed``, ``block_diag``). Their Tensor method forms are in
``methods.structure``.

Every one is a composition of differentiable ops that already have their backward
(``Flip``, ``Permute``, ``Concatenate``, ``GetItem``, ``Pad``, ``Where``, ``BroadcastTo``,
``Sum``), so none writes a derivative of its own.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes
from .math import broadcast_shape, where
from .reduce import normalize_dim
from .shape import cat, pad

# ---------------------------------------------------------------- flips and rotations


def flip(input: Any, dims: Any) -> Any:
    """``torch.flip``: the elements in reverse order along each dimension in ``dims``."""
    return input.flip(dims)


def fliplr(input: Any) -> Any:
    """``torch.fliplr``: reverse the columns (dimension 1) of a tensor of at least 2-D."""
    if input.ndim < 2:
        raise RuntimeError(f"fliplr: input must be >= 2-d, got shape {tuple(input.shape)}")
    return input.flip(1)


def flipud(input: Any) -> Any:
    """``torch.flipud``: reverse the rows (dimension 0) of a tensor of at least 1-D."""
    if input.ndim < 1:
        raise RuntimeError("flipud: input must be >= 1-d, got a 0-d tensor")
    return input.flip(0)


def rot90(input: Any, k: int = 1, dims: Any = (0, 1)) -> Any:
    """``torch.rot90``: rotate by 90° ``k`` times in the plane of ``dims``, from the first
    towards the second (k < 0 turns the other way).

    Args:
        k: the number of quarter turns (any int; only k mod 4 matters).
        dims: two different dimensions.
    """
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"rot90: expected exactly 2 rotation dims, got {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"rot90: expected a tensor of at least 2 dimensions, got shape "
                           f"{tuple(input.shape)}")
    a, b = normalize_dim(dims[0], input.ndim), normalize_dim(dims[1], input.ndim)
    if a == b:
        raise RuntimeError(f"rot90: expected rotation dims to be different, got {dims}")
    turns = int(k) % 4
    if turns == 0:
        return input.clone()
    if turns == 2:
        return input.flip((a, b))
    if turns == 1:
        return input.flip(b).transpose(a, b)
    return input.transpose(a, b).flip(b)


# ---------------------------------------------------------------- joins


def concat(tensors: Any, dim: int = 0) -> Any:
    """``torch.concat``: an alias of ``cat``."""
    return cat(tensors, dim)


def concatenate(tensors: Any, axis: int = 0) -> Any:
    """``torch.concatenate``: an alias of ``cat`` with NumPy's argument name ``axis``."""
    return cat(tensors, axis)


def _many(name: str, tensors: tuple) -> list:
    """``f(a, b)`` and ``f([a, b])`` both mean the tensors a and b."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    return list(tensors)


def _atleast(name: str, ndim: int, tensors: tuple) -> Any:
    single = len(tensors) == 1 and not isinstance(tensors[0], (list, tuple))
    out = tuple(_raise_to(t, ndim) for t in _many(name, tensors))
    return out[0] if single else out


def _raise_to(t: Any, ndim: int) -> Any:
    """``t`` with size-1 dimensions added as NumPy's atleast_1d/2d/3d add them."""
    if t.ndim >= ndim:
        return t
    if ndim == 3 and t.ndim == 2:
        return t.reshape(t.shape + (1,))
    if ndim == 3 and t.ndim == 1:
        return t.reshape((1,) + t.shape + (1,))
    return t.reshape((1,) * (ndim - t.ndim) + t.shape)


def atleast_1d(*tensors: Any) -> Any:
    """``torch.atleast_1d``: 0-d tensors as 1-D; one tensor in, one out; several (or a list)
    in, a tuple out."""
    return _atleast("atleast_1d", 1, tensors)


def atleast_2d(*tensors: Any) -> Any:
    """``torch.atleast_2d``: 0-d tensors as (1, 1), 1-D (n,) as (1, n)."""
    return _atleast("atleast_2d", 2, tensors)


def atleast_3d(*tensors: Any) -> Any:
    """``torch.atleast_3d``: 0-d as (1, 1, 1), (n,) as (1, n, 1), (m, n) as (m, n, 1)."""
    return _atleast("atleast_3d", 3, tensors)


def _nonempty(name: str, tensors: Any) -> list:
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{name}: expected a non-empty list of tensors")
    return tensors


def hstack(tensors: Any) -> Any:
    """``torch.hstack``: join along dimension 1, or along 0 when all are 1-D (0-d tensors
    count as 1-D)."""
    tensors = [_raise_to(t, 1) for t in _nonempty("hstack", tensors)]
    return cat(tensors, 0 if all(t.ndim == 1 for t in tensors) else 1)


def vstack(tensors: Any) -> Any:
    """``torch.vstack`` (``row_stack``): join along dimension 0 after ``atleast_2d``."""
    return cat([_raise_to(t, 2) for t in _nonempty("vstack", tensors)], 0)


row_stack = vstack


def dstack(tensors: Any) -> Any:
    """``torch.dstack``: join along dimension 2 after ``atleast_3d``."""
    return cat([_raise_to(t, 3) for t in _nonempty("dstack", tensors)], 2)


def column_stack(tensors: Any) -> Any:
    """``torch.column_stack``: 0-d and 1-D tensors become columns (n, 1); all are joined
    along dimension 1."""
    tensors = _nonempty("column_stack", tensors)
    return cat([t.reshape(-1, 1) if t.ndim <= 1 else t for t in tensors], 1)


def broadcast_to(input: Any, size: Any) -> Any:
    """``torch.broadcast_to``: ``input`` broadcast to ``size`` (−1 keeps a dimension)."""
    return input.expand(size)


def broadcast_tensors(*tensors: Any) -> tuple:
    """``torch.broadcast_tensors``: every tensor broadcast to their common shape (gradients
    are summed back over the broadcast dimensions)."""
    tensors = _many("broadcast_tensors", tensors)
    shape = broadcast_shape("broadcast_tensors", *(tuple(t.shape) for t in tensors))
    return tuple(t.broadcast_to(shape) for t in tensors)


def broadcast_shapes(*shapes: Any) -> tuple:
    """``torch.broadcast_shapes``: the shape that tensors of ``shapes`` broadcast to."""
    shapes = [(s,) if isinstance(s, (int, np.integer)) else tuple(s) for s in shapes]
    return broadcast_shape("broadcast_shapes", *shapes)


# ---------------------------------------------------------------- splits


def tensor_split(input: Any, indices_or_sections: Any, dim: int = 0) -> tuple:
    """``torch.tensor_split``: views of ``input`` along ``dim``.

    Args:
        indices_or_sections: an int n: n pieces, the first ``size % n`` one longer; a list
            (or 1-D integer tensor) of indices: the pieces between them (as NumPy's
            ``array_split``; indices past the end give empty pieces). A 0-d integer tensor
            counts as an int.
        dim: the dimension to split.
    """
    if input.ndim == 0:
        raise RuntimeError("tensor_split: expected at least a 1-dimensional tensor, got a "
                           "0-d tensor")
    axis = normalize_dim(dim, input.ndim)
    size = input.shape[axis]
    bounds = _split_bounds(indices_or_sections, size)
    lead = (slice(None),) * axis
    return tuple(input[lead + (slice(a, max(a, b)),)] for a, b in zip(bounds, bounds[1:]))


def _split_bounds(spec: Any, size: int) -> list[int]:
    """The start of every piece plus the end, from an int count or a list of indices."""
    if hasattr(spec, "data") and hasattr(spec, "ndim"):
        spec = spec.data
    array = np.asarray(spec)
    if array.dtype.kind not in "iu" and array.size:
        raise TypeError(f"tensor_split: indices_or_sections must be an int or integers, got "
                        f"{array.dtype}")
    if array.ndim == 0:
        n = int(array)
        if n <= 0:
            raise RuntimeError(f"tensor_split: number of sections must be larger than 0, got "
                               f"{n}")
        small, extra = divmod(size, n)
        sizes = [small + 1] * extra + [small] * (n - extra)
        return [int(b) for b in np.cumsum([0] + sizes)]
    if array.ndim != 1:
        raise RuntimeError(f"tensor_split: indices must be a 0-d or 1-d tensor, got shape "
                           f"{array.shape}")
    clipped = [min(max(int(i) + size if i < 0 else int(i), 0), size) for i in array]
    return [0] + clipped + [size]


def _split_even(name: str, input: Any, sections: Any, dim: int) -> tuple:
    if isinstance(sections, (int, np.integer)) and not isinstance(sections, bool):
        size = input.shape[dim]
        if sections <= 0 or size % sections:
            raise RuntimeError(f"{name}: attempted to split along dimension {dim}, but the "
                               f"size of the dimension {size} is not divisible by the "
                               f"split_size {sections}")
    return tensor_split(input, sections, dim)


def hsplit(input: Any, indices_or_sections: Any) -> tuple:
    """``torch.hsplit``: ``tensor_split`` along dimension 1 (0 for a 1-D tensor); an int
    must divide the size evenly."""
    if input.ndim < 1:
        raise RuntimeError("hsplit: requires a tensor with at least 1 dimension, got a 0-d "
                           "tensor")
    return _split_even("hsplit", input, indices_or_sections, 0 if input.ndim == 1 else 1)


def vsplit(input: Any, indices_or_sections: Any) -> tuple:
    """``torch.vsplit``: ``tensor_split`` along dimension 0 of a tensor of at least 2-D; an
    int must divide the size evenly."""
    if input.ndim < 2:
        raise RuntimeError(f"vsplit: requires a tensor with at least 2 dimensions, got shape "
                           f"{tuple(input.shape)}")
    return _split_even("vsplit", input, indices_or_sections, 0)


def dsplit(input: Any, indices_or_sections: Any) -> tuple:
    """``torch.dsplit``: ``tensor_split`` along dimension 2 of a tensor of at least 3-D."""
    if input.ndim < 3:
        raise RuntimeError(f"dsplit: requires a tensor with at least 3 dimensions, got shape "
                           f"{tuple(input.shape)}")
    return _split_even("dsplit", input, indices_or_sections, 2)


def select(input: Any, dim: int, index: int) -> Any:
    """``torch.select``: the slice at ``index`` (negative counts from the end) along ``dim``,
    that dimension removed."""
    if input.ndim == 0:
        raise IndexError("select: cannot be applied to a 0-dim tensor")
    axis = normalize_dim(dim, input.ndim)
    size = input.shape[axis]
    index = int(index)
    if not -size <= index < size:
        raise IndexError(f"select: index {index} is out of range for dimension {dim} of size "
                         f"{size}")
    return input[(slice(None),) * axis + (index % size,)]


# ---------------------------------------------------------------- diagonals


def diagonal(input: Any, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Any:
    """``torch.diagonal``: the elements ``input[..., i, i + offset]`` of the planes spanned by
    ``dim1`` and ``dim2``; those two dimensions are removed and the diagonal is appended as the
    last one (a positive ``offset`` is above the main diagonal, a negative one below)."""
    a, b = normalize_dim(dim1, input.ndim), normalize_dim(dim2, input.ndim)
    if a == b:
        raise RuntimeError(f"diagonal: dim1 and dim2 must differ, both are {a}")
    rest = [d for d in range(input.ndim) if d not in (a, b)]
    plane = input.permute(rest + [a, b])
    k = int(offset)
    below, above = max(-k, 0), max(k, 0)
    rows, cols = input.shape[a], input.shape[b]
    i = np.arange(max(0, min(rows - below, cols - above)))
    return plane[(Ellipsis, i + below, i + above)]


def trace(input: Any) -> Any:
    """``torch.trace``: the sum of a matrix's main diagonal (integers give int64)."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, got shape {tuple(input.shape)}")
    if input.dtype == np.bool_:
        raise TypeError("trace: not implemented for bool tensors")
    return diagonal(input).sum()


def diag_embed(input: Any, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Any:
    """``torch.diag_embed``: matrices whose diagonal ``offset`` (in the planes of ``dim1`` and
    ``dim2`` of the output) holds the last dimension of ``input``, zeros elsewhere. The output
    has one more dimension than ``input``; the last dimension n becomes two of n + |offset|."""
    out_ndim = input.ndim + 1
    a, b = normalize_dim(dim1, out_ndim), normalize_dim(dim2, out_ndim)
    if a == b:
        raise RuntimeError(f"diag_embed: dim1 and dim2 must differ, both are {a}")
    x = input.reshape(1) if input.ndim == 0 else input
    k = int(offset)
    n = x.shape[-1] + abs(k)
    column = pad(x, (max(-k, 0), max(k, 0))).unsqueeze(-1)  # (..., n, 1): row i holds x[i-…]
    zero = x._const(np.zeros((), dtype=x.dtype))
    square = where(x._const(np.eye(n, k=k, dtype=bool)), column, zero)  # (..., n, n)
    rest = iter(range(out_ndim - 2))
    order = [out_ndim - 2 if d == a else out_ndim - 1 if d == b else next(rest)
             for d in range(out_ndim)]
    return square.permute(order)


def block_diag(*tensors: Any) -> Any:
    """``torch.block_diag``: the matrices (0-d as (1, 1), 1-D (n,) as (1, n)) on the diagonal
    of a block matrix, zeros elsewhere; dtypes promote as in ``cat``."""
    blocks = []
    for t in tensors:
        if t.ndim > 2:
            raise RuntimeError(f"block_diag: input tensors must have 2 or fewer dimensions, "
                               f"got shape {tuple(t.shape)}")
        blocks.append(t.reshape((1,) * (2 - t.ndim) + tuple(t.shape)))
    if not blocks:  # PyTorch's answer: an empty (1, 0) tensor of the default float dtype
        from ..tensor import Tensor  # here, not at the top: tensor.py imports this package

        return Tensor._const(np.zeros((1, 0), dtype=dtypes.default_float))
    width = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        rows.append(pad(b, (left, width - left - b.shape[1])))
        left += b.shape[1]
    return cat(rows, 0)
