"""``Embedding``: a lookup table of learnable vectors indexed by integers."""

from __future__ import annotations

from typing import Any

from ..creation import empty
from ..device import require_cpu
from ..functional.layers import embedding
from ..tensor import Tensor
from . import init
from .module import Module
from .parameter import Parameter


class Embedding(Module):
    """out[..., :] = weight[input[...]]: one learnable row per index.

    Args:
        num_embeddings: number of rows (valid indices are 0 … num_embeddings − 1).
        embedding_dim: size of each row.
        padding_idx: a row that stays zero and receives no gradient.

    Shape:
        input: (*) int64  ->  (*, embedding_dim)

    Init: N(0, 1), with the padding row zeroed (PyTorch's default).
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 device: Any = None, dtype: Any = None, generator: Any = None) -> None:
        super().__init__()
        require_cpu(device, "Embedding")
        padding_idx = checked_padding_idx(padding_idx, num_embeddings)
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = padding_idx
        self.weight = Parameter(empty(num_embeddings, embedding_dim, dtype=dtype))
        init.normal_(self.weight, generator=generator)
        if padding_idx is not None:
            self.weight.data[padding_idx] = 0

    def forward(self, input: Tensor) -> Tensor:
        return embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        extra = f", padding_idx={self.padding_idx}" if self.padding_idx is not None else ""
        return f"{self.num_embeddings}, {self.embedding_dim}{extra}"


def checked_padding_idx(padding_idx: int | None, num_embeddings: int,
                        where: str = "") -> int | None:
    """``padding_idx`` as a row index in [0, num_embeddings) (negative counts from the end),
    or None; a ValueError (prefixed with ``where``) when it names no row."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"{where}padding_idx {padding_idx} must be within num_embeddings "
                         f"({num_embeddings})")
    return padding_idx % num_embeddings
