"""Padding layers with PyTorch's names: ``ZeroPad1d/2d/3d``, ``ConstantPad1d/2d/3d``,
``ReflectionPad1d/2d/3d``, ``ReplicationPad1d/2d/3d``, ``CircularPad1d/2d/3d``.

Each holds its padding, a tuple of 2·d sizes in ``functional.pad``'s order (last dimension
first: (left, right[, top, bottom[, front, back]])), and calls ``functional.pad``. An int pads
every side by that much; a negative size crops, as in ``functional.pad``. None has parameters.
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ..tensor import Tensor
from .module import Module


def _padding_tuple(name: str, padding: Any, dims: int) -> tuple[int, ...]:
    """``padding`` as 2·dims ints (an int means the same on every side; negative crops)."""
    values = tuple(padding) if isinstance(padding, (tuple, list)) else (padding,) * (2 * dims)
    if len(values) != 2 * dims or any(not isinstance(v, int) for v in values):
        raise ValueError(f"{name}: padding must be an int or a tuple of {2 * dims} ints, got "
                         f"{padding!r}")
    return values


class _CopyPadNd(Module):
    """Padding by a mode that copies input elements (reflect, replicate, circular)."""

    _dims = 1
    _mode = "reflect"

    def __init__(self, padding: Any) -> None:
        super().__init__()
        self.padding = _padding_tuple(type(self).__name__, padding, self._dims)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(Module):
    _dims = 1

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__()
        self.padding = _padding_tuple(type(self).__name__, padding, self._dims)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dimension with ``value``: (*, W) -> (*, W + left + right).

    Args:
        padding: int, or (left, right).
        value: the fill value.

    Example:
        >>> import chainrule
        >>> ConstantPad1d((1, 2), 3.5)(chainrule.tensor([[1.0, 2.0]])).tolist()
        [[3.5, 1.0, 2.0, 3.5, 3.5]]
    """


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dimensions with ``value``; padding: int or (left, right, top, bottom).

    Shape:
        (*, H, W) -> (*, H + top + bottom, W + left + right).

    Example:
        >>> import chainrule
        >>> ConstantPad2d(1, 0.5)(chainrule.ones(1, 2, 3)).shape
        (1, 4, 5)
    """

    _dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dimensions with ``value``; padding: int or (left, right, top,
    bottom, front, back).

    Example:
        >>> import chainrule
        >>> ConstantPad3d((1, 0, 0, 1, 2, 2), 0.0)(chainrule.ones(1, 1, 2, 2, 2)).shape
        (1, 1, 6, 3, 3)
    """

    _dims = 3


class ZeroPad1d(ConstantPad1d):
    """Pad the last dimension with zeros; padding: int or (left, right).

    Example:
        >>> import chainrule
        >>> ZeroPad1d(1)(chainrule.tensor([[1.0]])).tolist()
        [[0.0, 1.0, 0.0]]
    """

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ZeroPad1d):
    """Pad the last two dimensions with zeros; padding: int or (left, right, top, bottom).

    Example:
        >>> import chainrule
        >>> ZeroPad2d((1, 1, 2, 0))(chainrule.ones(1, 3, 3)).shape
        (1, 5, 5)
    """

    _dims = 2


class ZeroPad3d(ZeroPad1d):
    """Pad the last three dimensions with zeros; padding: int or a 6-tuple.

    Example:
        >>> import chainrule
        >>> ZeroPad3d(1)(chainrule.ones(1, 1, 2, 2, 2)).shape
        (1, 1, 4, 4, 4)
    """

    _dims = 3


class ReflectionPad1d(_CopyPadNd):
    """Pad the last dimension by reflection at the edge (the edge is not repeated): (C, W) or
    (N, C, W); padding: int or (left, right), each less than W.

    Example:
        >>> import chainrule
        >>> ReflectionPad1d(2)(chainrule.tensor([[1.0, 2.0, 3.0]])).tolist()
        [[3.0, 2.0, 1.0, 2.0, 3.0, 2.0, 1.0]]
    """


class ReflectionPad2d(_CopyPadNd):
    """Reflection padding of the last two dimensions of (C, H, W) or (N, C, H, W) input;
    padding: int or (left, right, top, bottom), each less than its dimension.

    Example:
        >>> import chainrule
        >>> ReflectionPad2d((1, 1, 2, 0))(chainrule.ones(1, 3, 3)).shape
        (1, 5, 5)
    """

    _dims = 2


class ReflectionPad3d(_CopyPadNd):
    """Reflection padding of the last three dimensions of (C, D, H, W) or (N, C, D, H, W)
    input; padding: int or a 6-tuple.

    Example:
        >>> import chainrule
        >>> ReflectionPad3d(1)(chainrule.ones(1, 1, 2, 2, 2)).shape
        (1, 1, 4, 4, 4)
    """

    _dims = 3


class ReplicationPad1d(_CopyPadNd):
    """Pad the last dimension by repeating the edge element: (C, W) or (N, C, W); padding:
    int or (left, right).

    Example:
        >>> import chainrule
        >>> ReplicationPad1d((2, 1))(chainrule.tensor([[1.0, 2.0]])).tolist()
        [[1.0, 1.0, 1.0, 2.0, 2.0]]
    """

    _mode = "replicate"


class ReplicationPad2d(ReplicationPad1d):
    """Replication padding of the last two dimensions of (C, H, W) or (N, C, H, W) input.

    Example:
        >>> import chainrule
        >>> ReplicationPad2d(2)(chainrule.ones(1, 1, 1, 1)).shape
        (1, 1, 5, 5)
    """

    _dims = 2


class ReplicationPad3d(ReplicationPad1d):
    """Replication padding of the last three dimensions of (C, D, H, W) or (N, C, D, H, W).

    Example:
        >>> import chainrule
        >>> ReplicationPad3d((1, 0, 0, 0, 0, 1))(chainrule.ones(1, 1, 2, 2, 2)).shape
        (1, 1, 3, 2, 3)
    """

    _dims = 3


class CircularPad1d(_CopyPadNd):
    """Pad the last dimension by wrapping around: (C, W) or (N, C, W); padding: int or
    (left, right), each at most W.

    Example:
        >>> import chainrule
        >>> CircularPad1d((2, 1))(chainrule.tensor([[1.0, 2.0, 3.0]])).tolist()
        [[2.0, 3.0, 1.0, 2.0, 3.0, 1.0]]
    """

    _mode = "circular"


class CircularPad2d(CircularPad1d):
    """Circular padding of the last two dimensions of (C, H, W) or (N, C, H, W) input.

    Example:
        >>> import chainrule
        >>> CircularPad2d(1)(chainrule.ones(1, 2, 2)).shape
        (1, 4, 4)
    """

    _dims = 2


class CircularPad3d(CircularPad1d):
    """Circular padding of the last three dimensions of (C, D, H, W) or (N, C, D, H, W).

    Example:
        >>> import chainrule
        >>> CircularPad3d(1)(chainrule.ones(1, 1, 2, 2, 2)).shape
        (1, 1, 4, 4, 4)
    """

    _dims = 3


__all__ = [
    "CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d",
    "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
    "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d",
    "ZeroPad3d",
]
