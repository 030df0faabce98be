"""Layers that only reshape: ``Flatten`` and ``Unflatten``."""

from __future__ import annotations

from typing import Sequence

from ..tensor import Tensor
from .module import Module


class Flatten(Module):
    """Merge dimensions ``start_dim`` … ``end_dim`` into one (default: all but the batch).

    Shape:
        x: (N, C, H, W) -> (N, C·H·W) with the defaults.
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size``.

    Shape:
        x: (N, 784) -> (N, 1, 28, 28) with dim=1, unflattened_size=(1, 28, 28).
    """

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, x: Tensor) -> Tensor:
        return x.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
