"""What ``fit`` adds to the bare ``train_step`` loop it is built from.

Trains the Fashion-MNIST MLP (784-512-256-10, Adam, batch 128; random data of that shape when
the data set is missing) for one epoch per run, three ways, alternating them and keeping each
one's best of several rounds:

* bare: ``for x, y in loader: train_step(model, loss_fn, optimizer, x, y)``
* fit, silent: ``fit(..., metrics=["accuracy"], verbose=0)``
* fit with its progress bar drawn to a (fake) terminal.

Prints seconds per epoch and fit's overhead in percent (the target is at most 5%).
Run: python benchmarks/fit_overhead.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import chainrule as cr  # noqa: E402
from chainrule import nn  # noqa: E402
from chainrule.data import DataLoader, TensorDataset  # noqa: E402
from chainrule.train import fit, train_step  # noqa: E402


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def setup():
    try:
        from chainrule.data.datasets import load_fashion_mnist

        (x, y), _ = load_fashion_mnist(flatten=True)
    except FileNotFoundError:
        rng = np.random.default_rng(0)
        x, y = rng.random((60000, 784), dtype=np.float32), rng.integers(0, 10, 60000)
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                          nn.Linear(256, 10))
    optimizer = cr.optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(TensorDataset(x, y), batch_size=128, shuffle=True)
    return model, optimizer, loader, nn.CrossEntropyLoss()


def bare(model, optimizer, loader, loss_fn):
    for x, y in loader:
        train_step(model, loss_fn, optimizer, x, y)


def fit_silent(model, optimizer, loader, loss_fn):
    fit(model, loss_fn, optimizer, loader, epochs=1, metrics=["accuracy"], verbose=0)


def fit_with_bar(model, optimizer, loader, loss_fn):
    fit(model, loss_fn, optimizer, loader, epochs=1, metrics=["accuracy"], verbose=1,
        stream=Terminal())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    parts = setup()
    runs = {"bare train_step loop": bare, "fit, verbose=0": fit_silent,
            "fit, progress bar": fit_with_bar}
    best = {name: float("inf") for name in runs}
    for _ in range(args.rounds):
        for name, run in runs.items():
            start = time.perf_counter()
            run(*parts)
            best[name] = min(best[name], time.perf_counter() - start)
    reference = best["bare train_step loop"]
    for name, seconds in best.items():
        print(f"{name:22s} {seconds:7.2f} s/epoch  {100 * (seconds / reference - 1):+6.1f}%")


if __name__ == "__main__":
    main()
