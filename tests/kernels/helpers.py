"""Inputs for the kernel tests: special values, layouts and dtypes, and a way to run a kernel's
reference body."""

from __future__ import annotations

import contextlib
from typing import Iterator

import numpy as np

from chainrule import kernels

DTYPES = [np.float32, np.float64]
LAYOUTS = ["contiguous", "transposed", "strided", "4-d", "small"]


def special_values(dtype) -> np.ndarray:
    """0, −0, ± the smallest and largest subnormal, ± the smallest normal, ±inf, NaN, ±1 and
    ± the largest finite number of ``dtype``."""
    info = np.finfo(dtype)
    smallest = info.smallest_subnormal
    largest_subnormal = np.nextafter(info.tiny, dtype(0))
    values = [0.0, -0.0, smallest, -smallest, largest_subnormal, -largest_subnormal, info.tiny,
              -info.tiny, np.inf, -np.inf, np.nan, 1.0, -1.0, info.max, -info.max]
    return np.array(values, dtype)


def array(layout: str, dtype, seed: int = 0, size: int = 3 * (1 << 16) + 17) -> np.ndarray:
    """A float array of ``layout`` holding ``special_values`` at its start and end and standard
    normal numbers (some scaled into the subnormal range) elsewhere."""
    rng = np.random.default_rng(seed)
    size = 100 if layout == "small" else size
    flat = rng.standard_normal(2 * size if layout == "strided" else size).astype(dtype)
    flat[::7] *= np.finfo(dtype).tiny  # subnormal or tiny normals, both signs
    special = special_values(dtype)
    flat[:len(special)] = special
    flat[-len(special):] = special[::-1]
    if layout == "strided":
        return flat[::2]
    if layout == "transposed":
        return flat[: size - size % 128].reshape(-1, 128).T
    if layout == "4-d":
        return flat[: size - size % (4 * 8 * 16)].reshape(-1, 4, 8, 16)
    return flat


@contextlib.contextmanager
def reference(*names: str) -> Iterator[None]:
    """Run the kernels ``names`` (all when none) on their reference bodies inside the block."""
    before = kernels.fast_paths()
    kernels.use_fast(False, *names)
    try:
        yield
    finally:
        for name, on in before.items():
            kernels.use_fast(on, name)


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal dtype, shape and bytes (so −0 differs from 0, and NaN payloads count)."""
    return (a.dtype == b.dtype and a.shape == b.shape
            and np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes())
