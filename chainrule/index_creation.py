"""Index tensors made from sizes alone: ``tril_indices`` and ``triu_indices`` (PyTorch's
``torch.tril_indices`` and ``torch.triu_indices``).

They need the Tensor class and take no tensor argument, so they live here (L3, beside
``creation``) rather than with the other misc functions in ``methods.misc_functions``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import dtypes
from .device import require_cpu
from .tensor import Tensor


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None,
                 device: Any = None, layout: Any = None) -> Tensor:
    """The (row, column) coordinates of the lower triangle of a ``row`` x ``col`` matrix
    (column − row ≤ ``offset``), row by row, as a (2, N) tensor.

    Args:
        row: the number of rows.
        col: the number of columns.
        offset: the diagonal that bounds the triangle (0: the main one; > 0 above it).
        dtype: the integer dtype of the result (default int64).

    Example:
        >>> import chainrule
        >>> chainrule.tril_indices(2, 2)
        tensor([[0, 1, 1],
                [0, 0, 1]])
    """
    return _triangle("tril_indices", row, col, offset, dtype, device, lower=True)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None,
                 device: Any = None, layout: Any = None) -> Tensor:
    """The coordinates of the upper triangle (column − row ≥ ``offset``) of a ``row`` x
    ``col`` matrix, row by row, as a (2, N) tensor; the arguments of ``tril_indices``."""
    return _triangle("triu_indices", row, col, offset, dtype, device, lower=False)


def _triangle(name: str, row: int, col: int, offset: int, dtype: Any, device: Any,
              lower: bool) -> Tensor:
    require_cpu(device, name)
    if row < 0 or col < 0:
        raise ValueError(f"{name}: row and col must be non-negative, got {row} and {col}")
    keep = np.tri(row, col, offset, dtype=bool) if lower else \
        ~np.tri(row, col, offset - 1, dtype=bool)
    coordinates = np.stack(np.nonzero(keep)).reshape(2, -1)
    return Tensor(coordinates, dtype=dtypes.int64 if dtype is None else dtype)
