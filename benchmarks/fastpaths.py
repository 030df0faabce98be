"""What each kernel fast path earns on a whole training step (``--fast-paths``).

Two estimates, because a shared machine's noise can exceed the few percent being decided:

* *in turn*: the training step with every fast path on, and with one off, timed in
  alternating rounds (harness.py); the gain is the median over rounds of time off / time on − 1,
  with its quartiles.
* *saved*: the kernel's calls during ``STEPS`` training steps are recorded (their arguments
  copied), each is timed with the fast path and with the reference body (best of several
  repeats, which filters out other processes' interference), and the time saved per step is
  divided by the best round of the whole step, and by the time the step's floating-point
  operations take at the machine's GEMM rate (a lower bound of any step, so an upper bound of
  the fraction). This misses effects on the rest of the step (caches), but is stable from run
  to run.

A fast path stays when a whole workload gains at least 5% by it (benchmarks/README.md).
"""

from __future__ import annotations

import sys
import time
from typing import Any, Callable

import numpy as np

from chainrule import kernels

STEPS = 16  # training steps recorded: one subnormal flush (every 16 steps) included
REPEATS = 7


def record_calls(names: list[str], run_steps: Callable[[], Any]) -> dict[str, list[tuple]]:
    """The arguments (arrays copied) of every call of the kernels ``names`` made by chainrule's
    modules while ``run_steps()`` runs."""
    calls: dict[str, list[tuple]] = {name: [] for name in names}
    patched = []
    for name in names:
        original = getattr(kernels, name)

        def recorder(*args, _name=name, _original=original):
            calls[_name].append(tuple(a.copy() if isinstance(a, np.ndarray) else a
                                      for a in args))
            return _original(*args)

        for module in list(sys.modules.values()):
            if (getattr(module, "__name__", "").startswith("chainrule.")
                    and getattr(module, name, None) is original):
                setattr(module, name, recorder)
                patched.append((module, name, original))
    try:
        run_steps()
    finally:
        for module, name, original in patched:
            setattr(module, name, original)
    return calls


def seconds_saved(name: str, calls: list[tuple]) -> float:
    """Σ over the calls of (best reference time − best fast time)."""
    function = getattr(kernels, name)
    total = 0.0
    for args in calls:
        fast = _best(lambda args=args: function(*args))
        kernels.use_fast(False, name)
        try:
            plain = _best(lambda args=args: function(*args))
        finally:
            kernels.use_fast(True, name)
        total += plain - fast
    return total


def _best(fn: Callable[[], Any]) -> float:
    fn()
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def saved_per_step(name: str, step: Callable[[], Any]) -> float:
    """Seconds ``name``'s fast path saves per training step (see the module docstring)."""
    calls = record_calls([name], lambda: [step() for _ in range(STEPS)])[name]
    return seconds_saved(name, calls) / STEPS
