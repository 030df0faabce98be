"""Flushing subnormal numbers to zero, in place."""

from __future__ import annotations

import numpy as np

from .switch import FAST


def flush_subnormals(buffer: np.ndarray) -> None:
    """Set, in place, the entries of a float array whose magnitude is below the smallest
    normal number of its dtype (``np.finfo(dtype).tiny``), zeros excepted, to +0.

    Reference: the mask ``0 < |x| < tiny``, written with zeros. NaN, ±inf, ±0 and every normal
    number are left as they are.

    Fast path, for float16/32/64: the test reads the bits. With the sign cleared, a subnormal
    is an integer u in [1, 2^m − 1] (m mantissa bits; 0 is zero, 2^m the smallest normal), so
    the mask is one unsigned comparison, u − 1 < 2^m − 1, where 0 wraps round to the largest
    integer. Both select the same entries, so the results are the same bits.
    """
    unsigned = _UNSIGNED.get(buffer.dtype.itemsize) if buffer.dtype.kind == "f" else None
    if not FAST["flush_subnormals"] or unsigned is None:
        magnitude = np.abs(buffer)
        mask = (magnitude < np.finfo(buffer.dtype).tiny) & (magnitude > 0)
    else:
        mantissa_bits = np.finfo(buffer.dtype).nmant
        bits = np.bitwise_and(buffer.view(unsigned), unsigned(_ABS_MASK[unsigned]))
        bits -= unsigned(1)
        mask = bits < unsigned((1 << mantissa_bits) - 1)
    if mask.any():
        buffer[mask] = 0


_UNSIGNED = {2: np.uint16, 4: np.uint32, 8: np.uint64}
_ABS_MASK = {u: (1 << (8 * np.dtype(u).itemsize - 1)) - 1 for u in _UNSIGNED.values()}
