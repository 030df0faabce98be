"""Sequence layers, forward + backward, float32: chainrule against PyTorch (CPU) in one run.

Configurations (the issue's): LSTM and GRU at batch 32, 50 steps, hidden 64 (overhead-bound)
and at batch 100, 40 steps, hidden 256; a Transformer encoder layer (d_model 128, 4 heads,
sequence 64, batch 32). Each step is: output = layer(x); output.sum().backward().

How it is timed: the two frameworks run in turn, a chunk of steps each, with an untimed pause
before each chunk (longer than BLAS worker threads keep spinning), so that both see the same
machine: on a shared machine, timing one framework's whole run after the other's lets the
noise decide the ratio. The ratio reported is the median over chunks of PyTorch's time
divided by chainrule's (above 1: chainrule is faster), with the quartiles of the chunks.
Memory: the peak of NumPy's allocations during one chainrule step (tracemalloc sees them; it
does not see PyTorch's, so only chainrule's figure is given).

Run: python benchmarks/sequence.py [--threads 1] [--chunks 15]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc

# BLAS reads its thread count when NumPy loads: set it from --threads before that
THREADS = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv else "1"
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = THREADS

import numpy as np  # noqa: E402

PAUSE_S = 0.2


def configs(cr, torch):
    """name -> (chainrule step, torch step)."""
    def recurrent(kind, batch, steps, hidden):
        ours = getattr(cr.nn, kind)(hidden, hidden)
        theirs = getattr(torch.nn, kind)(hidden, hidden)
        x = np.random.default_rng(0).standard_normal((steps, batch, hidden)).astype(np.float32)
        return _steps(cr, torch, ours, theirs, x, lambda m, t: m(t)[0])

    def encoder():
        ours = cr.nn.TransformerEncoderLayer(128, 4, 512, dropout=0.0, batch_first=True)
        theirs = torch.nn.TransformerEncoderLayer(128, 4, 512, dropout=0.0, batch_first=True)
        x = np.random.default_rng(0).standard_normal((32, 64, 128)).astype(np.float32)
        return _steps(cr, torch, ours, theirs, x, lambda m, t: m(t))

    return {
        "LSTM b32 T50 h64": lambda: recurrent("LSTM", 32, 50, 64),
        "GRU b32 T50 h64": lambda: recurrent("GRU", 32, 50, 64),
        "LSTM b100 T40 h256": lambda: recurrent("LSTM", 100, 40, 256),
        "GRU b100 T40 h256": lambda: recurrent("GRU", 100, 40, 256),
        "TransformerEncoderLayer d128 h4 L64 b32": encoder,
    }


def _steps(cr, torch, ours, theirs, x, call):
    xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)

    def ours_step():
        call(ours, xc).sum().backward()

    def theirs_step():
        call(theirs, xt).sum().backward()

    return ours_step, theirs_step


def timed(step, repeats: int) -> float:
    time.sleep(PAUSE_S)
    start = time.perf_counter()
    for _ in range(repeats):
        step()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--chunks", type=int, default=15)
    args = parser.parse_args()
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    import torch

    import chainrule as cr

    torch.set_num_threads(args.threads)
    print(f"threads {args.threads}; ratio = PyTorch time / chainrule time (above 1: faster)")
    for name, make in configs(cr, torch).items():
        ours, theirs = make()
        ours(), theirs()  # warm up
        t0 = time.perf_counter()
        theirs()
        repeats = max(1, int(0.1 / max(time.perf_counter() - t0, 1e-4)))
        ratios, t_ours, t_theirs = [], [], []
        for _ in range(args.chunks):
            a, b = timed(ours, repeats), timed(theirs, repeats)
            ratios.append(b / a)
            t_ours.append(a / repeats)
            t_theirs.append(b / repeats)
        q1, med, q3 = np.percentile(ratios, [25, 50, 75])
        tracemalloc.start()
        ours()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"{name:40s} chainrule {1e3 * np.median(t_ours):7.2f} ms  torch "
              f"{1e3 * np.median(t_theirs):7.2f} ms  ratio {med:.2f} [{q1:.2f}, {q3:.2f}]  "
              f"step peak {peak / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
