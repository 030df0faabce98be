"""Per-op Python overhead: chainrule against PyTorch (CPU) in the same run.

Two workloads, each a forward and a backward pass with the gradients cleared before each run:

* ``expr``: ((a * b + c).relu().sum()).backward() on 8×8 float32 tensors (4 ops), where
  almost all the time is framework overhead (one NumPy call on 8×8 arrays costs ~0.3 µs);
* ``mlp``: a 3-layer MLP (64-64-64-10, ReLU) at batch 32 with a mean squared error loss.

Prints microseconds per iteration and the ratio chainrule / PyTorch (below 1 is faster).
Run: python benchmarks/overhead.py [--threads N]
"""

from __future__ import annotations

import argparse
import os
import sys
import timeit

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import chainrule as cr  # noqa: E402


def best_microseconds(fn, number: int, repeat: int = 5) -> float:
    fn()  # warm up
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


def chainrule_workloads(rng):
    a, b, c = (cr.tensor(rng.standard_normal((8, 8)), dtype=cr.float32, requires_grad=True)
               for _ in range(3))

    def expr():
        for t in (a, b, c):
            t.grad = None
        ((a * b + c).relu().sum()).backward()

    model = cr.nn.Sequential(cr.nn.Linear(64, 64), cr.nn.ReLU(), cr.nn.Linear(64, 64),
                             cr.nn.ReLU(), cr.nn.Linear(64, 10))
    x = cr.tensor(rng.standard_normal((32, 64)), dtype=cr.float32)
    y = cr.tensor(rng.standard_normal((32, 10)), dtype=cr.float32)

    def mlp():
        model.zero_grad()
        ((model(x) - y) ** 2).mean().backward()

    return expr, mlp


def torch_workloads(rng, torch):
    a, b, c = (torch.tensor(rng.standard_normal((8, 8)), dtype=torch.float32,
                            requires_grad=True) for _ in range(3))

    def expr():
        for t in (a, b, c):
            t.grad = None
        ((a * b + c).relu().sum()).backward()

    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(),
                                torch.nn.Linear(64, 64), torch.nn.ReLU(),
                                torch.nn.Linear(64, 10))
    x = torch.tensor(rng.standard_normal((32, 64)), dtype=torch.float32)
    y = torch.tensor(rng.standard_normal((32, 10)), dtype=torch.float32)

    def mlp():
        model.zero_grad(set_to_none=True)
        ((model(x) - y) ** 2).mean().backward()

    return expr, mlp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--number", type=int, default=3000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    ours = dict(zip(["expr", "mlp"], chainrule_workloads(rng)))
    try:
        import torch

        torch.set_num_threads(args.threads)
        theirs = dict(zip(["expr", "mlp"], torch_workloads(rng, torch)))
    except ImportError:
        theirs = {}
        print("PyTorch is not installed: reporting chainrule alone")
    print(f"{'workload':10s} {'chainrule µs':>13s} {'PyTorch µs':>11s} {'ratio':>7s}")
    for name, fn in ours.items():
        ours_us = best_microseconds(fn, args.number)
        if name in theirs:
            theirs_us = best_microseconds(theirs[name], args.number)
            print(f"{name:10s} {ours_us:13.1f} {theirs_us:11.1f} {ours_us / theirs_us:7.2f}")
        else:
            print(f"{name:10s} {ours_us:13.1f}")


if __name__ == "__main__":
    main()
