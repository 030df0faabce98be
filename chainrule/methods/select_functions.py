"""The top-level ``chainrule.X(input, ...)`` forms of the selection, sorting and indexing
methods (PyTorch's ``torch.X``): each checks nothing itself and calls the method.

NOTE: this module defines ``max`` and ``min``, which hide Python's built-ins inside it; nothing
here needs those.
"""

from __future__ import annotations

from typing import Any


def max(input: Any, dim: Any = None, keepdim: bool = False, *, other: Any = None) -> Any:
    """``torch.max``: the largest element (no ``dim``); the named tuple ``(values, indices)``
    along ``dim``; or, given a tensor ``other`` (second argument), the elementwise maximum."""
    return input.max(other if other is not None else dim, keepdim)


def min(input: Any, dim: Any = None, keepdim: bool = False, *, other: Any = None) -> Any:
    """``torch.min``: the smallest element (no ``dim``); the named tuple ``(values, indices)``
    along ``dim``; or, given a tensor ``other`` (second argument), the elementwise minimum."""
    return input.min(other if other is not None else dim, keepdim)


def argmax(input: Any, dim: int | None = None, keepdim: bool = False) -> Any:
    """``torch.argmax(input, dim=None, keepdim=False)``: index of the first maximum."""
    return input.argmax(dim, keepdim)


def argmin(input: Any, dim: int | None = None, keepdim: bool = False) -> Any:
    """``torch.argmin(input, dim=None, keepdim=False)``: index of the first minimum."""
    return input.argmin(dim, keepdim)


def sort(input: Any, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Any:
    """``torch.sort(input, dim=-1, descending=False, *, stable=False)``: the named tuple
    ``(values, indices)``; always stable here."""
    return input.sort(dim, descending, stable=stable)


def argsort(input: Any, dim: int = -1, descending: bool = False, *,
            stable: bool = False) -> Any:
    """``torch.argsort(input, dim=-1, descending=False, *, stable=False)``."""
    return input.argsort(dim, descending, stable=stable)


def topk(input: Any, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
    """``torch.topk(input, k, dim=-1, largest=True, sorted=True)``: the named tuple
    ``(values, indices)`` of the ``k`` largest (or smallest) elements along ``dim``."""
    return input.topk(k, dim, largest, sorted)


def unique(input: Any, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None) -> Any:
    """``torch.unique(input, sorted=True, return_inverse=False, return_counts=False,
    dim=None)``: the distinct elements (always sorted), with the optional inverse and counts."""
    return input.unique(sorted, return_inverse, return_counts, dim)


def nonzero(input: Any, *, as_tuple: bool = False) -> Any:
    """``torch.nonzero(input, *, as_tuple=False)``: the indices of the non-zero elements."""
    return input.nonzero(as_tuple=as_tuple)


def gather(input: Any, dim: int, index: Any) -> Any:
    """``torch.gather(input, dim, index)``: values picked along ``dim`` by ``index``."""
    return input.gather(dim, index)


def take_along_dim(input: Any, indices: Any, dim: int | None = None) -> Any:
    """``torch.take_along_dim(input, indices, dim=None)``."""
    return input.take_along_dim(indices, dim)


def scatter(input: Any, dim: int, index: Any, src: Any = None, *, value: Any = None,
            reduce: str | None = None) -> Any:
    """``torch.scatter(input, dim, index, src)`` or ``(input, dim, index, value)``."""
    return input.scatter(dim, index, src, value=value, reduce=reduce)


def scatter_add(input: Any, dim: int, index: Any, src: Any) -> Any:
    """``torch.scatter_add(input, dim, index, src)``."""
    return input.scatter_add(dim, index, src)


def index_select(input: Any, dim: int, index: Any) -> Any:
    """``torch.index_select(input, dim, index)``: slices along ``dim`` at ``index``."""
    return input.index_select(dim, index)


def index_add(input: Any, dim: int, index: Any, source: Any, *, alpha: float = 1) -> Any:
    """``torch.index_add(input, dim, index, source, *, alpha=1)``."""
    return input.index_add(dim, index, source, alpha=alpha)


def index_fill(input: Any, dim: int, index: Any, value: Any) -> Any:
    """``torch.index_fill(input, dim, index, value)``: slices along ``dim`` set to ``value``."""
    return input.index_fill(dim, index, value)


def masked_fill(input: Any, mask: Any, value: Any) -> Any:
    """``torch.masked_fill(input, mask, value)``: ``value`` where the bool ``mask`` holds."""
    return input.masked_fill(mask, value)


def narrow(input: Any, dim: int, start: Any, length: int) -> Any:
    """``torch.narrow(input, dim, start, length)``: the slice start : start + length."""
    return input.narrow(dim, start, length)


def unbind(input: Any, dim: int = 0) -> tuple:
    """``torch.unbind(input, dim=0)``: the slices along ``dim``, that dimension removed."""
    return input.unbind(dim)


def tril(input: Any, diagonal: int = 0) -> Any:
    """``torch.tril(input, diagonal=0)``: the lower triangle of the last two dimensions."""
    return input.tril(diagonal)


def triu(input: Any, diagonal: int = 0) -> Any:
    """``torch.triu(input, diagonal=0)``: the upper triangle of the last two dimensions."""
    return input.triu(diagonal)


def diag(input: Any, diagonal: int = 0) -> Any:
    """``torch.diag(input, diagonal=0)``: vector to diagonal matrix, or matrix to diagonal."""
    return input.diag(diagonal)
