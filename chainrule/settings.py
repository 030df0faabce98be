"""Process-wide switches that PyTorch scripts set, and what each means in chainrule.

* ``use_deterministic_algorithms``: chainrule's results are already the same bits on every
  run for a given seed and thread count (sums across threads are added in a fixed order), so
  the switch is recorded and reported, and changes no computation.
* ``set_float32_matmul_precision``: float32 products always run in full float32 through
  NumPy's BLAS (PyTorch's "highest"); "high" and "medium" allow lower-precision tensor-core
  paths in PyTorch, which a CPU library does not have. Recorded and reported.
* ``set_num_interop_threads``: chainrule runs one op at a time (no inter-op pool); the number
  is recorded. Intra-op threads are ``chainrule.set_num_threads``.
"""

from __future__ import annotations

import os
from typing import Any

_state: dict[str, Any] = {"deterministic": False, "warn_only": False,
                          "matmul_precision": "highest", "interop_threads": None}
PRECISIONS = ("highest", "high", "medium")


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return value


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Ask for deterministic algorithms (always the case here; see the module docstring)."""
    _state["deterministic"] = _flag("use_deterministic_algorithms: mode", mode)
    _state["warn_only"] = _flag("use_deterministic_algorithms: warn_only", warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _state["warn_only"]


def set_float32_matmul_precision(precision: str) -> None:
    """Record PyTorch's float32 matmul precision setting; chainrule computes at "highest"."""
    if precision not in PRECISIONS:
        raise ValueError(f"set_float32_matmul_precision: {precision!r} is not one of "
                         f"{', '.join(map(repr, PRECISIONS))}")
    _state["matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    return _state["matmul_precision"]


def set_num_interop_threads(threads: int) -> None:
    """Record the inter-op thread count (chainrule has no inter-op pool)."""
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"set_num_interop_threads expects a positive int, got {threads!r}")
    _state["interop_threads"] = threads


def get_num_interop_threads() -> int:
    """The recorded inter-op thread count; by default the CPUs available, as in PyTorch."""
    if _state["interop_threads"] is not None:
        return _state["interop_threads"]
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
