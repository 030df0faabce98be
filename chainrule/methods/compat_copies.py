"""PyTorch's ``*_copy`` functions (``torch.view_copy``, ``torch.diagonal_copy`` ...): each view
operation followed by a copy, so the result owns its memory and never shares a version
counter with the input. Gradients flow through the view and the copy (``clone``), whose
backwards already exist. Exported at the top level by ``methods.compat_functions``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .shape import _sizes


def _copies(pieces: tuple) -> tuple:
    return tuple(piece.clone() for piece in pieces)


def alias_copy(input: Any) -> Any:
    """A copy of ``input`` (the copy form of ``torch.alias``), in the graph."""
    return input.clone()


def detach_copy(input: Any) -> Any:
    """A copy of ``input``'s values, cut from the graph."""
    return input.detach().clone()


def diagonal_copy(input: Any, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Any:
    """A copy of ``input.diagonal(offset, dim1, dim2)``.

    Example:
        >>> import chainrule
        >>> chainrule.diagonal_copy(chainrule.tensor([[1.0, 2.0], [3.0, 4.0]]))
        tensor([1., 4.])
    """
    return input.diagonal(offset, dim1, dim2).clone()


def expand_copy(input: Any, size: Any, *, implicit: bool = False) -> Any:
    """A copy of ``input.expand(size)`` (−1 keeps a size); ``implicit`` is ignored, as the
    result does not depend on it."""
    return input.expand(*_sizes((size,))).clone()


def permute_copy(input: Any, dims: Any) -> Any:
    """A copy of ``input.permute(dims)``."""
    return input.permute(*_sizes((dims,))).clone()


def select_copy(input: Any, dim: int, index: int) -> Any:
    """A copy of ``input.select(dim, index)``."""
    return input.select(dim, index).clone()


def slice_copy(input: Any, dim: int = 0, start: Any = None, end: Any = None,
               step: int = 1) -> Any:
    """A copy of ``input[..., start:end:step, ...]``, sliced along ``dim``.

    Example:
        >>> import chainrule
        >>> chainrule.slice_copy(chainrule.arange(10), 0, 1, 8, 3)
        tensor([1, 4, 7])
    """
    if step <= 0:
        raise ValueError(f"slice_copy: step must be positive, got {step}")
    axis = dim % input.ndim if input.ndim else dim
    return input[(slice(None),) * axis + (slice(start, end, step),)].clone()


def split_copy(input: Any, split_size: Any, dim: int = 0) -> tuple:
    """Copies of the pieces of ``input.split(split_size, dim)``."""
    return _copies(input.split(split_size, dim))


def split_with_sizes_copy(input: Any, split_sizes: Any, dim: int = 0) -> tuple:
    """Copies of the pieces of the listed sizes along ``dim``."""
    return _copies(input.split(list(split_sizes), dim))


def squeeze_copy(input: Any, dim: Any = None) -> Any:
    """A copy of ``input.squeeze(dim)``."""
    return input.squeeze(dim).clone()


def t_copy(input: Any) -> Any:
    """A copy of ``input.t()``."""
    return input.t().clone()


def transpose_copy(input: Any, dim0: int, dim1: int) -> Any:
    """A copy of ``input.transpose(dim0, dim1)``."""
    return input.transpose(dim0, dim1).clone()


def unbind_copy(input: Any, dim: int = 0) -> tuple:
    """Copies of the slices of ``input.unbind(dim)``."""
    return _copies(input.unbind(dim))


def unfold_copy(input: Any, dimension: int, size: int, step: int) -> Any:
    """A copy of ``input.unfold(dimension, size, step)``."""
    return input.unfold(dimension, size, step).clone()


def unsqueeze_copy(input: Any, dim: int) -> Any:
    """A copy of ``input.unsqueeze(dim)``."""
    return input.unsqueeze(dim).clone()


def view_copy(input: Any, size: Any = None, *, dtype: Any = None) -> Any:
    """A copy of ``input.view(size)``. The dtype form (``view_copy(x, torch.int32)``, a
    reinterpretation of the bytes) is refused: chainrule's ``view`` takes sizes only."""
    if dtype is not None or isinstance(size, (np.dtype, type)):
        raise TypeError("view_copy(input, dtype): chainrule cannot reinterpret a tensor's "
                        "bytes as another dtype; convert the values with .to(dtype)")
    return input.view(*_sizes((size,))).clone()
