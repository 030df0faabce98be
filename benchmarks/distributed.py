"""Data-parallel scaling on MPI: chainrule's DistributedDataParallel against torch.distributed
(gloo) in the same run, 1 and 2 processes on this machine.

For each model (the MLP 784-512-256-10 of benchmarks/mlp.py, and the CNN of benchmarks/cnn.py)
and framework, the script starts ``mpiexec -n 1`` and ``mpiexec -n 2`` jobs of itself; every
process uses one BLAS/OpenMP thread, so two processes use two cores. It reports:

* samples/s of whole training steps (forward, backward with the gradient averaging, SGD step)
  at a fixed batch per process (weak scaling: 2 processes train a twice larger global batch),
  and the efficiency rate(2) / (2 · rate(1)); 1 process trains the bare model (no wrapper);
* the time of one allreduce of all the gradients (one flat float32 buffer, alone, median of
  repeats), and the bandwidth it implies;
* for chainrule, the step time with buckets of 1 MB started during backward against one
  bucket of everything started after backward ends: the overlap bucketing gains.

Torch's processes find each other through gloo on 127.0.0.1 (rank and size from mpiexec's
environment); chainrule's through MPI. Medians over the timed steps; the machine is shared, so
expect a few percent of noise. Random data (the speed does not depend on the values).

Run: python benchmarks/distributed.py [--steps 20] [--models mlp,cnn] [--no-torch]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
BATCH = {"mlp": 128, "cnn": 32}  # per process
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


# ------------------------------------------------------------------ models


def chainrule_model(kind):
    import chainrule as cr
    from chainrule import nn

    cr.manual_seed(0)
    if kind == "mlp":
        return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                             nn.Linear(256, 10))
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))


def torch_model(kind):
    import torch
    from torch import nn

    torch.manual_seed(0)
    if kind == "mlp":
        return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                             nn.Linear(256, 10))
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))


def batch(kind, rank):
    import numpy as np

    rng = np.random.default_rng(rank)
    shape = (BATCH[kind], 784) if kind == "mlp" else (BATCH[kind], 1, 28, 28)
    return rng.random(shape, dtype=np.float32), rng.integers(0, 10, BATCH[kind])


def median_step(step, steps):
    import numpy as np

    for _ in range(3):  # warm up: first allocations, BLAS start-up
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


# ------------------------------------------------------------------ workers (one per process)


def chainrule_worker(kinds, steps):
    import chainrule.distributed as dist

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    results = {kind: chainrule_measure(kind, rank, world, steps) for kind in kinds}
    dist.destroy_process_group()
    return rank, results


def chainrule_trainer(model, x, y):
    import chainrule as cr

    optimizer = cr.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = cr.nn.CrossEntropyLoss()
    x, y = cr.tensor(x), cr.tensor(y)

    def step():
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
    return step


def chainrule_measure(kind, rank, world, steps):
    import chainrule as cr
    import chainrule.distributed as dist

    x, y = batch(kind, rank)
    if world == 1:
        return {"step_s": median_step(chainrule_trainer(chainrule_model(kind), x, y), steps)}
    row = {}
    for name, cap in (("step_s", 1.0), ("one_bucket_step_s", 1e6)):
        model = cr.nn.parallel.DistributedDataParallel(chainrule_model(kind), bucket_cap_mb=cap)
        row[name] = median_step(chainrule_trainer(model, x, y), steps)
        model.remove_hooks()
    size = sum(p.numel() for p in chainrule_model(kind).parameters())
    flat, small = cr.zeros(size), cr.zeros(1)
    row["allreduce_s"] = median_step(lambda: dist.all_reduce(flat), steps)
    row["latency_s"] = median_step(lambda: dist.all_reduce(small), 50)
    row["gradient_bytes"] = 4 * size
    return row


def torch_worker(kinds, steps):
    import torch
    import torch.distributed as tdist

    rank = int(os.environ["OMPI_COMM_WORLD_RANK"])
    world = int(os.environ["OMPI_COMM_WORLD_SIZE"])
    torch.set_num_threads(1)
    if world > 1:
        tdist.init_process_group("gloo", rank=rank, world_size=world)
    results = {kind: torch_measure(kind, rank, world, steps) for kind in kinds}
    if world > 1:
        tdist.destroy_process_group()
    return rank, results


def torch_trainer(model, x, y):
    import torch

    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = torch.nn.CrossEntropyLoss()
    x, y = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
    return step


def torch_measure(kind, rank, world, steps):
    import torch
    import torch.distributed as tdist

    x, y = batch(kind, rank)
    if world == 1:
        return {"step_s": median_step(torch_trainer(torch_model(kind), x, y), steps)}
    model = torch.nn.parallel.DistributedDataParallel(torch_model(kind))
    size = sum(p.numel() for p in torch_model(kind).parameters())
    flat, small = torch.zeros(size), torch.zeros(1)
    return {"step_s": median_step(torch_trainer(model, x, y), steps),
            "allreduce_s": median_step(lambda: tdist.all_reduce(flat), steps),
            "latency_s": median_step(lambda: tdist.all_reduce(small), 50),
            "gradient_bytes": 4 * size}


# ------------------------------------------------------------------ driver


def launch(framework, processes, args):
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    mpiexec = mpiexec if os.path.exists(mpiexec) else shutil.which("mpiexec")
    env = dict(os.environ, PYTHONPATH=ROOT, **{v: "1" for v in THREAD_VARS})
    if os.geteuid() == 0:
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    with socket.socket() as s:  # a free port for gloo's rendezvous
        s.bind(("127.0.0.1", 0))
        env.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(s.getsockname()[1]))
    command = [mpiexec, "--oversubscribe", "-n", str(processes), sys.executable,
               os.path.abspath(__file__), "--worker", framework, "--steps", str(args.steps),
               "--models", args.models]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads([line for line in out.stdout.splitlines() if line.startswith("{")][0])


def report(results, kinds):
    print("| model | framework | samples/s, 1 process | samples/s, 2 processes | efficiency "
          "| allreduce per step | bandwidth |")
    print("|---|---|---|---|---|---|---|")
    for kind in kinds:
        for framework, runs in results.items():
            one, two = runs[1][kind], runs[2][kind]
            rate1, rate2 = BATCH[kind] / one["step_s"], 2 * BATCH[kind] / two["step_s"]
            bandwidth = two["gradient_bytes"] / two["allreduce_s"] / 1e9
            print(f"| {kind} ({two['gradient_bytes'] / 1e6:.2f} MB of gradients) | {framework} "
                  f"| {rate1:,.0f} | {rate2:,.0f} | {rate2 / (2 * rate1):.0%} "
                  f"| {two['allreduce_s'] * 1e3:.2f} ms | {bandwidth:.2f} GB/s |")
    print()
    for kind in kinds:
        if "chainrule" not in results:
            break
        one, two = results["chainrule"][1][kind], results["chainrule"][2][kind]
        gained = two["one_bucket_step_s"] - two["step_s"]
        print(f"chainrule {kind}: step {one['step_s'] * 1e3:.1f} ms alone; with 2 processes "
              f"{two['one_bucket_step_s'] * 1e3:.1f} ms with one bucket after backward, "
              f"{two['step_s'] * 1e3:.1f} ms with 1 MB buckets during backward: overlap saves "
              f"{gained * 1e3:.1f} ms of the {two['allreduce_s'] * 1e3:.1f} ms allreduce; "
              f"small-message latency {two['latency_s'] * 1e6:.0f} µs")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--worker", choices=["chainrule", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    kinds = args.models.split(",")
    if args.worker:
        worker = chainrule_worker if args.worker == "chainrule" else torch_worker
        rank, results = worker(kinds, args.steps)
        if rank == 0:
            print(json.dumps(results), flush=True)
        return
    frameworks = ["chainrule"]
    if not args.no_torch:
        try:
            import torch  # noqa: F401

            frameworks.append("torch")
        except ImportError:
            print("torch is not installed: chainrule only")
    results = {f: {n: launch(f, n, args) for n in (1, 2)} for f in frameworks}
    print(json.dumps(results))
    report(results, kinds)


if __name__ == "__main__":
    main()
