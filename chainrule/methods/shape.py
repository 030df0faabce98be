"""Tensor shape methods (reshape, permute, squeeze, expand, repeat, split, indexing, gather)
and the shape functions ``cat``, ``stack`` and ``pad``.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .. import autograd, dtypes
from ..ops import pad as ops_pad
from ..ops import shape as ops
from .math import broadcast_shape, broadcasts_to
from .reduce import normalize_dim


def _sizes(args: tuple) -> tuple[int, ...]:
    """``f(2, 3)`` and ``f((2, 3))`` both mean the shape (2, 3)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    return tuple(int(a) for a in args)


def _resolve_shape(target: tuple[int, ...], shape: tuple[int, ...]) -> tuple[int, ...]:
    """``target`` with its −1 replaced, or a ValueError if it cannot hold ``shape``'s elements."""
    numel = int(np.prod(shape))
    known = int(np.prod([n for n in target if n != -1]))
    unknown = target.count(-1)
    ok = unknown <= 1 and all(n >= -1 for n in target)
    if ok and unknown == 1 and known and numel % known == 0:
        target = tuple(numel // known if n == -1 else n for n in target)
    if not ok or -1 in target or int(np.prod(target)) != numel:
        raise ValueError(f"reshape: cannot reshape a tensor of shape {shape} ({numel} "
                         f"elements) into {target}")
    return target


def _unwrap_index(index: Any) -> Any:
    """``index`` with Tensors (and lists) replaced by arrays, ready for NumPy."""
    items = index if isinstance(index, tuple) else (index,)
    items = tuple(
        i.data if isinstance(i, ShapeMixin) else (np.asarray(i) if isinstance(i, list) else i)
        for i in items
    )
    return items if isinstance(index, tuple) else items[0]


def assign(array: np.ndarray, index: Any, value: Any) -> None:
    """``array[index] = value``, with a ValueError naming both shapes when they do not fit."""
    try:
        array[index] = value
    except ValueError:
        target = array[index].shape
        if broadcasts_to(np.shape(value), target):
            raise
        raise ValueError(f"__setitem__: a value of shape {np.shape(value)} cannot be assigned "
                         f"to tensor[{index!r}] of shape {target}") from None


class ShapeMixin:
    """Shape methods of ``Tensor``."""

    __slots__ = ()

    def reshape(self, *shape):
        """The same elements with a new shape; one size may be −1 (inferred)."""
        resolved = _resolve_shape(_sizes(shape), self.shape)
        if resolved == self.shape:
            return self
        return self._apply(ops.Reshape, shape=resolved)

    def view(self, *shape):
        return self.reshape(*shape)

    def view_as(self, other):
        return self.reshape(other.shape)

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        """Merge dimensions ``start_dim`` … ``end_dim`` into one."""
        if self.ndim == 0:
            return self.reshape(1)
        start, end = normalize_dim(start_dim, self.ndim), normalize_dim(end_dim, self.ndim)
        if start > end:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        return self.reshape(self.shape[:start] + (-1,) + self.shape[end + 1:])

    def unflatten(self, dim, sizes):
        """Split dimension ``dim`` into ``sizes`` (one may be −1)."""
        axis = normalize_dim(dim, self.ndim)
        return self.reshape(self.shape[:axis] + tuple(sizes) + self.shape[axis + 1:])

    def squeeze(self, dim=None):
        """Remove size-1 dimensions (only those in ``dim`` when given; others are left)."""
        if dim is None:
            axes = range(self.ndim)
        else:
            dims = dim if isinstance(dim, (tuple, list)) else (dim,)
            axes = {normalize_dim(d, self.ndim) for d in dims}
        new = tuple(n for i, n in enumerate(self.shape) if not (i in axes and n == 1))
        return self.reshape(new)

    def unsqueeze(self, dim):
        """Insert a size-1 dimension at ``dim`` (in [−ndim−1, ndim])."""
        axis = normalize_dim(dim, self.ndim + 1)
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    def permute(self, *dims):
        """Reorder the dimensions: output dimension i is input dimension dims[i]."""
        perm = tuple(normalize_dim(d, self.ndim) for d in _sizes(dims))
        if sorted(perm) != list(range(self.ndim)):
            raise ValueError(f"permute: {dims} is not a permutation of the {self.ndim} "
                             f"dimensions of a tensor of shape {self.shape}")
        return self._apply(ops.Permute, perm=perm)

    def transpose(self, dim0, dim1):
        """Swap dimensions ``dim0`` and ``dim1``."""
        perm = list(range(self.ndim))
        a, b = normalize_dim(dim0, self.ndim), normalize_dim(dim1, self.ndim)
        perm[a], perm[b] = perm[b], perm[a]
        return self.permute(perm) if self.ndim > 1 else self

    @property
    def T(self):
        """All dimensions reversed (the matrix transpose for 2-D tensors)."""
        return self.permute(tuple(reversed(range(self.ndim)))) if self.ndim > 1 else self

    @property
    def mT(self):
        """The last two dimensions swapped (batched matrix transpose)."""
        return self.transpose(-2, -1)

    def expand(self, *sizes):
        """Broadcast to ``sizes`` without copying; −1 keeps a dimension's size."""
        sizes = _sizes(sizes)
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise ValueError(f"expand: {sizes} has fewer dimensions than the tensor {self.shape}")
        target = tuple(n if n != -1 else self.shape[i - lead] for i, n in enumerate(sizes))
        return self.broadcast_to(target)

    def expand_as(self, other):
        return self.broadcast_to(other.shape)

    def broadcast_to(self, shape):
        """Broadcast to ``shape`` by NumPy's rules (a view; gradients are summed back)."""
        shape = _sizes((shape,))
        if broadcast_shape("broadcast_to", self.shape, shape) != shape:
            raise ValueError(f"broadcast_to: a tensor of shape {self.shape} cannot be broadcast "
                             f"to {shape}")
        return self if shape == self.shape else self._apply(ops.BroadcastTo, shape=shape)

    def repeat(self, *sizes):
        """Tile the tensor ``sizes[i]`` times along dimension i (PyTorch ``repeat``)."""
        reps = _sizes(sizes)
        if len(reps) < self.ndim:
            raise ValueError(f"repeat: {len(reps)} repeat counts for a tensor with "
                             f"{self.ndim} dimensions; give at least one per dimension")
        return self._apply(ops.Tile, reps=reps)

    def flip(self, dims):
        """Reverse the order of elements along ``dims``."""
        dims = dims if isinstance(dims, (tuple, list)) else (dims,)
        return self._apply(ops.Flip, axes=tuple(normalize_dim(d, self.ndim) for d in dims))

    def split(self, split_size, dim=0):
        """Pieces of size ``split_size`` (the last may be smaller) or, when it is a list, of
        the listed sizes (``Tensor.split``'s name for both, as in PyTorch)."""
        axis = normalize_dim(dim, self.ndim)
        length = self.shape[axis]
        split_size_or_sections = split_size
        if isinstance(split_size_or_sections, int):
            step = split_size_or_sections
            if step <= 0:
                raise ValueError(f"split: split_size must be positive, got {step}")
            sizes = [min(step, length - start) for start in range(0, length, step)]
        else:
            sizes = list(split_size_or_sections)
            if sum(sizes) != length:
                raise ValueError(f"split: sections {sizes} sum to {sum(sizes)}, but dimension "
                                 f"{dim} has size {length}")
        bounds = np.cumsum([0] + sizes)
        lead = (slice(None),) * axis
        return tuple(self[lead + (slice(int(a), int(b)),)] for a, b in zip(bounds, bounds[1:]))

    def chunk(self, chunks, dim=0):
        """Split into ``chunks`` nearly equal pieces (PyTorch's rule: ceil-sized pieces)."""
        if chunks <= 0:
            raise ValueError(f"chunk: chunks must be positive, got {chunks}")
        length = self.shape[normalize_dim(dim, self.ndim)]
        return self.split(max(-(-length // chunks), 1), dim)

    def gather(self, dim, index):
        """out[i][j] = self[index[i][j]][j] for dim 0 (and so on): PyTorch's ``gather``."""
        axis = normalize_dim(dim, self.ndim)
        idx = index.data if isinstance(index, ShapeMixin) else np.asarray(index)
        if idx.ndim != self.ndim or idx.dtype.kind not in "iu":
            raise ValueError(f"gather: index must be an integer tensor with {self.ndim} "
                             f"dimensions, got {idx.dtype} of shape {idx.shape}")
        region = tuple(slice(0, n) if i != axis else slice(None) for i, n in enumerate(idx.shape))
        source = self if self.shape[:axis] + self.shape[axis + 1:] == \
            idx.shape[:axis] + idx.shape[axis + 1:] else self[region]
        return source._apply(ops.TakeAlongAxis, indices=idx.astype(np.int64), axis=axis)

    def __getitem__(self, index):
        index = _unwrap_index(index)
        try:
            if not (self.requires_grad and autograd.is_grad_enabled()):
                return self._const_view(np.asarray(self.data[index]))
            return self._apply(ops.GetItem, index=index)
        except IndexError as err:
            raise IndexError(f"index {index!r} is invalid for a tensor of shape "
                             f"{self.shape}: {err}") from None


def cat(tensors: Sequence[Any], dim: int = 0) -> Any:
    """Join tensors along an existing dimension ``dim``; other sizes must match."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    ndim = tensors[0].ndim
    axis = normalize_dim(dim, ndim)
    for t in tensors:
        if t.ndim != ndim or t.shape[:axis] + t.shape[axis + 1:] != \
                tensors[0].shape[:axis] + tensors[0].shape[axis + 1:]:
            shapes = [tuple(x.shape) for x in tensors]
            raise ValueError(f"cat: shapes {shapes} must match in every dimension but {dim}")
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        dtype = dtypes.promote(dtype, t.dtype)
    return ops.Concatenate.apply(*[t.to(dtype) for t in tensors], axis=axis)


def stack(tensors: Sequence[Any], dim: int = 0) -> Any:
    """Join tensors of equal shape along a new dimension ``dim``."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: expected a non-empty list of tensors")
    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack: all tensors must have the same shape, got {sorted(shapes)}")
    axis = normalize_dim(dim, tensors[0].ndim + 1)
    return cat([t.unsqueeze(axis) for t in tensors], axis)


def pad(input: Any, pad: Sequence[int], mode: str = "constant",
        value: float | None = None) -> Any:
    """Pad ``input``; ``pad`` lists (before, after) pairs starting from the LAST dimension, as in
    PyTorch: ``pad(x, (1, 1))`` pads the last dimension by one on each side.

    Args:
        input: the tensor.
        pad: (left, right[, top, bottom[, front, back]]); a negative size crops.
        mode: 'constant' (fill with ``value``, any dimensions), or 'reflect' (mirror at the
            edge, not repeating it; each pad < the size), 'replicate' (repeat the edge) and
            'circular' (wrap around; each pad ≤ the size), which pad the last 1, 2 or 3
            dimensions of a 2-D/3-D, 3-D/4-D or 4-D/5-D input, PyTorch's limits.
        value: fill value for 'constant' (default 0).

    Negative sizes follow PyTorch: 'constant' and 'circular' crop first and then pad the
    rest; 'reflect' and 'replicate' read the positions −lo … I − 1 + hi of the mirrored or
    extended input.
    """
    x = input
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"pad: unrecognised padding mode {mode!r}; expected one of "
                                  f"{_PAD_MODES}")
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(f"pad: {tuple(pad)} must hold (before, after) pairs for at most "
                         f"{x.ndim} dimensions")
    pairs = [(int(pad[i]), int(pad[i + 1])) for i in range(0, len(pad), 2)]
    if mode != "constant":
        _check_copy_pad(x, pairs, mode, value)
    if mode in ("constant", "circular") and any(min(pair) < 0 for pair in pairs):
        x, pairs = _crop(x, pairs)
    if mode == "constant":
        widths = [(0, 0)] * (x.ndim - len(pairs)) + pairs[::-1]
        return x._apply(ops.Pad, widths=tuple(widths), value=0.0 if value is None else value)
    axes = tuple((x.ndim - 1 - k, ops_pad.source_index(x.shape[-1 - k], lo, hi, mode))
                 for k, (lo, hi) in enumerate(pairs))
    return x._apply(ops_pad.IndexPad, axes=axes)


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _crop(x: Any, pairs: list) -> tuple[Any, list]:
    """``x`` with the negative pads cut away, and the pads left (all non-negative)."""
    index = [slice(None)] * x.ndim
    for k, (lo, hi) in enumerate(pairs):
        size, axis = x.shape[-1 - k], x.ndim - 1 - k
        start, stop = max(-lo, 0), size - max(-hi, 0)
        if stop < start:
            raise RuntimeError(f"pad: padding ({lo}, {hi}) crops more than dimension {axis} of "
                               f"size {size} holds (input shape {tuple(x.shape)})")
        index[axis] = slice(start, stop)
    return x[tuple(index)], [(max(lo, 0), max(hi, 0)) for lo, hi in pairs]


def _check_copy_pad(x: Any, pairs: list, mode: str, value: Any) -> None:
    """PyTorch's limits for the modes that copy input elements into the border."""
    if value is not None and value != 0:
        raise RuntimeError(f"pad: padding mode {mode!r} doesn't take a value argument "
                           f"(got value={value})")
    if x.ndim not in (len(pairs) + 1, len(pairs) + 2):
        raise NotImplementedError(
            f"pad: mode {mode!r} with {2 * len(pairs)} padding sizes needs a "
            f"{len(pairs) + 1}-D or {len(pairs) + 2}-D input, got a {x.ndim}-D input; it pads "
            "the last 1, 2 or 3 dimensions of a 2-D/3-D, 3-D/4-D or 4-D/5-D input")
    for k, (lo, hi) in enumerate(pairs):
        size, axis = x.shape[-1 - k], x.ndim - 1 - k
        # circular wraps within what is left after cropping
        room = size + min(lo, 0) + min(hi, 0) if mode == "circular" else size
        if room <= 0 or size + lo + hi <= 0:
            raise RuntimeError(f"pad: mode {mode!r} cannot pad dimension {axis} of size "
                               f"{size} by ({lo}, {hi}) (input shape {tuple(x.shape)})")
        too_big = max(lo, hi) >= size if mode == "reflect" else \
            (mode == "circular" and max(lo, hi) > room)
        if too_big:
            limit = "less than" if mode == "reflect" else "at most"
            raise RuntimeError(f"pad: {mode} padding ({lo}, {hi}) of dimension {axis} must be "
                               f"{limit} its size {room} (input shape {tuple(x.shape)})")
