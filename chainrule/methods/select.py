"""Tensor selection, sorting and indexing methods: sort, argsort, topk, unique, nonzero,
index_select, index_add, index_fill, scatter, scatter_add, masked_fill, take_along_dim, narrow,
unbind, tril, triu, diag (and the in-place forms).

Values chosen by position (sort, topk, index_select, narrow, diag, unbind) go through
``TakeAlongAxis`` or ``GetItem``, so their gradients flow back to the chosen positions;
masked_fill, index_fill, tril and triu are ``where``; scatter and scatter_add have their own
Functions (``ops.select``), and index_add is a scatter_add. Indices, unique values and nonzero
positions are constants, as in PyTorch.
Scans and shifts are in ``methods.scan``, random sampling in ``methods.sampling``; the
top-level ``chainrule.X`` forms of these methods are in ``methods.select_functions``.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from .. import autograd, dtypes
from ..ops import select as ops
from ..ops import shape as shape_ops
from .math import broadcast_shape, broadcasts_to, where
from .reduce import normalize_dim
from .shape import pad

Sort = namedtuple("sort", ["values", "indices"])
TopK = namedtuple("topk", ["values", "indices"])


def index_array(name: str, index: Any) -> np.ndarray:
    """``index`` (a Tensor, array or list) as an int64 array, or a TypeError naming its dtype."""
    array = index.data if isinstance(index, SelectMixin) else np.asarray(index)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{name}: index must be an integer tensor, got {array.dtype}")
    return array.astype(np.int64, copy=False)


def check_bounds(name: str, index: np.ndarray, size: int, dim: int) -> None:
    """An IndexError unless every entry of ``index`` lies in [0, size)."""
    if index.size and (index.min() < 0 or index.max() >= size):
        bad = index.min() if index.min() < 0 else index.max()
        raise IndexError(f"{name}: index {bad} is out of bounds for dimension {dim} with "
                         f"size {size}")


def sort_order(array: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Indices that sort ``array`` along ``axis``, stably (ties keep their order), NaN counted
    as the largest value, as in PyTorch. Descending order is the stable ascending order of the
    reversed array, read backwards: ties still come in their original order."""
    if not descending:
        return np.argsort(array, axis=axis, kind="stable")
    n = array.shape[axis]
    order = np.argsort(np.flip(array, axis), axis=axis, kind="stable")
    return n - 1 - np.flip(order, axis)


def _leading(axis: int, index: Any) -> tuple:
    """The NumPy index that applies ``index`` along ``axis`` and keeps the other axes whole."""
    return (slice(None),) * axis + (index,)


class SelectMixin:
    """Selection, sorting and indexing methods of ``Tensor``."""

    __slots__ = ()

    def sort(self, dim=-1, descending=False, *, stable=False):
        """``(values, indices)`` sorted along ``dim`` (ascending unless ``descending``).

        The sort is always stable, so ``stable=True`` and the default give the same result;
        NaN sorts as the largest value. The gradient flows to the positions the values came
        from."""
        if self.ndim == 0:
            normalize_dim(dim, 0)
            return Sort(self, self._const(np.zeros((), dtype=np.int64)))
        axis = normalize_dim(dim, self.ndim)
        order = sort_order(self.data, axis, descending)
        return Sort(self._apply(shape_ops.TakeAlongAxis, indices=order, axis=axis),
                    self._const(order))

    def argsort(self, dim=-1, descending=False, *, stable=False):
        """The indices of ``sort(dim, descending)``: an int64 tensor with no gradient."""
        if self.ndim == 0:
            normalize_dim(dim, 0)
            return self._const(np.zeros((), dtype=np.int64))
        axis = normalize_dim(dim, self.ndim)
        return self._const(sort_order(self.data, axis, descending))

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """``(values, indices)`` of the ``k`` largest (or, with ``largest=False``, smallest)
        elements along ``dim``, largest first (smallest first). Ties come in index order; the
        result is sorted whatever ``sorted`` says (PyTorch leaves the order open then)."""
        axis = normalize_dim(dim, self.ndim)
        size = self.shape[axis] if self.ndim else 1
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise TypeError(f"topk: k must be an int, got {type(k).__name__}")
        if not 0 <= k <= size:
            raise RuntimeError(f"topk: k ({k}) is out of range for dimension {dim} of size "
                               f"{size} (expected 0 <= k <= {size})")
        if self.ndim == 0:
            return TopK(self, self._const(np.zeros((), dtype=np.int64)))
        order = np.take(sort_order(self.data, axis, largest), np.arange(k), axis=axis)
        return TopK(self._apply(shape_ops.TakeAlongAxis, indices=order, axis=axis),
                    self._const(order))

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        """The distinct elements (or, with ``dim``, the distinct slices along ``dim``), in
        ascending order; optionally where each input element went (``return_inverse``, the
        input's shape, or the length of ``dim``) and how often each occurs (``return_counts``).

        The result is always sorted, as PyTorch's CPU implementation does whatever ``sorted``
        says. No gradient flows (PyTorch has none either)."""
        axis = None if dim is None else normalize_dim(dim, self.ndim)
        values, inverse, counts = np.unique(self.data, return_inverse=True,
                                            return_counts=True, axis=axis)
        inverse = inverse.reshape(self.shape if axis is None else (-1,)).astype(np.int64)
        out = [self._const(values)]
        if return_inverse:
            out.append(self._const(inverse))
        if return_counts:
            out.append(self._const(counts.astype(np.int64)))
        return out[0] if len(out) == 1 else tuple(out)

    def nonzero(self, *, as_tuple=False):
        """The indices of the non-zero elements: an int64 tensor of shape (count, ndim), or,
        with ``as_tuple=True``, one 1-D index tensor per dimension (one for a 0-d tensor)."""
        if as_tuple:
            array = self.data.reshape(1) if self.ndim == 0 else self.data
            return tuple(self._const(i.astype(np.int64)) for i in np.nonzero(array))
        return self._const(np.argwhere(self.data).astype(np.int64))

    def index_select(self, dim, index):
        """The slices of ``self`` along ``dim`` at the positions in the 1-D integer ``index``
        (repeats allowed; their gradients add up)."""
        axis = normalize_dim(dim, self.ndim)
        idx = self._vector_index("index_select", index, axis, dim)
        if self.ndim == 0:
            return self.reshape(1)[idx].reshape(()) if idx.size == 1 else self.reshape(1)[idx]
        return self[_leading(axis, idx)]

    def index_add(self, dim, index, source, *, alpha=1):
        """``self`` with ``alpha * source[j]`` added at position ``index[j]`` along ``dim``
        (repeats add up); ``source`` has ``self``'s shape but ``len(index)`` along ``dim``.
        Gradients: ``self`` gets G, ``source`` gets alpha · G at the indexed slices."""
        axis = normalize_dim(dim, self.ndim)
        idx = self._vector_index("index_add", index, axis, dim)
        if not isinstance(source, SelectMixin):
            source = self._const(np.asarray(source, dtype=self.dtype))
        if self.ndim == 0 or source.shape != _with(self.shape, axis, idx.size):
            raise ValueError(f"index_add: source of shape {source.shape} must match self "
                             f"{self.shape} except for {idx.size} (the number of indices) "
                             f"along dimension {dim}")
        spread = np.broadcast_to(idx.reshape(_with((1,) * self.ndim, axis, -1)), source.shape)
        return self.scatter_add(axis, spread, source if alpha == 1 else source * alpha)

    def index_fill(self, dim, index, value):
        """``self`` with every slice along ``dim`` named by ``index`` set to ``value`` (a number
        or a 0-d tensor, which then receives a gradient)."""
        axis = normalize_dim(dim, self.ndim)
        idx = self._vector_index("index_fill", index, axis, dim)
        hit = np.zeros(self.shape[axis] if self.ndim else 1, dtype=bool)
        hit[idx] = True
        mask = hit.reshape(_with((1,) * self.ndim, axis, -1)) if self.ndim else hit.reshape(())
        return self.masked_fill(self._const(mask), value)

    def index_add_(self, dim, index, source, *, alpha=1):
        """In-place ``index_add``."""
        self._check_source("index_add_", source)
        return self._write("index_add_", self.detach().index_add(dim, index, source,
                                                                 alpha=alpha))

    def index_fill_(self, dim, index, value):
        """In-place ``index_fill``."""
        self._check_source("index_fill_", value)
        return self._write("index_fill_", self.detach().index_fill(dim, index, value))

    def take_along_dim(self, indices, dim=None):
        """Values at ``indices`` along ``dim`` (``indices`` broadcast with ``self`` on the other
        dimensions); with ``dim=None``, indices into the flattened tensor."""
        idx = index_array("take_along_dim", indices)
        if dim is None:
            source, idx, axis = self.reshape(-1), idx.reshape(-1), 0
        else:
            axis = normalize_dim(dim, self.ndim)
            if idx.ndim != self.ndim:
                raise ValueError(f"take_along_dim: indices of shape {idx.shape} need "
                                 f"{self.ndim} dimensions, like the input {self.shape}")
            others = broadcast_shape("take_along_dim", _with(self.shape, axis, 1),
                                     _with(idx.shape, axis, 1))
            source = self.broadcast_to(_with(others, axis, self.shape[axis]))
            idx = np.broadcast_to(idx, _with(others, axis, idx.shape[axis]))
        check_bounds("take_along_dim", idx, source.shape[axis], axis)
        return source._apply(shape_ops.TakeAlongAxis, indices=idx, axis=axis)

    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        """A copy of ``self`` with ``src[j]`` (or the number ``value``) written at the position
        ``j`` with its ``dim`` coordinate replaced by ``index[j]`` (PyTorch's ``scatter``).

        Which value lands on a position that ``index`` names twice is not specified. Gradients
        flow to ``self`` (zero where written) and to ``src``. ``reduce=`` (deprecated in
        PyTorch) is not supported: use ``scatter_add``."""
        if reduce is not None:
            raise NotImplementedError(f"scatter: reduce={reduce!r} is not supported; use "
                                      "scatter_add for reduce='add'")
        return self._scatter(ops.Scatter, "scatter", dim, index, src, value)

    def scatter_add(self, dim, index, src):
        """A copy of ``self`` with every ``src[j]`` added at the position ``j`` with its ``dim``
        coordinate replaced by ``index[j]``; repeated positions add every contribution."""
        return self._scatter(ops.ScatterAdd, "scatter_add", dim, index, src, None)

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        """In-place ``scatter``."""
        self._check_source("scatter_", src)
        return self._write("scatter_", self.detach().scatter(dim, index, src, value=value,
                                                             reduce=reduce))

    def scatter_add_(self, dim, index, src):
        """In-place ``scatter_add``."""
        self._check_source("scatter_add_", src)
        return self._write("scatter_add_", self.detach().scatter_add(dim, index, src))

    def masked_fill(self, mask, value):
        """A copy of ``self`` (broadcast with the bool ``mask``) with ``value`` where ``mask``
        holds; ``value`` (a number or a 0-d tensor, which then receives a gradient) is cast to
        ``self``'s dtype. The gradient to ``self`` is zero where ``mask`` holds."""
        condition = self._mask("masked_fill", mask)
        if isinstance(value, SelectMixin):
            if value.ndim != 0:
                raise ValueError(f"masked_fill: value must be a number or a 0-d tensor, got "
                                 f"a tensor of shape {value.shape}")
            fill = value.to(self.dtype)
        else:
            fill = self._const(np.asarray(value).astype(self.dtype))
        return where(condition, fill, self)

    def masked_fill_(self, mask, value):
        """In-place ``masked_fill``; ``mask`` must broadcast to ``self``'s shape."""
        condition = self._mask("masked_fill_", mask)
        if not broadcasts_to(condition.shape, self.shape):
            raise ValueError(f"masked_fill_: a mask of shape {condition.shape} cannot be "
                             f"broadcast to the shape {self.shape} of the tensor changed in "
                             "place")
        self._check_source("masked_fill_", value)
        return self._write("masked_fill_", self.detach().masked_fill(condition, value))

    def narrow(self, dim, start, length):
        """The slice ``start : start + length`` along ``dim`` (``start`` may be negative or a
        0-d integer tensor); a view, whose gradient flows back to the slice."""
        axis = normalize_dim(dim, self.ndim)
        size = self.shape[axis] if self.ndim else 1
        start, length = int(start), int(length)
        if not -size <= start <= size:
            raise IndexError(f"narrow: start {start} is out of range for dimension {dim} of "
                             f"size {size} (expected a value in [{-size}, {size}])")
        if start < 0:
            start += size
        if length < 0 or start + length > size:
            raise RuntimeError(f"narrow: start ({start}) + length ({length}) must lie within "
                               f"dimension {dim} of size {size}, with length >= 0")
        return self[_leading(axis, slice(start, start + length))]

    def unbind(self, dim=0):
        """The slices along ``dim``, as a tuple of tensors with that dimension removed."""
        if self.ndim == 0:
            raise IndexError("unbind: a 0-d tensor has no dimension to unbind")
        axis = normalize_dim(dim, self.ndim)
        return tuple(self[_leading(axis, i)] for i in range(self.shape[axis]))

    def tril(self, diagonal=0):
        """The lower triangle of the last two dimensions: elements with column − row ≤
        ``diagonal`` are kept, the others set to 0 (gradient 0 there too)."""
        return self._triangle("tril", diagonal, lower=True)

    def triu(self, diagonal=0):
        """The upper triangle of the last two dimensions: elements with column − row ≥
        ``diagonal`` are kept, the others set to 0 (gradient 0 there too)."""
        return self._triangle("triu", diagonal, lower=False)

    def tril_(self, diagonal=0):
        """In-place ``tril``."""
        return self._write("tril_", self.detach().tril(diagonal))

    def triu_(self, diagonal=0):
        """In-place ``triu``."""
        return self._write("triu_", self.detach().triu(diagonal))

    def diag(self, diagonal=0):
        """A 1-D tensor: the square matrix with it on diagonal ``diagonal`` (above the main one
        when positive, below when negative). A 2-D tensor: its diagonal ``diagonal``."""
        k = int(diagonal)
        if self.ndim == 2:
            below, above = max(-k, 0), max(k, 0)
            i = np.arange(max(0, min(self.shape[0] - below, self.shape[1] - above)))
            return self[i + below, i + above]
        if self.ndim != 1:
            raise ValueError(f"diag: expected a 1-D or 2-D tensor, got shape {self.shape}")
        n = self.shape[0] + abs(k)
        column = pad(self, (max(-k, 0), max(k, 0))).unsqueeze(1)
        zero = self._const(np.zeros((), dtype=self.dtype))
        return where(self._const(np.eye(n, k=k, dtype=bool)), column, zero)

    def _triangle(self, name, diagonal, lower):
        if self.ndim < 2:
            raise ValueError(f"{name}: expected a tensor with at least 2 dimensions, got shape "
                             f"{self.shape}")
        rows, cols = self.shape[-2:]
        keep = np.tri(rows, cols, int(diagonal), dtype=bool)
        if not lower:
            keep = ~np.tri(rows, cols, int(diagonal) - 1, dtype=bool)
        zero = self._const(np.zeros((), dtype=self.dtype))
        return where(self._const(keep), self, zero)

    def _mask(self, name, mask):
        condition = mask if isinstance(mask, SelectMixin) else self._const(np.asarray(mask))
        if condition.dtype != dtypes.bool_:
            raise TypeError(f"{name}: mask must be a bool tensor, got {condition.dtype}")
        return condition

    def _check_source(self, name, source):
        """Refuse a source that requires grad: the in-place forms record no graph."""
        if getattr(source, "requires_grad", False) and autograd.is_grad_enabled():
            raise RuntimeError(f"{name}: the source requires grad, but the in-place form "
                               "records no graph; use the out-of-place form")

    def _vector_index(self, name, index, axis, dim):
        """``index`` as a checked 1-D int64 array of positions along ``axis``."""
        idx = index_array(name, index)
        if idx.ndim > 1:
            raise IndexError(f"{name}: index must be a vector (0-d or 1-d), got shape "
                             f"{idx.shape}")
        idx = idx.reshape(-1)
        check_bounds(name, idx, self.shape[axis] if self.ndim else 1, dim)
        return idx

    def _scatter(self, fn, name, dim, index, src, value):
        axis = normalize_dim(dim, self.ndim)
        idx = index_array(name, index)
        if src is None or not isinstance(src, SelectMixin):
            number = value if src is None else src
            if number is None:
                raise TypeError(f"{name}: give src (a tensor) or value (a number)")
            src = self._const(np.full(idx.shape, number).astype(self.dtype))
        elif src.dtype != self.dtype:
            raise TypeError(f"{name}: src is {src.dtype} but self is {self.dtype}; they must "
                            "have the same dtype")
        self._check_scatter_shapes(name, idx, src, axis)
        if self.ndim == 0:
            out = self.reshape(1)._scatter(fn, name, 0, idx.reshape(1), src.reshape(1), None)
            return out.reshape(())
        check_bounds(name, idx, self.shape[axis], dim)
        return self._apply(fn, src, indices=idx, axis=axis)

    def _check_scatter_shapes(self, name, idx, src, axis):
        if idx.ndim != self.ndim or src.ndim != self.ndim:
            raise ValueError(f"{name}: index {idx.shape}, src {src.shape} and self "
                             f"{self.shape} must have the same number of dimensions")
        for d, n in enumerate(idx.shape):
            if n > src.shape[d] or (d != axis and n > self.shape[d]):
                raise ValueError(f"{name}: index of shape {idx.shape} must be no larger than "
                                 f"src {src.shape} in every dimension and no larger than self "
                                 f"{self.shape} in every dimension but {axis}")


def _with(shape: tuple[int, ...], axis: int, size: int) -> tuple[int, ...]:
    """``shape`` with dimension ``axis`` set to ``size``."""
    return shape[:axis] + (size,) + shape[axis + 1:]
