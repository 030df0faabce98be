"""Measurements that need a fresh Python process: import time and memory, the peak
resident memory of a training step, and the CNN step in the configuration that uses
chainrule's own threads.

Import: a child process imports numpy, then the package under test, and reports the seconds
of each import and its resident set size (VmRSS) after them. Training memory: a child builds
the model and three random batches, then reports the growth of its peak resident set size
(VmHWM) over three training steps: torch's CPU allocations are invisible to tracemalloc, so
this is the like-for-like figure (coarse: it counts pages touched, allocator caches included).
chainrule's NumPy allocations are also measured exactly, in this process, with tracemalloc.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_IMPORT_CHILD = """
import json, sys, time
def rss():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")
start = time.perf_counter()
import numpy
numpy_s = time.perf_counter() - start
numpy_mb = rss()
start = time.perf_counter()
if "{name}" != "numpy":
    import {name}
print(json.dumps({{"numpy_s": numpy_s, "package_s": time.perf_counter() - start,
                  "numpy_mb": numpy_mb, "rss_mb": rss()}}))
"""


def import_costs(name: str) -> dict[str, float] | None:
    """Seconds and MB of ``import name`` in a fresh interpreter, after numpy's own, with the
    bytecode cache an installed package has (pip compiles an installed package's modules;
    ``PYTHONDONTWRITEBYTECODE`` is dropped so that a checkout gets its cache on the first,
    untimed import of ``warm_bytecode``)."""
    result = subprocess.run([sys.executable, "-c", _IMPORT_CHILD.format(name=name)],
                            capture_output=True, text=True, cwd=ROOT, env=_bytecode_env())
    try:
        return json.loads(result.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return None


def training_rss_growth(framework: str, workload: str, threads: int) -> float | None:
    """MB the peak RSS of a fresh process grows over three training steps."""
    command = [sys.executable, "-m", "benchmarks.processes", framework, workload, str(threads)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=_env())
    try:
        return float(result.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return None


def own_threads_rounds(threads: int, per_round: int, rounds: int,
                       random_data: bool) -> dict[str, list[float]] | None:
    """Seconds per CNN step, round by round in turn (``harness.in_turn``), of chainrule and
    torch in a fresh process started as a user starts one to have chainrule's threads do the
    parallel work: ``OPENBLAS_NUM_THREADS=1`` (NumPy's BLAS loads with one thread and starts
    no worker threads) and ``chainrule.set_num_threads(threads)``; torch keeps ``threads``
    threads. (A limit set later with threadpoolctl leaves OpenBLAS's workers alive, spinning
    after each product on the core that chainrule's second thread needs.)"""
    env = {**_env(), "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "benchmarks.processes", "own-threads", str(threads),
               str(per_round), str(rounds), str(int(random_data))]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env)
    try:
        return json.loads(result.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return None


def _own_threads_child(threads: int, per_round: int, rounds: int, random_data: bool) -> None:
    import chainrule as cr

    from . import harness, workloads

    cr.set_num_threads(threads)
    try:
        import torch

        torch.set_num_threads(threads)
    except ImportError:
        torch = None
    print(json.dumps(harness.in_turn(workloads.cnn_training(torch, per_round, random_data),
                                     rounds)))


def tracemalloc_peak_mb(step, batch) -> float:
    """MB NumPy allocates at the peak of one call of ``step(batch)``, above what was allocated
    before it (NumPy reports its array memory to tracemalloc)."""
    import tracemalloc

    tracemalloc.start()
    before, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    step(batch)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return (peak - before) / 2**20


def warm_bytecode(name: str) -> None:
    """Import ``name`` once, untimed, so that its bytecode cache exists before the timed
    imports (a checkout run under ``PYTHONDONTWRITEBYTECODE`` would otherwise compile every
    module on every import, which no installed package does)."""
    subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True, cwd=ROOT,
                   env=_bytecode_env())


def _bytecode_env() -> dict[str, str]:
    env = _env()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _child(framework: str, workload: str, threads: int) -> None:
    import numpy as np

    from . import cnn, mlp
    from .cnn import peak_rss_mb
    from .harness import set_threads

    set_threads(threads)
    rng = np.random.default_rng(0)
    if workload == "cnn":
        batches, _ = cnn.load_batches(3, random_data=True)
        if framework == "pytorch":
            step = cnn.torch_trainer(cnn.torch_model())
        else:
            step = cnn.chainrule_trainer(cnn.chainrule_model())
        run = [lambda b=b: step(*b) for b in batches]
    else:
        x = rng.random((3 * 128, 784), dtype=np.float32)
        y = rng.integers(0, 10, 3 * 128)
        if framework == "pytorch":
            import torch

            step = mlp.torch_step(x, y, (512, 256), torch)
        else:
            step = mlp.chainrule_step(x, y, (512, 256))
        run = [lambda i=i: step(np.arange(i * 128, (i + 1) * 128)) for i in range(3)]
    before = peak_rss_mb()
    for one in run:
        one()
    print(peak_rss_mb() - before)


if __name__ == "__main__":
    if sys.argv[1] == "own-threads":
        _own_threads_child(*map(int, sys.argv[2:5]), bool(int(sys.argv[5])))
    else:
        _child(sys.argv[1], sys.argv[2], int(sys.argv[3]))
