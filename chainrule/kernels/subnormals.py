"""Flushing subnormal numbers to zero, in place."""

from __future__ import annotations

import numpy as np


def flush_subnormals(buffer: np.ndarray) -> None:
    """Set, in place, the entries of a float array whose magnitude is below the smallest
    normal number of its dtype (``np.finfo(dtype).tiny``), zeros excepted, to +0.

    NaN, ±inf, ±0 and every normal number are left as they are. Zeros are not selected, so a
    buffer with many zeros (the momentum of weights whose gradient is always 0) is written
    only where it holds subnormals.
    """
    magnitude = np.abs(buffer)
    mask = magnitude < np.finfo(buffer.dtype).tiny
    mask &= magnitude > 0
    if mask.any():
        buffer[mask] = 0
