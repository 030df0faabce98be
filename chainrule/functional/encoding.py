"""Encodings of class indices: ``one_hot``, with PyTorch's arguments, int64 result and errors.

Not differentiable (its input is integer class indices and its output holds 0s and 1s).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """One-hot encoding: out[..., c] = 1 where tensor[...] = c, else 0 (int64).

    Args:
        tensor: class indices, an int64 tensor of any shape, each in [0, num_classes).
        num_classes: the number of classes C; −1 (default) takes the largest index plus 1.

    Shape: (*) -> (*, C), int64.

    Raises:
        RuntimeError: for a non-int64 tensor, a negative class, a class ≥ num_classes, or an
            empty tensor with num_classes = −1 (PyTorch's kinds of error).

    Example:
        >>> import chainrule
        >>> one_hot(chainrule.tensor([0, 2]))
        tensor([[1, 0, 0],
                [0, 0, 1]])
    """
    labels = tensor.data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if labels.dtype != np.int64:
        raise RuntimeError(f"one_hot: the input must be an int64 (long) tensor of class "
                           f"indices, got {labels.dtype}; convert it with .long()")
    if labels.size and labels.min() < 0:
        raise RuntimeError(f"one_hot: class values must be non-negative, got {labels.min()}")
    if num_classes == -1:
        if not labels.size:
            raise RuntimeError("one_hot: can not infer the number of classes from an empty "
                               "tensor; pass num_classes")
        num_classes = int(labels.max()) + 1
    elif labels.size and (num_classes < 0 or labels.max() >= num_classes):
        raise RuntimeError(f"one_hot: class values must be smaller than num_classes "
                           f"({num_classes}), got {labels.max()}")
    out = (labels[..., None] == np.arange(max(num_classes, 0))).astype(np.int64)
    return Tensor(out)


__all__ = ["one_hot"]
