"""What ``nn.ReLU(inplace=True)`` saves in a residual block written as PyTorch scripts write it
(conv, BN, ReLU, conv, BN, add, ReLU, in a custom ``forward``, so that ``nn.Sequential``'s
fusion does not apply): the peak of NumPy's allocations during one forward + backward
(tracemalloc) and the wall time of a step, with ``inplace`` True and False in turn.

Run: python benchmarks/inplace_relu.py [--channels 32] [--size 28] [--batch 32] [--steps 5]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

import chainrule as cr
from chainrule import nn


class BasicBlock(nn.Module):
    def __init__(self, channels: int, inplace: bool) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=inplace)

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += x
        return self.relu(out)


def measure(block: BasicBlock, x, steps: int) -> tuple[float, float]:
    """(peak MiB of one step's NumPy allocations, best ms of ``steps`` steps)."""
    def step():
        block.zero_grad()
        block(x).sum().backward()
    step()
    tracemalloc.start()
    before, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    step()
    peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    best = float("inf")
    for _ in range(steps):
        start = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - start)
    return peak / 2**20, best * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=32)
    parser.add_argument("--size", type=int, default=28)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args()
    shape = (args.batch, args.channels, args.size, args.size)
    x = cr.from_numpy(np.random.default_rng(0).standard_normal(shape).astype(np.float32))
    for inplace in (False, True, False, True):
        cr.manual_seed(0)
        peak, ms = measure(BasicBlock(args.channels, inplace), x, args.steps)
        print(f"ReLU(inplace={inplace!s:5}): peak {peak:5.1f} MiB, best step {ms:6.1f} ms")


if __name__ == "__main__":
    main()
