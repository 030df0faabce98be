"""The top-level ``chainrule.X(input, ...)`` forms of the selection, sorting and indexing
methods (PyTorch's ``torch.X``): each checks nothing itself and calls the method, whose
docstring says more. ``input`` is always the tensor the method is called on.

NOTE: this module defines ``max`` and ``min``, which hide Python's built-ins inside it; nothing
here needs those.
"""

from __future__ import annotations

from typing import Any


def max(input: Any, dim: Any = None, keepdim: bool = False, *, other: Any = None) -> Any:
    """``torch.max``: the largest element; or the named tuple ``(values, indices)`` along
    ``dim`` (the first of tied maxima; the gradient goes to it); or the elementwise maximum.

    Args:
        dim: the dimension to reduce, or a tensor ``other`` (``torch.max(input, other)``).
        keepdim: keep ``dim`` with size 1.
        other: the tensor of the elementwise form, by keyword.
    """
    return input.max(other if other is not None else dim, keepdim)


def min(input: Any, dim: Any = None, keepdim: bool = False, *, other: Any = None) -> Any:
    """``torch.min``: the smallest element, ``(values, indices)`` along ``dim``, or the
    elementwise minimum; the arguments of ``max``."""
    return input.min(other if other is not None else dim, keepdim)


def argmax(input: Any, dim: int | None = None, keepdim: bool = False) -> Any:
    """``torch.argmax``: the index of the first maximum (into the flattened tensor when
    ``dim`` is None), int64, no gradient.

    Args:
        dim: the dimension to reduce (None: all).
        keepdim: keep ``dim`` with size 1.
    """
    return input.argmax(dim, keepdim)


def argmin(input: Any, dim: int | None = None, keepdim: bool = False) -> Any:
    """``torch.argmin``: the index of the first minimum; the arguments of ``argmax``."""
    return input.argmin(dim, keepdim)


def sort(input: Any, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Any:
    """``torch.sort``: the named tuple ``(values, indices)``, values differentiable.

    Args:
        dim: the dimension to sort along.
        descending: largest first.
        stable: accepted; the sort here is always stable (ties keep their input order).
    """
    return input.sort(dim, descending, stable=stable)


def argsort(input: Any, dim: int = -1, descending: bool = False, *,
            stable: bool = False) -> Any:
    """``torch.argsort``: the indices of ``sort`` with the same arguments (int64)."""
    return input.argsort(dim, descending, stable=stable)


def topk(input: Any, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
    """``torch.topk``: the named tuple ``(values, indices)`` of the ``k`` largest elements.

    Args:
        k: how many (0 ≤ k ≤ the size of ``dim``; a RuntimeError otherwise).
        dim: the dimension to select along.
        largest: False selects the ``k`` smallest.
        sorted: accepted; the result here is always sorted (PyTorch leaves the order open
            when False). Tied elements come in index order (PyTorch does not promise one).
    """
    return input.topk(k, dim, largest, sorted)


def unique(input: Any, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None) -> Any:
    """``torch.unique``: the distinct elements, ascending; no gradient.

    Args:
        sorted: accepted; the result is always sorted (as PyTorch's CPU code does).
        return_inverse: also return, for each input element (or slice), its position in
            the result.
        return_counts: also return how often each distinct element occurs.
        dim: find distinct slices along this dimension instead of distinct elements.
    """
    return input.unique(sorted, return_inverse, return_counts, dim)


def nonzero(input: Any, *, as_tuple: bool = False) -> Any:
    """``torch.nonzero``: the indices of the non-zero elements, shape (count, ndim).

    Args:
        as_tuple: return one 1-D index tensor per dimension instead.
    """
    return input.nonzero(as_tuple=as_tuple)


def gather(input: Any, dim: int, index: Any) -> Any:
    """``torch.gather``: ``out[i][j] = input[index[i][j]][j]`` for ``dim`` 0, and so on.

    Args:
        dim: the dimension that ``index`` indexes.
        index: an integer tensor with ``input``'s number of dimensions.
    """
    return input.gather(dim, index)


def take_along_dim(input: Any, indices: Any, dim: int | None = None) -> Any:
    """``torch.take_along_dim``: ``gather`` with ``indices`` broadcast against ``input``.

    Args:
        indices: integer indices along ``dim``.
        dim: the dimension to index; None indexes the flattened ``input``.
    """
    return input.take_along_dim(indices, dim)


def scatter(input: Any, dim: int, index: Any, src: Any = None, *, value: Any = None,
            reduce: str | None = None) -> Any:
    """``torch.scatter``: a copy of ``input`` with ``src[j]`` (or ``value``) written where
    ``index`` points along ``dim``; differentiable in ``input`` and ``src``.

    Args:
        dim: the dimension that ``index`` indexes.
        index: an integer tensor with ``input``'s number of dimensions.
        src: the values, a tensor at least as large as ``index``, or a number.
        value: a number to write, by keyword.
        reduce: not supported (deprecated in PyTorch); use ``scatter_add``.
    """
    return input.scatter(dim, index, src, value=value, reduce=reduce)


def scatter_add(input: Any, dim: int, index: Any, src: Any) -> Any:
    """``torch.scatter_add``: ``scatter`` that adds, repeated positions adding every value;
    the arguments of ``scatter``."""
    return input.scatter_add(dim, index, src)


def index_select(input: Any, dim: int, index: Any) -> Any:
    """``torch.index_select``: the slices along ``dim`` at the 1-D integer ``index``."""
    return input.index_select(dim, index)


def index_add(input: Any, dim: int, index: Any, source: Any, *, alpha: float = 1) -> Any:
    """``torch.index_add``: ``input`` with ``alpha * source``'s slices added at ``index``.

    Args:
        dim: the dimension that ``index`` indexes.
        index: a 1-D integer tensor, one position per slice of ``source`` along ``dim``.
        source: ``input``'s shape except ``len(index)`` along ``dim``.
        alpha: the factor on ``source``.
    """
    return input.index_add(dim, index, source, alpha=alpha)


def index_fill(input: Any, dim: int, index: Any, value: Any) -> Any:
    """``torch.index_fill``: the slices along ``dim`` at ``index`` set to ``value`` (a number
    or a 0-d tensor)."""
    return input.index_fill(dim, index, value)


def masked_fill(input: Any, mask: Any, value: Any) -> Any:
    """``torch.masked_fill``: ``value`` where the bool ``mask`` (broadcast with ``input``)
    holds; ``value`` is a number or a 0-d tensor, cast to ``input``'s dtype."""
    return input.masked_fill(mask, value)


def narrow(input: Any, dim: int, start: Any, length: int) -> Any:
    """``torch.narrow``: the slice ``start : start + length`` along ``dim`` (``start`` may be
    negative)."""
    return input.narrow(dim, start, length)


def unbind(input: Any, dim: int = 0) -> tuple:
    """``torch.unbind``: the slices along ``dim`` as a tuple, that dimension removed."""
    return input.unbind(dim)


def tril(input: Any, diagonal: int = 0) -> Any:
    """``torch.tril``: the lower triangle of the last two dimensions, the rest 0.

    Args:
        diagonal: keep elements with column − row ≤ ``diagonal``.
    """
    return input.tril(diagonal)


def triu(input: Any, diagonal: int = 0) -> Any:
    """``torch.triu``: the upper triangle of the last two dimensions, the rest 0.

    Args:
        diagonal: keep elements with column − row ≥ ``diagonal``.
    """
    return input.triu(diagonal)


def diag(input: Any, diagonal: int = 0) -> Any:
    """``torch.diag``: a 1-D ``input`` as the diagonal of a square matrix, or a 2-D
    ``input``'s diagonal.

    Args:
        diagonal: which diagonal: 0 the main one, > 0 above it, < 0 below it.
    """
    return input.diag(diagonal)
