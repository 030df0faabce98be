"""The one switch between the kernels' fast paths and their plain NumPy reference bodies."""

from __future__ import annotations

import os

# Kernel name -> whether its fast path runs. Every kernel with a fast path has an entry here
# (``register``) and reads it on each call (``if FAST["name"] and ...:``); each must earn at
# least 5% of a workload (benchmarks/README.md). OpenBLAS's axpby through ctypes earned
# 2.6-5.4% of the MLP step on a quiet machine and was removed.
FAST: dict[str, bool] = {}

ENV_VARIABLE = "CHAINRULE_KERNELS"


def use_fast(enabled: bool = True, *names: str) -> None:
    """Turn the fast paths of the kernels ``names`` (all kernels when none is named) on or off.

    Args:
        enabled: True to run the fast paths, False to run the reference bodies.
        names: kernel names, from ``fast_paths()``.
    """
    unknown = sorted(set(names) - set(FAST))
    if unknown:
        known = ", ".join(sorted(FAST)) or "none"
        raise ValueError(f"use_fast: no kernel with a fast path is named {', '.join(unknown)} "
                         f"(kernels with one: {known})")
    for name in names or tuple(FAST):
        FAST[name] = bool(enabled)


def fast_paths() -> dict[str, bool]:
    """A copy of {kernel name: whether its fast path is on}."""
    return dict(FAST)


def register(name: str) -> None:
    """Give the kernel ``name`` a fast path, on unless the environment asks for references."""
    FAST[name] = not _reference_requested()


def _reference_requested() -> bool:
    return os.environ.get(ENV_VARIABLE, "").strip().lower() in ("reference", "0", "off", "false")


def _from_environment() -> None:
    if _reference_requested():
        use_fast(False)


# Fast paths above the kernels, switched here too so that every switch exists from import:
# nn.Sequential runs a Linear, Conv2d or batch norm layer directly followed by a ReLU as one node
# (nn/fusion.py).
register("fuse_relu")
