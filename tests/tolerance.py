"""The comparison the fast-route tests share: a fast computation against its plain reference."""

from __future__ import annotations

import numpy as np


def assert_close_to_scale(fast, plain, dtype, float32_ulps: int = 64) -> None:
    """Each array of ``fast`` has ``dtype`` and equals its ``plain`` counterpart to 1e-12 of
    the plain array's largest magnitude (at least 1) in float64, and to ``float32_ulps`` ulps
    of it in float32: the routes sum in different orders, so they agree to rounding only."""
    for a, b in zip(fast, plain, strict=True):
        assert a.dtype == np.dtype(dtype)
        scale = max(float(np.abs(b).max()), 1.0)
        tol = 1e-12 if dtype == np.float64 else float32_ulps * np.finfo(np.float32).eps
        np.testing.assert_allclose(a, b, rtol=0, atol=tol * scale)
