"""Arrays that Functions reuse from one call to the next instead of allocating afresh.

A fresh array of a few hundred kilobytes or more is handed back to the OS when it is freed
and faulted in again page by page at the next call; for the recurrent layers and attention at
small sizes that costs more than the elementwise work done in it. ``WORKSPACE`` (one per
thread) keeps such arrays between calls, keyed by a name, the shape and the dtype.
"""

from __future__ import annotations

import sys
import threading

import numpy as np


class _Workspace(threading.local):
    """Arrays reused from one call to the next, per thread (see the module docstring).

    * ``get``: scratch for backward, which neither returns nor keeps it; reused every call.
    * ``spare``: an array that forward saves for backward (never returned to the caller). It
      is reused only once nothing else refers to it (the graph that saved it is freed, no view
      of it is left), which the reference count tells; otherwise a new one is made."""

    def __init__(self) -> None:
        self.arrays: dict[tuple, np.ndarray] = {}
        self.saved: dict[tuple, list[np.ndarray]] = {}

    def clear(self) -> None:
        """Let go of every array held (this thread's); they are made afresh when needed."""
        self.arrays.clear()
        self.saved.clear()

    def get(self, name: str, shape: tuple, dtype) -> np.ndarray:
        key = (name, shape, np.dtype(dtype))
        array = self.arrays.get(key)
        if array is None:
            if len(self.arrays) >= 64:  # many different shapes: start afresh
                self.arrays.clear()
            array = self.arrays[key] = np.empty(shape, dtype)
        return array

    def spare(self, name: str, shape: tuple, dtype) -> np.ndarray:
        key = (name, shape, np.dtype(dtype))
        kept = self.saved.setdefault(key, [])
        for array, count in zip(kept, _references(kept)):
            if count == _UNSHARED:
                return array
        if len(kept) >= 4:  # several graphs alive at once: do not hold on to more
            return np.empty(shape, dtype)
        if len(self.saved) >= 64:
            self.saved.clear()
            kept = self.saved[key] = []
        kept.append(np.empty(shape, dtype))
        return kept[-1]


def _references(arrays: list) -> list[int]:
    """The reference count of each array (a view holds one to the array it views)."""
    if not hasattr(sys, "getrefcount"):  # an interpreter without it: never reuse
        return [-1] * len(arrays)
    return [sys.getrefcount(a) for a in arrays]


# what ``_references`` counts for an array that only its list refers to
_UNSHARED = _references([np.empty(0)])[0]

WORKSPACE = _Workspace()
