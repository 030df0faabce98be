"""MLP training throughput: chainrule, PyTorch (CPU) and a plain hand-written NumPy loop.

Trains 784-512-256-10 (ReLU, softmax cross-entropy) with SGD (momentum 0.9), float32, batch 128,
on Fashion-MNIST (random data of the same shape when the data set is not installed), and prints
samples per second for the first two epochs and for epochs 3 and later separately: from epoch 3
on, momentum values of weights whose gradient is always zero (the blank border pixels) decay
into float32's subnormal range, which slows CPUs down unless they are flushed (chainrule's
optimizers flush them). A second configuration, hidden 64-64 at batch 32, measures per-op
overhead. All frameworks use the same number of threads.

Run: python benchmarks/mlp.py [--epochs 5] [--threads 2] [--config big|small|both]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import chainrule as cr  # noqa: E402

CONFIGS = {"big": ((512, 256), 128), "small": ((64, 64), 32)}


def load_data() -> tuple[np.ndarray, np.ndarray, str]:
    try:
        from chainrule.data.datasets import load_fashion_mnist

        (x, y), _ = load_fashion_mnist(flatten=True)
        return x, y, "Fashion-MNIST"
    except FileNotFoundError:
        rng = np.random.default_rng(0)
        return rng.random((60000, 784), dtype=np.float32), rng.integers(0, 10, 60000), "random"


def batches(n: int, batch_size: int, epoch: int):
    order = np.random.default_rng(epoch).permutation(n)
    for start in range(0, n - batch_size + 1, batch_size):
        yield order[start:start + batch_size]


def run_chainrule(x, y, hidden, batch_size, epochs, lr=0.05):
    cr.manual_seed(0)
    sizes = (784, *hidden, 10)
    layers = []
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        layers += [cr.nn.Linear(fan_in, fan_out), cr.nn.ReLU()]
    model = cr.nn.Sequential(*layers[:-1])
    optimizer = cr.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loss_fn = cr.nn.CrossEntropyLoss()

    def epoch(e):
        for idx in batches(len(x), batch_size, e):
            optimizer.zero_grad()
            loss_fn(model(cr.from_numpy(x[idx])), cr.from_numpy(y[idx])).backward()
            optimizer.step()

    return [timed(epoch, e) for e in range(epochs)]


def run_torch(x, y, hidden, batch_size, epochs, torch, lr=0.05):
    torch.manual_seed(0)
    sizes = (784, *hidden, 10)
    layers = []
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def epoch(e):
        for idx in batches(len(x), batch_size, e):
            index = torch.from_numpy(idx)
            optimizer.zero_grad()
            loss_fn(model(xt[index]), yt[index]).backward()
            optimizer.step()

    return [timed(epoch, e) for e in range(epochs)]


def run_numpy(x, y, hidden, batch_size, epochs, lr=0.05):
    """Forward, hand-derived backward and momentum SGD written directly in NumPy."""
    rng = np.random.default_rng(0)
    sizes = (784, *hidden, 10)
    weights = [(rng.uniform(-1, 1, (o, i)) / np.sqrt(i)).astype(np.float32)
               for i, o in zip(sizes, sizes[1:])]
    biases = [np.zeros(o, np.float32) for o in sizes[1:]]
    params = weights + biases
    velocity = [np.zeros_like(p) for p in params]

    def step(xb, yb):
        activations = [xb]
        for i, (w, b) in enumerate(zip(weights, biases)):
            z = activations[-1] @ w.T + b
            activations.append(np.maximum(z, 0) if i < len(weights) - 1 else z)
        logits = activations[-1]
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        probs[np.arange(len(yb)), yb] -= 1
        grad = probs / np.float32(len(yb))  # dL/dlogits = (p − y)/N
        grads_w, grads_b = [None] * len(weights), [None] * len(weights)
        for i in reversed(range(len(weights))):
            grads_w[i] = grad.T @ activations[i]
            grads_b[i] = grad.sum(axis=0)
            if i:
                grad = (grad @ weights[i]) * (activations[i] > 0)
        for p, v, g in zip(params, velocity, grads_w + grads_b):
            v *= np.float32(0.9)
            v += g
            p -= np.float32(lr) * v

    def epoch(e):
        for idx in batches(len(x), batch_size, e):
            step(x[idx], y[idx])

    return [timed(epoch, e) for e in range(epochs)]


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def rates(seconds: list[float], samples: int) -> tuple[float, float]:
    early = samples * min(2, len(seconds)) / sum(seconds[:2])
    late = samples * len(seconds[2:]) / sum(seconds[2:]) if len(seconds) > 2 else float("nan")
    return early, late


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--config", choices=["big", "small", "both"], default="both")
    args = parser.parse_args()
    x, y, source = load_data()
    try:
        import torch

        torch.set_num_threads(args.threads)
    except ImportError:
        torch = None
    configs = ["big", "small"] if args.config == "both" else [args.config]
    print(f"data: {source}; threads: {args.threads}; epochs: {args.epochs}")
    for name in configs:
        hidden, batch_size = CONFIGS[name]
        samples = (len(x) // batch_size) * batch_size
        results = {"chainrule": run_chainrule(x, y, hidden, batch_size, args.epochs),
                   "numpy": run_numpy(x, y, hidden, batch_size, args.epochs)}
        if torch is not None:
            results["pytorch"] = run_torch(x, y, hidden, batch_size, args.epochs, torch)
        print(f"\n784-{'-'.join(map(str, hidden))}-10, batch {batch_size}: samples/s")
        print(f"{'':10s} {'epochs 1-2':>11s} {'epochs 3+':>10s} {'vs PyTorch (3+)':>16s}")
        reference = rates(results["pytorch"], samples)[1] if "pytorch" in results else None
        for framework, seconds in results.items():
            early, late = rates(seconds, samples)
            ratio = f"{late / reference:16.2f}" if reference else ""
            print(f"{framework:10s} {early:11,.0f} {late:10,.0f} {ratio}")


if __name__ == "__main__":
    main()
