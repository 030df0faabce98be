"""The names PyTorch scripts use for shapes and memory layouts: ``Size`` and the memory
formats (``contiguous_format``, ``channels_last``, ``channels_last_3d``, ``preserve_format``),
and ``strided``, the one tensor layout (``Tensor.layout``).

A chainrule tensor's ``shape`` is a plain tuple, which compares equal to a ``Size`` of the same
sizes. A memory format names a layout: chainrule accepts one wherever PyTorch takes
``memory_format=`` and keeps each array in the layout its kernels choose (the public order of
dimensions is always PyTorch's NCHW; see docs/architecture.md), so a format changes no value.
"""

from __future__ import annotations

import math
from typing import Any


class Size(tuple):
    """A shape, as ``torch.Size``: a tuple of ints with ``numel()``.

    Example:
        >>> import chainrule
        >>> chainrule.Size([2, 3]) == chainrule.zeros(2, 3).shape, chainrule.Size([2, 3]).numel()
        (True, 6)
    """

    def __new__(cls, sizes: Any = ()) -> Size:
        values = tuple(sizes)
        for v in values:
            if isinstance(v, bool) or not hasattr(v, "__index__"):
                raise TypeError(f"Size: every size must be an int, got {v!r} in {sizes!r}")
        return super().__new__(cls, (v.__index__() for v in values))

    def numel(self) -> int:
        return math.prod(self)

    def __repr__(self) -> str:
        return f"chainrule.Size({list(self)})"


class memory_format:  # noqa: N801 - torch.memory_format
    """A memory layout's name (``torch.memory_format``)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"chainrule.{self.name}"

    def __reduce__(self) -> str:
        return self.name


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")
FORMATS = (contiguous_format, channels_last, channels_last_3d, preserve_format)


class layout:  # noqa: N801 - torch.layout
    """How a tensor's elements are stored (``torch.layout``): every chainrule tensor is
    ``strided`` (dense, with a step per dimension); PyTorch's sparse layouts have no
    counterpart here."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"chainrule.{self.name}"


strided = layout("strided")


def check_format(value: Any, what: str) -> None:
    """TypeError unless ``value`` is None or one of the memory formats."""
    if value is not None and not any(value is f for f in FORMATS):
        raise TypeError(f"{what}: memory_format must be one of chainrule.contiguous_format, "
                        f"channels_last, channels_last_3d or preserve_format, got {value!r}")
