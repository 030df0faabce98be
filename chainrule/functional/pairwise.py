"""``pdist``: the p-norm distances between every pair of rows of one matrix."""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..methods.math import where
from ..tensor import Tensor
from .distance import _p_norm


def pdist(input: Tensor, p: float = 2) -> Tensor:
    """‖xᵢ − xⱼ‖_p for every pair of rows i < j, in row-major order of the pairs (the upper
    triangle of the distance matrix, without the diagonal).

    As in PyTorch, a pair of equal rows has distance 0 and gradient 0 (not the NaN of the
    norm's derivative at 0); p = 0 counts the differing coordinates (gradient 0). For p = inf,
    coordinates tied for the largest difference share its gradient (chainrule's convention for
    max), where PyTorch gives each of them the whole of it.

    Args:
        input: (N, M), floating point.
        p: the norm's exponent, ≥ 0 or inf (default 2).

    Shape: (N, M) -> (N·(N − 1)/2,).

    Example:
        >>> import chainrule
        >>> pdist(chainrule.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]])).tolist()
        [5.0, 1.0, 4.242640495300293]
    """
    if not isinstance(input, Tensor) or input.ndim != 2:
        shape = tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__
        raise ValueError(f"pdist expects a 2-D (N, M) tensor, got {shape}")
    if not dtypes.is_floating(input.dtype):
        raise TypeError(f"pdist expects a floating-point input, got {input.dtype}")
    p = float(p)
    if not p >= 0:
        raise ValueError(f"pdist: p must be non-negative (or inf), got {p}")
    first, second = np.triu_indices(input.shape[0], 1)
    diff = input.index_select(0, Tensor._const(first)) - \
        input.index_select(0, Tensor._const(second))
    if diff.shape[0] == 0:  # fewer than two rows: no pairs
        return diff.sum(-1)
    if p == 0:
        counts = np.count_nonzero(diff.data, axis=-1).astype(input.dtype)
        return diff.sum(-1) * 0.0 + Tensor._const(counts)
    equal = Tensor._const(np.all(diff.data == 0, axis=-1))
    safe = where(equal.unsqueeze(-1), 1.0, diff)  # a norm away from 0: a finite gradient
    distance = _p_norm("pdist", safe, p, -1, False)
    return where(equal, 0.0, distance)

__all__ = ["pdist"]
