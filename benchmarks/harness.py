"""Timing in turn: every framework's rounds of one workload interleaved, with medians, spreads
and per-round ratios, and the GEMM ceiling of the machine.

A shared machine changes speed from second to second, so timing one framework's rounds and
then the other's lets that noise decide the ratio. Here round r of every framework runs before
round r + 1 of any, in an order that alternates from round to round, after an untimed pause
long enough for OpenBLAS's and OpenMP's idle worker threads to stop spinning. The ratio of a
round is the reference's time over chainrule's (above 1: chainrule is faster); the table shows
the median of those ratios, so a slow second hits both sides of a ratio alike.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Callable

import numpy as np

PAUSE_S = 0.15

Round = Callable[[], float]  # runs one round of a workload and returns seconds per unit


@dataclasses.dataclass
class Result:
    """The rounds of one workload: seconds per unit (step, call ...) by framework."""

    name: str
    unit: str  # what one time is for: "step", "call", "import" ...
    seconds: dict[str, list[float]]
    flops: float | None = None  # floating-point operations of one unit, for the roofline
    note: str = ""

    def median(self, framework: str) -> float:
        return float(np.median(self.seconds[framework]))

    def spread(self, framework: str) -> tuple[float, float]:
        """The first and third quartiles of the rounds."""
        low, high = np.percentile(self.seconds[framework], [25, 75])
        return float(low), float(high)

    def ratio(self, reference: str, framework: str = "chainrule") -> float | None:
        """Median over rounds of reference time / framework time (> 1: framework faster)."""
        if reference not in self.seconds or framework not in self.seconds:
            return None
        ours, theirs = np.array(self.seconds[framework]), np.array(self.seconds[reference])
        n = min(len(ours), len(theirs))
        return float(np.median(theirs[:n] / ours[:n]))

    def roofline(self, framework: str, gemm_flops_per_s: float) -> float | None:
        """The fraction of the GEMM ceiling reached: the time the workload's floating-point
        operations take at the machine's large-GEMM rate, over the time measured."""
        if not self.flops or framework not in self.seconds:
            return None
        return self.flops / gemm_flops_per_s / self.median(framework)

    def as_json(self, gemm_flops_per_s: float) -> dict:
        frameworks = list(self.seconds)
        return {
            "unit": self.unit, "note": self.note, "flops": self.flops,
            "seconds": self.seconds,
            "median_s": {f: self.median(f) for f in frameworks},
            "quartiles_s": {f: self.spread(f) for f in frameworks},
            "ratio_vs_pytorch": self.ratio("pytorch"),
            "ratio_vs_numpy": self.ratio("numpy"),
            "roofline": {f: self.roofline(f, gemm_flops_per_s) for f in frameworks},
        }


def in_turn(rounds: dict[str, Round], count: int, pause_s: float = PAUSE_S) -> dict[str,
                                                                                       list[float]]:
    """``count`` rounds of every framework, interleaved, in an order that alternates."""
    seconds: dict[str, list[float]] = {name: [] for name in rounds}
    names = list(rounds)
    for r in range(count):
        for name in names if r % 2 == 0 else names[::-1]:
            time.sleep(pause_s)
            seconds[name].append(rounds[name]())
    return seconds


def repeat(step: Callable[[], object], times: int) -> Round:
    """A round that calls ``step`` ``times`` times and returns the seconds per call."""

    def run() -> float:
        start = time.perf_counter()
        for _ in range(times):
            step()
        return (time.perf_counter() - start) / times

    return run


def gemm_flops_per_s(threads_note: str = "", size: int = 1024, reps: int = 5) -> float:
    """The machine's float32 GEMM rate (best of ``reps`` products of two size × size
    matrices through NumPy's BLAS): the ceiling a workload made only of GEMMs would reach."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    out = np.empty_like(a)
    np.matmul(a, b, out=out)
    best = min(_timed(lambda: np.matmul(a, b, out=out)) for _ in range(reps))
    return 2 * size**3 / best


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def set_threads(threads: int) -> None:
    """The same thread count for NumPy's BLAS (threadpoolctl, when installed) and torch."""
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)
    except ImportError:
        pass
    try:
        import torch

        torch.set_num_threads(threads)
    except ImportError:
        pass
