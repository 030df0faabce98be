"""``torch.backends.mps``: Apple's Metal backend, which chainrule does not use."""

from __future__ import annotations


def is_available() -> bool:
    """False: chainrule computes on the CPU."""
    return False


def is_built() -> bool:
    """False: chainrule has no MPS backend."""
    return False
