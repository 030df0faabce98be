"""``Dropout``: inverted dropout in training mode, the identity in eval mode."""

from __future__ import annotations

from typing import Any

from ..functional.layers import dropout
from ..tensor import Tensor
from .module import Module


class Dropout(Module):
    """Zero each element with probability ``p`` while training and scale the others by
    1/(1 − p); in eval mode the input passes unchanged.

    Args:
        p: probability of zeroing an element, in [0, 1].
        inplace: write the result over the input and return the input, as PyTorch does.
        generator: random generator for the masks (default: package generator).
    """

    def __init__(self, p: float = 0.5, inplace: bool = False, generator: Any = None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, got {p}")
        self.p, self.inplace, self.generator = p, inplace, generator

    def forward(self, x: Tensor) -> Tensor:
        return dropout(x, self.p, self.training, self.inplace, generator=self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
