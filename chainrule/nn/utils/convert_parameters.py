"""Flatten parameters into one vector and back (PyTorch's ``parameters_to_vector``)."""

from __future__ import annotations

from typing import Iterable

import numpy as np

from ...autograd import no_grad
from ...methods.shape import cat
from ...tensor import Tensor


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated, in order (differentiable)."""
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of ``vec`` into the parameters, in order."""
    params = list(parameters)
    needed = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.numel() != needed:
        raise ValueError(f"vector_to_parameters: expected a 1-D vector of {needed} elements, "
                         f"got shape {vec.shape}")
    offset = 0
    with no_grad():
        for p in params:
            p.data[...] = np.reshape(vec.data[offset:offset + p.numel()], p.shape)
            offset += p.numel()
