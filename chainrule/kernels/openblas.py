"""The fast path of ``axpby_``: y ← αx + βy in one pass through the OpenBLAS that NumPy's wheels
ship, called through ctypes.

NumPy has no fused multiply-add: ``y *= β; y += α * x`` reads and writes y twice, writes and
reads a temporary for αx, and runs on one thread. OpenBLAS's level-1 ``axpby`` does it in one
pass, and ``axpy`` (β = 1) on every BLAS thread.

NumPy's wheels for Linux and Windows (and older ones for macOS) bundle OpenBLAS as
scipy-openblas: an ILP64 build (64-bit integer arguments) whose CBLAS functions are named
``scipy_cblas_<name>64_``. The library is looked for where those wheels put it and its functions
are called through ctypes, which releases the GIL (threadpoolctl reaches the same library the
same way to set its thread count). Where it is absent (NumPy built against Accelerate, MKL or a
system BLAS; NumPy 1.x's wheels) or the arrays do not suit, ``axpby_`` here declines and the
kernel runs its NumPy reference body.

The two differ in rounding: OpenBLAS's kernels use fused multiply-adds (axpy rounds αx + y
once), NumPy's expression rounds each product and each sum. Both are deterministic, and
OpenBLAS's results were the same bits with one thread and with two.
"""

from __future__ import annotations

import glob
import os
from typing import Any

import numpy as np

try:
    import ctypes
except ImportError:  # Python built without _ctypes: the reference bodies only
    ctypes = None  # type: ignore[assignment]

MIN_SIZE = 1 << 16  # smaller arrays: the NumPy expression, which costs less than a ctypes call


def axpby_(alpha: float, x: np.ndarray, beta: float, y: np.ndarray) -> bool:
    """``y ← α·x + β·y`` through OpenBLAS when it applies; returns whether it did.

    It applies to C-contiguous, aligned float32/float64 arrays of one dtype and shape, of
    ``MIN_SIZE`` elements or more, that are one array or do not overlap, with y writable.
    """
    functions = _FUNCTIONS.get(y.dtype) if y.size >= MIN_SIZE else None
    if functions is None or not _contiguous_pair(x, y):
        return False
    x_at, y_at, extent = x.ctypes.data, y.ctypes.data, y.nbytes  # each read once: not free
    if not (x_at == y_at or x_at + extent <= y_at or y_at + extent <= x_at):
        return False
    axpy, axpby = functions
    if beta == 1:
        axpy(y.size, alpha, x_at, 1, y_at, 1)
    else:
        axpby(y.size, alpha, x_at, 1, beta, y_at, 1)
    return True


def available() -> bool:
    """Whether OpenBLAS's level-1 functions were found."""
    return bool(_FUNCTIONS)


def _contiguous_pair(x: np.ndarray, y: np.ndarray) -> bool:
    """x and y are C-contiguous, aligned arrays of one dtype and shape, and y is writable."""
    if type(x) is not np.ndarray or x.dtype != y.dtype or x.shape != y.shape:
        return False
    x_flags, y_flags = x.flags, y.flags
    return (x_flags.c_contiguous and y_flags.c_contiguous and x_flags.aligned
            and y_flags.aligned and y_flags.writeable)


def _library_paths() -> list[str]:
    """Where NumPy's wheels put scipy-openblas: ``numpy.libs`` beside the package (Linux,
    Windows) or ``numpy/.dylibs`` (macOS)."""
    package = os.path.dirname(np.__file__)
    patterns = [os.path.join(package + ".libs", "*scipy_openblas64_*"),
                os.path.join(package, ".dylibs", "*scipy_openblas64_*")]
    return sorted(path for pattern in patterns for path in glob.glob(pattern))


def _bind(library: Any, prefix: str, real: Any) -> tuple[Any, Any]:
    """(axpy, axpby) of one precision, with their CBLAS signatures (64-bit integers)."""
    n, pointer = ctypes.c_int64, ctypes.c_void_p
    axpy = getattr(library, f"scipy_cblas_{prefix}axpy64_")
    axpy.argtypes, axpy.restype = [n, real, pointer, n, pointer, n], None
    axpby = getattr(library, f"scipy_cblas_{prefix}axpby64_")
    axpby.argtypes, axpby.restype = [n, real, pointer, n, real, pointer, n], None
    return axpy, axpby


def _load() -> dict[np.dtype, tuple[Any, Any]]:
    """The functions by dtype, or {} when no usable library is found."""
    for path in _library_paths() if ctypes is not None else []:
        try:
            library = ctypes.CDLL(path)
            return {np.dtype(np.float32): _bind(library, "s", ctypes.c_float),
                    np.dtype(np.float64): _bind(library, "d", ctypes.c_double)}
        except (OSError, AttributeError):
            continue
    return {}


_FUNCTIONS = _load()
