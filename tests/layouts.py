"""Memory layouts the tests build their inputs in."""

from __future__ import annotations

import numpy as np


def channels_last(x: np.ndarray) -> np.ndarray:
    """The same (N, C, *) values, stored channels-last (an NCHW view of NHWC memory)."""
    return np.moveaxis(np.ascontiguousarray(np.moveaxis(x, 1, -1)), -1, 1)
