"""Optimizer step time: chainrule against torch.optim on the parameters of an MLP.

Each optimizer updates the six parameters of 784-512-256-10 (535,818 float32 values) with the
same fixed gradients, for chainrule and for PyTorch (CPU, same thread count). The two take
turns, a chunk of steps each, and the script prints the median time of a step for both and
PyTorch's time divided by chainrule's (above 1: chainrule is faster). An optimizer step is a
handful of passes over memory, so this measures how few passes and temporaries each uses.

Run: python benchmarks/optim.py [--rounds 30] [--steps 10] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import mlp  # noqa: E402

import chainrule as cr  # noqa: E402

SHAPES = [(512, 784), (256, 512), (10, 256), (512,), (256,), (10,)]
OPTIMIZERS = {  # name: constructor keyword arguments, the same for both frameworks
    "SGD": {"lr": 0.01, "momentum": 0.9},
    "Adam": {"lr": 1e-3},
    "AdamW": {"lr": 1e-3},
    "RMSprop": {"lr": 1e-3},
    "Adagrad": {"lr": 1e-2},
}


def chainrule_step(name, start, grads):
    params = [cr.tensor(p.copy(), requires_grad=True) for p in start]
    optimizer = getattr(cr.optim, name)(params, **OPTIMIZERS[name])

    def step():
        for p, g in zip(params, grads):
            p.grad = g
        optimizer.step()

    return step


def torch_step(name, start, grads, torch):
    params = [torch.tensor(p.copy(), requires_grad=True) for p in start]
    optimizer = getattr(torch.optim, name)(params, **OPTIMIZERS[name])
    grads = [torch.from_numpy(g) for g in grads]

    def step():
        for p, g in zip(params, grads):
            p.grad = g
        optimizer.step()

    return step


def median_step_times(steps, rounds, chunk):
    """Median seconds per step of each step function, timed in turn, ``chunk`` steps each."""
    seconds = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            start = time.perf_counter()
            for _ in range(chunk):
                step()
            seconds[name].append((time.perf_counter() - start) / chunk)
    return {name: float(np.median(times)) for name, times in seconds.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--steps", type=int, default=10, help="steps per timed chunk")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        sys.exit("this benchmark compares with PyTorch: pip install torch==2.13.0")
    torch.set_num_threads(args.threads)
    mlp.limit_numpy_threads(args.threads)
    rng = np.random.default_rng(0)
    start = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    grads = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    print(f"{sum(p.size for p in start):,} float32 parameters; threads: {args.threads}")
    print(f"{'':8s} {'chainrule':>10s} {'PyTorch':>10s} {'PyTorch / chainrule':>20s}")
    for name in OPTIMIZERS:
        steps = {"chainrule": chainrule_step(name, start, grads),
                 "pytorch": torch_step(name, start, grads, torch)}
        times = median_step_times(steps, args.rounds, args.steps)
        ratio = times["pytorch"] / times["chainrule"]
        print(f"{name:8s} {times['chainrule'] * 1e6:8.0f}µs {times['pytorch'] * 1e6:8.0f}µs "
              f"{ratio:20.2f}")


if __name__ == "__main__":
    main()
