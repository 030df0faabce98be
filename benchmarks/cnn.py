"""Training throughput and memory of a small CNN: chainrule against PyTorch (CPU), same run.

The model (the issue's): conv(1→32, 3×3, pad 1) → ReLU → maxpool 2 → conv(32→64, 3×3, pad 1)
→ ReLU → maxpool 2 → Linear(3136, 128) → ReLU → Linear(128, 10), batch 128, float32,
cross-entropy, Adam (lr 1e-3); ``--batchnorm`` adds BatchNorm2d after each convolution.
Both frameworks start from the same weights (chainrule's init copied into torch) and see the
same batches: Fashion-MNIST's training images when ``chainrule.data.datasets`` finds them
locally, else random images of that shape. Batches reach both without a copy
(``from_numpy``).

Speed: samples/s of whole training steps (forward, backward, optimizer step). The two
frameworks are timed in alternating rounds, so load from other processes hits both alike;
each reports its best round, by wall clock and by the process's CPU time (the steadier
figure on a loaded machine; with one thread, both frameworks use one core). torch and
chainrule (``chainrule.set_num_threads``) get ``--threads`` threads; NumPy's BLAS gets
``--blas-threads`` (default: the same). chainrule splits its batches over its own threads
only when NumPy's BLAS runs one thread, so ``--threads 2 --blas-threads 1`` is the run in
which chainrule's threads do the parallel work (benchmarks/README.md).

Memory, two measures:
* chainrule, ``tracemalloc`` peak during one training step above what was allocated before
  it (NumPy reports its array allocations to tracemalloc). This misses nothing of NumPy's.
* both, the growth of the peak resident set size (VmHWM) over three training steps,
  each framework in a fresh subprocess after building its model and data. PyTorch's CPU
  allocations are invisible to tracemalloc, so this is the like-for-like figure. It counts
  pages actually touched, including allocator caching, so it is coarse (±a few MB).

Run: python benchmarks/cnn.py [--threads N] [--blas-threads B] [--rounds R] [--steps S]
                              [--random-data] [--batchnorm]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

BATCH = 128


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="NumPy's BLAS threads (default: --threads)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating timing rounds")
    parser.add_argument("--steps", type=int, default=8, help="training steps per round")
    parser.add_argument("--random-data", action="store_true", help="skip Fashion-MNIST")
    parser.add_argument("--batchnorm", action="store_true",
                        help="BatchNorm2d after each convolution")
    parser.add_argument("--memory-child", choices=["chainrule", "torch"], help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def set_threads(threads: int, blas_threads: int | None = None) -> None:
    """Must run before NumPy is imported: BLAS reads these when it starts (OMP_NUM_THREADS
    also sets torch's and chainrule's default)."""
    os.environ["OMP_NUM_THREADS"] = str(threads)
    for name in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(threads if blas_threads is None else blas_threads)


def load_batches(count: int, random_data: bool):
    """``count`` batches (x: (128, 1, 28, 28) float32, y: (128,) int64) and their source."""
    import numpy as np

    if not random_data:
        try:
            from chainrule.data.datasets import load_fashion_mnist

            (x, y), _ = load_fashion_mnist()
            x, y = x[: count * BATCH].reshape(-1, 1, 28, 28), y[: count * BATCH]
            return [(x[i:i + BATCH], y[i:i + BATCH]) for i in range(0, len(x), BATCH)], \
                "Fashion-MNIST"
        except (ImportError, OSError, FileNotFoundError):
            pass
    rng = np.random.default_rng(0)
    return [(rng.random((BATCH, 1, 28, 28), dtype=np.float32),
             rng.integers(0, 10, BATCH)) for _ in range(count)], "random data"


def layers(nn, batchnorm: bool) -> list:
    """The model's layers from ``nn`` (chainrule.nn or torch.nn)."""
    def norm(channels):
        return [nn.BatchNorm2d(channels)] if batchnorm else []
    return [nn.Conv2d(1, 32, 3, padding=1), *norm(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), *norm(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10)]


def chainrule_model(batchnorm: bool = False):
    import chainrule as cr
    from chainrule import nn

    cr.manual_seed(0)
    return nn.Sequential(*layers(nn, batchnorm))


def chainrule_trainer(model):
    import chainrule.nn.functional as F

    import chainrule as cr

    optimizer = cr.optim.Adam(model.parameters(), lr=1e-3)

    def step(x, y):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(cr.from_numpy(x)), cr.from_numpy(y))
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def torch_model(source=None, batchnorm: bool = False):
    import torch

    model = torch.nn.Sequential(*layers(torch.nn, batchnorm))
    if source is not None:  # same initial weights as chainrule's model
        state = {k: torch.from_numpy(v.data.copy()) for k, v in source.state_dict().items()}
        model.load_state_dict(state)
    return model


def torch_trainer(model):
    import torch

    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step(x, y):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(x)),
                                                 torch.from_numpy(y))
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def time_round(step, batches) -> tuple[float, float]:
    """(wall seconds, CPU seconds) per training step over one pass through ``batches``."""
    start, cpu = time.perf_counter(), time.process_time()
    for x, y in batches:
        step(x, y)
    return ((time.perf_counter() - start) / len(batches),
            (time.process_time() - cpu) / len(batches))


def tracemalloc_peak(step, batch) -> float:
    """MB allocated at the peak of one training step, above what was allocated before it."""
    import tracemalloc

    tracemalloc.start()
    before, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    step(*batch)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return (peak - before) / 2**20


def peak_rss_mb() -> float:
    """The process's peak resident set size in MB: VmHWM from /proc (Linux), else ru_maxrss.

    VmHWM starts afresh at exec; ru_maxrss would include the parent's peak after a fork."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def memory_child(framework: str, batchnorm: bool) -> None:
    """Print the peak-RSS growth (MB) over three training steps of a fresh process. The
    batches are random: loading the whole data set first would raise the high-water mark
    above anything a step adds."""
    batches, _ = load_batches(3, random_data=True)
    if framework == "torch":
        import torch

        torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
        step = torch_trainer(torch_model(batchnorm=batchnorm))
    else:
        step = chainrule_trainer(chainrule_model(batchnorm))
    before = peak_rss_mb()
    for x, y in batches:
        step(x, y)
    print(peak_rss_mb() - before)


def rss_growth(framework: str, args: argparse.Namespace) -> float | None:
    command = [sys.executable, __file__, "--memory-child", framework, "--threads",
               str(args.threads)] + (["--batchnorm"] if args.batchnorm else []) + \
        ([] if args.blas_threads is None else ["--blas-threads", str(args.blas_threads)])
    result = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
    try:
        return float(result.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        print(f"(memory measurement for {framework} failed: {result.stderr.strip()[-300:]})")
        return None


def main(argv=None) -> None:
    args = parse_args(argv)
    set_threads(args.threads, args.blas_threads)
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    import chainrule

    chainrule.set_num_threads(args.threads)
    if args.memory_child:
        memory_child(args.memory_child, args.batchnorm)
        return
    import torch

    torch.set_num_threads(args.threads)
    batches, source = load_batches(args.steps, args.random_data)
    model = chainrule_model(args.batchnorm)
    reference = torch_model(model, args.batchnorm)
    steps = {"chainrule": chainrule_trainer(model), "pytorch": torch_trainer(reference)}
    first = {name: step(*batches[0]) for name, step in steps.items()}  # also warms up
    best = {name: float("inf") for name in steps}
    best_cpu = dict(best)
    for _ in range(args.rounds):
        for name, step in steps.items():
            wall, cpu = time_round(step, batches)
            best[name], best_cpu[name] = min(best[name], wall), min(best_cpu[name], cpu)
    rate = {name: BATCH / seconds for name, seconds in best.items()}
    peak = tracemalloc_peak(steps["chainrule"], batches[0])
    rss = {name: rss_growth(child, args) for name, child in
           (("chainrule", "chainrule"), ("pytorch", "torch"))}
    model_name = "CNN with BatchNorm2d" if args.batchnorm else "CNN"
    blas = args.threads if args.blas_threads is None else args.blas_threads
    print(f"{model_name} training, batch {BATCH}, float32, Adam, {source}, "
          f"{args.threads} threads ({blas} for NumPy's BLAS), "
          f"best of {args.rounds} rounds × {args.steps} steps")
    print(f"first-step loss: chainrule {first['chainrule']:.6f}, pytorch {first['pytorch']:.6f}")
    for name in steps:
        print(f"{name:>9}: {rate[name]:8.0f} samples/s  ({best[name] * 1e3:6.1f} ms/step, "
              f"CPU {best_cpu[name] * 1e3:6.1f} ms/step)")
    print(f"ratio chainrule/pytorch: {rate['chainrule'] / rate['pytorch']:.2f} by wall clock, "
          f"{best_cpu['pytorch'] / best_cpu['chainrule']:.2f} by CPU time (target ≥ 1.0)")
    print(f"peak memory of a training step: chainrule {peak:.1f} MB (tracemalloc)")
    print("peak RSS growth over 3 steps, fresh process: " + ", ".join(
        f"{name} {'n/a' if mb is None else f'{mb:.1f} MB'}" for name, mb in rss.items()))


if __name__ == "__main__":
    main()
