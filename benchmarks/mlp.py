"""MLP training throughput: chainrule, PyTorch (CPU) and a plain hand-written NumPy loop.

Trains 784-512-256-10 (ReLU, softmax cross-entropy) with SGD (momentum 0.9), float32, batch 128,
on Fashion-MNIST (random data of the same shape when the data set is not installed), and prints
samples per second for the first two epochs and for epochs 3 and later separately: from epoch 3
on, momentum values of weights whose gradient is always zero (the blank border pixels) decay
into float32's subnormal range, which slows CPUs down unless they are flushed (chainrule's
optimizers flush them). A second configuration, hidden 64-64 at batch 32, measures per-op
overhead. All frameworks use the same number of threads and see the same batches.

How it is timed: the frameworks train side by side, in turn, a chunk of steps each (about
0.1 s), each continuing its own run. A shared machine changes speed from second to second
(here, whole epochs ran 1.7× slower at times), so timing whole epochs one after the other
lets that noise decide the ratio; chunks in turn see the same machine. Before each
chunk the script pauses, untimed, for longer than OpenBLAS's and OpenMP's idle worker threads
keep spinning (about 0.1 s here), so that they do not take the cores from the next framework.
The ratio reported is the median, over the chunks of epochs 3 and later, of PyTorch's time for
a chunk divided by chainrule's time for the same batches, with a bootstrap 95% interval for that
median; the quartiles show the spread of the chunks themselves.

Run: python benchmarks/mlp.py [--epochs 5] [--threads 2] [--config big|small|both] [--chunk N]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Callable

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import chainrule as cr  # noqa: E402

# name: (hidden sizes, batch size, steps per timed chunk: about 0.1 s of training)
CONFIGS = {"big": ((512, 256), 128, 40), "small": ((64, 64), 32, 250)}
PAUSE_S = 0.2

Step = Callable[[np.ndarray], None]  # one training step on the samples of these indices


def load_data() -> tuple[np.ndarray, np.ndarray, str]:
    try:
        from chainrule.data.datasets import load_fashion_mnist

        (x, y), _ = load_fashion_mnist(flatten=True)
        return x, y, "Fashion-MNIST"
    except FileNotFoundError:
        rng = np.random.default_rng(0)
        return rng.random((60000, 784), dtype=np.float32), rng.integers(0, 10, 60000), "random"


def epoch_batches(n: int, batch_size: int, epoch: int) -> list[np.ndarray]:
    """The batches of one epoch (drop_last), in a seeded shuffled order."""
    order = np.random.default_rng(epoch).permutation(n)
    return [order[start:start + batch_size] for start in range(0, n - batch_size + 1, batch_size)]


def chainrule_model(hidden, lr=0.05):
    """The seeded 784-…-10 ReLU MLP and its momentum SGD, as (model, optimizer)."""
    cr.manual_seed(0)
    sizes = (784, *hidden, 10)
    layers = []
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        layers += [cr.nn.Linear(fan_in, fan_out), cr.nn.ReLU()]
    model = cr.nn.Sequential(*layers[:-1])
    return model, cr.optim.SGD(model.parameters(), lr=lr, momentum=0.9)


def chainrule_step(x, y, hidden, lr=0.05) -> Step:
    model, optimizer = chainrule_model(hidden, lr)
    loss_fn = cr.nn.CrossEntropyLoss()

    def step(idx):
        optimizer.zero_grad()
        loss_fn(model(cr.from_numpy(x[idx])), cr.from_numpy(y[idx])).backward()
        optimizer.step()

    return step


def torch_step(x, y, hidden, torch, lr=0.05) -> Step:
    torch.manual_seed(0)
    sizes = (784, *hidden, 10)
    layers = []
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def step(idx):
        index = torch.from_numpy(idx)
        optimizer.zero_grad()
        loss_fn(model(xt[index]), yt[index]).backward()
        optimizer.step()

    return step


def numpy_step(x, y, hidden, lr=0.05) -> Step:
    """Forward, hand-derived backward and momentum SGD written directly in NumPy."""
    rng = np.random.default_rng(0)
    sizes = (784, *hidden, 10)
    weights = [(rng.uniform(-1, 1, (o, i)) / np.sqrt(i)).astype(np.float32)
               for i, o in zip(sizes, sizes[1:])]
    biases = [np.zeros(o, np.float32) for o in sizes[1:]]
    params = weights + biases
    velocity = [np.zeros_like(p) for p in params]

    def step(idx):
        xb, yb = x[idx], y[idx]
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

    return step


def timed_chunk(step: Step, chunk: list[np.ndarray]) -> float:
    time.sleep(PAUSE_S)  # let the previous framework's worker threads go idle (untimed)
    start = time.perf_counter()
    for idx in chunk:
        step(idx)
    return time.perf_counter() - start


def run_in_turn(steps: dict[str, Step], n: int, batch_size: int, epochs: int,
                chunk_steps: int) -> dict[str, list[list[float]]]:
    """Seconds of every chunk, by framework and epoch: ``result[name][epoch][chunk]``."""
    seconds: dict[str, list[list[float]]] = {name: [] for name in steps}
    for epoch in range(epochs):
        batches = epoch_batches(n, batch_size, epoch)
        chunks = [batches[i:i + chunk_steps] for i in range(0, len(batches), chunk_steps)]
        for times in seconds.values():
            times.append([])
        for chunk in chunks:
            for name, step in steps.items():
                seconds[name][epoch].append(timed_chunk(step, chunk))
    return seconds


def rates(per_epoch: list[list[float]], samples: int) -> tuple[float, float]:
    """Samples/s over epochs 1-2 and over epochs 3 and later."""
    totals = [sum(chunks) for chunks in per_epoch]
    early = samples * len(totals[:2]) / sum(totals[:2])
    late = samples * len(totals[2:]) / sum(totals[2:]) if len(totals) > 2 else float("nan")
    return early, late


def chunk_ratios(reference: list[list[float]], measured: list[list[float]]) -> np.ndarray:
    """reference time / measured time for each chunk of epochs 3 and later (or of all epochs
    when there are fewer than 3): above 1, ``measured`` is faster."""
    first = 2 if len(reference) > 2 else 0
    ref = np.concatenate(reference[first:])
    return ref / np.concatenate(measured[first:])


def median_interval(ratios: np.ndarray, draws: int = 2000) -> tuple[float, float]:
    """A 95% bootstrap interval for the median of ``ratios`` (resampled with a fixed seed).

    Neighbouring chunks share the machine's state, so they are not independent and the
    interval is, if anything, too narrow: read it as the least uncertainty of the median.
    """
    rng = np.random.default_rng(0)
    medians = np.median(rng.choice(ratios, (draws, len(ratios))), axis=1)
    low, high = np.percentile(medians, [2.5, 97.5])
    return float(low), float(high)


def report(name: str, results: dict[str, list[list[float]]], samples: int) -> None:
    hidden, batch_size, _ = CONFIGS[name]
    print(f"\n784-{'-'.join(map(str, hidden))}-10, batch {batch_size}: samples/s")
    print(f"{'':10s} {'epochs 1-2':>11s} {'epochs 3+':>10s} {'vs PyTorch (3+)':>16s}")
    reference = rates(results["pytorch"], samples)[1] if "pytorch" in results else None
    for framework, per_epoch in results.items():
        early, late = rates(per_epoch, samples)
        ratio = f"{late / reference:16.2f}" if reference else ""
        print(f"{framework:10s} {early:11,.0f} {late:10,.0f} {ratio}")
    if "pytorch" in results:
        for framework in ("chainrule", "numpy"):
            r = chunk_ratios(results["pytorch"], results[framework])
            q1, median, q3 = np.percentile(r, [25, 50, 75])
            low, high = median_interval(r)
            print(f"{framework} speed / PyTorch's, chunk by chunk: median {median:.3f} "
                  f"(95% interval {low:.3f}-{high:.3f}; quartiles {q1:.3f}-{q3:.3f}, "
                  f"{len(r)} chunks)")


def limit_numpy_threads(threads: int) -> None:
    """Give NumPy's BLAS ``threads`` threads (through threadpoolctl, when it is installed)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        if threads != os.cpu_count():
            print("note: threadpoolctl is not installed, so NumPy's BLAS keeps its own thread "
                  "count; set OPENBLAS_NUM_THREADS to match --threads")
        return
    threadpool_limits(threads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--config", choices=["big", "small", "both"], default="both")
    parser.add_argument("--chunk", type=int, default=None,
                        help="steps per timed chunk (default: 40 for big, 250 for small)")
    args = parser.parse_args()
    x, y, source = load_data()
    try:
        import torch

        torch.set_num_threads(args.threads)
    except ImportError:
        torch = None
    limit_numpy_threads(args.threads)
    configs = ["big", "small"] if args.config == "both" else [args.config]
    print(f"data: {source}; threads: {args.threads}; epochs: {args.epochs}")
    for name in configs:
        hidden, batch_size, chunk_steps = CONFIGS[name]
        steps = {"chainrule": chainrule_step(x, y, hidden), "numpy": numpy_step(x, y, hidden)}
        if torch is not None:
            steps["pytorch"] = torch_step(x, y, hidden, torch)
        results = run_in_turn(steps, len(x), batch_size, args.epochs, args.chunk or chunk_steps)
        report(name, results, (len(x) // batch_size) * batch_size)


if __name__ == "__main__":
    main()
