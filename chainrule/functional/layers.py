"""Functions behind the basic layers: dropout and embedding lookup."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ops.shape import EmbeddingLookup
from ..random import resolve
from ..tensor import Tensor


def dropout(x: Tensor, p: float = 0.5, training: bool = True, generator: Any = None) -> Tensor:
    """Inverted dropout: zero each element with probability ``p`` and scale the rest by
    1/(1 − p), so the expected value is unchanged; the identity when not ``training``.

    The gradient flows only through the kept elements (times the same 1/(1 − p)).

    Example:
        >>> import chainrule
        >>> x = chainrule.ones(1000)
        >>> y = dropout(x, 0.5, training=True)
        >>> sorted(set(y.tolist()))
        [0.0, 2.0]
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    keep = resolve(generator).random(x.shape, dtype=np.float32) >= p
    return x * Tensor._const(keep.astype(x.dtype) * (1.0 / (1.0 - p)))


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """Rows of ``weight`` selected by the integer ``input``: out[..., :] = weight[input[...]].

    Shape:
        input: (*) integers in [0, num_embeddings); weight: (num_embeddings, dim) -> (*, dim).
    """
    indices = input.data if isinstance(input, Tensor) else np.asarray(input)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers (int64), got {indices.dtype}")
    count = weight.shape[0]
    if indices.size and (indices.min() < 0 or indices.max() >= count):
        bad = indices[(indices < 0) | (indices >= count)].ravel()[0]
        raise IndexError(f"embedding: index {bad} is out of range for {count} embeddings "
                         f"(valid: 0 … {count - 1})")
    return EmbeddingLookup.apply(weight, indices=indices, padding_idx=padding_idx)
