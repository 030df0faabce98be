"""The two per-call-overhead workloads of issue 15 part 3, timed by process CPU time on one
thread: inference at batch 1 (``infer_b1``) and the 784-64-64-10 training step at batch 32
(``mlp_b32_64-64_train``), chainrule against PyTorch and the NumPy loop, in one process.

``python -m benchmarks`` times wall clock, which a shared machine disturbs (a busy second hits
one framework's round and not the other's); the CPU time of the process with one thread
(NumPy's BLAS and torch both) moves far less, so this script is the one to compare two
versions of chainrule with on a loaded machine: run it for each, in turn, a few times.
Rounds alternate between the frameworks (who goes first alternating); the ratios are the
median over rounds of the other's time / chainrule's (above 1: chainrule is faster).

Run: python benchmarks/cpu_time.py [--rounds 9] [--calls 3000] [--steps 400]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy is imported

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from typing import Callable  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from benchmarks import mlp, workloads  # noqa: E402


def cpu_round(fn: Callable[[], None], count: int) -> Callable[[], float]:
    """A round: ``count`` calls of ``fn``; returns CPU seconds per call."""
    def run() -> float:
        start = time.process_time()
        for _ in range(count):
            fn()
        return (time.process_time() - start) / count
    return run


def in_turn(rounds: dict[str, Callable[[], float]], count: int) -> dict[str, np.ndarray]:
    seconds: dict[str, list[float]] = {name: [] for name in rounds}
    names = list(rounds)
    for r in range(count):
        for name in names if r % 2 == 0 else names[::-1]:
            seconds[name].append(rounds[name]())
    return {name: np.array(values) for name, values in seconds.items()}


def report(title: str, seconds: dict[str, np.ndarray]) -> None:
    ours = seconds["chainrule"]
    print(title)
    for name, values in seconds.items():
        q1, median, q3 = np.percentile(values, [25, 50, 75]) * 1e6
        print(f"  {name:10s} {median:8.1f} µs ({q1:.1f}–{q3:.1f})   other / chainrule "
              f"{np.median(values / ours):.3f}")


def training_calls(torch, x: np.ndarray, y: np.ndarray) -> dict[str, Callable[[], None]]:
    batches = mlp.epoch_batches(len(x), 32, 0)
    steps = {"chainrule": mlp.chainrule_step(x, y, workloads.SMALL),
             "numpy": mlp.numpy_step(x, y, workloads.SMALL)}
    if torch is not None:
        steps["pytorch"] = mlp.torch_step(x, y, workloads.SMALL, torch)

    def cycled(step):
        source = iter(batches * 100)
        return lambda: step(next(source))

    calls = {name: cycled(step) for name, step in steps.items()}
    for call in calls.values():  # warm up: momentum buffers, first allocations
        for _ in range(20):
            call()
    return calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--calls", type=int, default=3000, help="inference calls per round")
    parser.add_argument("--steps", type=int, default=400, help="training steps per round")
    args = parser.parse_args()
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch = None
    x, y, source = mlp.load_data()
    print(f"data: {source}; one thread; process CPU time; {args.rounds} rounds in turn")
    calls = workloads.inference_calls(torch, np.ascontiguousarray(x[:1]))
    report("infer_b1 (per call)", in_turn({k: cpu_round(f, args.calls)
                                           for k, f in calls.items()}, args.rounds))
    calls = training_calls(torch, x, y)
    report("mlp_b32_64-64_train (per step)", in_turn({k: cpu_round(f, args.steps)
                                                      for k, f in calls.items()}, args.rounds))


if __name__ == "__main__":
    main()
