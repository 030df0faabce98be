"""Version counters: how many in-place changes a tensor's memory has seen (R-ERR-5).

The counter belongs to the memory, not to the Tensor object, as in PyTorch: every Tensor that
views the same memory (made by reshape, T, slicing, expand, ``detach()``, ``Parameter(t)`` ...)
holds the same one-element list. A graph records its inputs' versions when it is built, so an
in-place change made through any of those Tensors is found at backward, which then refuses to
compute a gradient from values that are no longer there.

NOTE: a write made with NumPy into ``.data`` (the raw array, e.g. ``t.data *= 3``) bypasses
every counter, as a write through PyTorch's ``.data`` does (PyTorch 2.13 gives the stale
gradient silently there too); the in-place methods (``mul_``, ``copy_``, ``t[i] = v`` ...)
are the ones that count.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class VersionMixin:
    """The version counter of ``Tensor``."""

    __slots__ = ()

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's memory has seen, made through it or through
        any tensor viewing the same memory (PyTorch's ``_version``)."""
        return self._version_counter[0]

    @_version.setter
    def _version(self, value: int) -> None:
        self._version_counter[0] = value

    def _const_view(self, array: np.ndarray) -> Any:
        """A constant around ``array``, a result computed from this tensor's data without a
        graph: when it views this tensor's memory it shares its version counter."""
        t = self._const(array)
        if t.data.base is not None:
            share_version_counter(t, (self,))
        return t


def share_version_counter(t: Any, sources: tuple) -> None:
    """Give ``t`` the version counter of the source whose memory its array views, if any.

    NOTE: NumPy sets a view's ``base`` to the array that owns the memory, never to a view in
    between, so comparing with the source's array and its base finds it without scanning
    memory (a copy made by reshape or fancy indexing has a temporary base, and keeps its own).
    """
    base = t.data.base
    for source in sources:
        if base is source.data or base is source.data.base:
            t._version_counter = source._version_counter
            return
