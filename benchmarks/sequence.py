"""Sequence layers, forward + backward, float32: chainrule against PyTorch (CPU) in one run.

Configurations (the issue's): LSTM and GRU at batch 32, 50 steps, hidden 64 (overhead-bound)
and at batch 100, 40 steps, hidden 256; a Transformer encoder layer (d_model 128, 4 heads,
sequence 64, batch 32). Each step is: output = layer(x); output.sum().backward().

How it is timed: the two frameworks run in turn, a chunk of steps each, in interleaved rounds
(who goes first alternates), with an untimed pause before each chunk (longer than BLAS worker
threads keep spinning), so that both see the same machine. For each chunk both the wall time
and the CPU time of the process are taken: on a shared, loaded machine the wall time also
counts the time the process waited for a core, and the CPU time does not, so the CPU figures
are the steadier ones there (with one thread they measure the same work; with more threads
the wall time is the one that shows the parallel speed-up). Reported per configuration: the
median time per step of each framework and the ratio PyTorch / chainrule (above 1: chainrule
is faster) as the median over rounds with its quartiles, for CPU and wall time; and the load
average of the machine before and after.

Memory: the peak of NumPy's allocations during one chainrule step (tracemalloc sees them; it
does not see PyTorch's, so only chainrule's figure is given), and what chainrule's work arrays
(``ops.workspace``) hold between steps.

Run: python benchmarks/sequence.py [--threads 1] [--rounds 21] [--only LSTM]
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

PAUSE_S = 0.05


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


def timed(step, repeats: int) -> tuple[float, float]:
    """(wall, CPU) seconds per step over a chunk of ``repeats`` steps."""
    time.sleep(PAUSE_S)
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(repeats):
        step()
    return (time.perf_counter() - wall) / repeats, (time.process_time() - cpu) / repeats


def compare(ours, theirs, rounds: int) -> dict:
    """Interleaved rounds; per round the (wall, CPU) time per step of each."""
    ours(), theirs()  # warm up
    start = time.process_time()
    theirs()
    repeats = max(1, int(0.1 / max(time.process_time() - start, 1e-4)))
    t_ours, t_theirs = [], []
    for r in range(rounds):
        if r % 2:
            t_theirs.append(timed(theirs, repeats))
            t_ours.append(timed(ours, repeats))
        else:
            t_ours.append(timed(ours, repeats))
            t_theirs.append(timed(theirs, repeats))
    return {"ours": np.array(t_ours), "theirs": np.array(t_theirs)}


def step_memory(step) -> float:
    """Peak MiB of NumPy's allocations during one step."""
    tracemalloc.start()
    step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def _workspace():
    try:
        from chainrule.ops.workspace import WORKSPACE
    except ImportError:  # a chainrule from before the work arrays
        return None
    return WORKSPACE


def clear_workspace() -> None:
    """Forget the work arrays of the configuration before, so that each one's are counted."""
    WORKSPACE = _workspace()
    if WORKSPACE is not None:
        WORKSPACE.arrays.clear()  # not WORKSPACE.clear(): this also runs on older chainrules
        WORKSPACE.saved.clear()


def workspace_mib() -> float:
    WORKSPACE = _workspace()
    if WORKSPACE is None:
        return 0.0
    held = sum(a.nbytes for a in WORKSPACE.arrays.values())
    held += sum(a.nbytes for kept in WORKSPACE.saved.values() for a in kept)
    return held / 2**20


def report(name: str, times: dict, peak: float, held: float) -> None:
    ours, theirs = times["ours"], times["theirs"]
    parts = []
    for k, kind in ((1, "cpu"), (0, "wall")):
        q1, med, q3 = np.percentile(theirs[:, k] / ours[:, k], [25, 50, 75])
        parts.append(f"{kind}: chainrule {1e3 * np.median(ours[:, k]):7.2f} ms  torch "
                     f"{1e3 * np.median(theirs[:, k]):7.2f} ms  ratio {med:.2f} "
                     f"[{q1:.2f}, {q3:.2f}]")
    print(f"{name}\n    " + "\n    ".join(parts) +
          f"\n    chainrule step peak {peak:.1f} MiB, work arrays held {held:.1f} MiB",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--only", default="", help="run the configurations whose name "
                        "contains this text")
    args = parser.parse_args()
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    import torch

    import chainrule as cr

    torch.set_num_threads(args.threads)
    print(f"threads {args.threads} (BLAS and torch); {args.rounds} interleaved rounds; "
          f"ratio = PyTorch time / chainrule time (above 1: chainrule faster), median "
          f"[quartiles] over rounds; load average {os.getloadavg()[0]:.1f}", flush=True)
    for name, make in configs(cr, torch).items():
        if args.only not in name:
            continue
        clear_workspace()
        ours, theirs = make()
        times = compare(ours, theirs, args.rounds)
        report(name, times, step_memory(ours), workspace_mib())
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
