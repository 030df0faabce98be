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
  bucket of everything started after backward ends: the overlap bucketing gains;
* in the 2-process jobs, also the bare model trained by both processes at once without any
  communication: what the two processes cost each other on a shared machine (cores, memory
  bandwidth), so that the communication's own cost can be told apart from it.

The timings of a job are taken in alternating chunks of steps (DDP and bare in turn).

Torch's processes find each other through gloo on 127.0.0.1 (rank and size from mpiexec's
environment); chainrule's through MPI. Medians over the timed steps; the machine is shared, so
expect a few percent of noise. Random data (the speed does not depend on the values).

Every job is repeated (``--repeats``, alternating) and each figure is the median over them.

Run: python benchmarks/distributed.py [--steps 20] [--repeats 3] [--models mlp,cnn] [--no-torch]
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


def in_turn(trainers, steps, chunk=5):
    """Median seconds per step of each trainer, timed in alternating chunks of steps so that
    the machine's load changes hit them alike."""
    import numpy as np

    times = {name: [] for name in trainers}
    for step in trainers.values():
        for _ in range(3):
            step()
    for _ in range(max(1, steps // chunk)):
        for name, step in trainers.items():
            for _ in range(chunk):
                start = time.perf_counter()
                step()
                times[name].append(time.perf_counter() - start)
    return {name: float(np.median(t)) for name, t in times.items()}


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
    trainers = {name: chainrule_trainer(cr.nn.parallel.DistributedDataParallel(
        chainrule_model(kind), bucket_cap_mb=cap), x, y)
        for name, cap in (("step_s", 1.0), ("one_bucket_step_s", 1e6))}
    trainers["bare_step_s"] = chainrule_trainer(chainrule_model(kind), x, y)
    row = in_turn(trainers, steps)
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
    row = in_turn({"step_s": torch_trainer(model, x, y),
                   "bare_step_s": torch_trainer(torch_model(kind), x, y)}, steps)
    size = sum(p.numel() for p in torch_model(kind).parameters())
    flat, small = torch.zeros(size), torch.zeros(1)
    return {**row, "allreduce_s": median_step(lambda: tdist.all_reduce(flat), steps),
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
    for _ in range(3):  # gloo's rendezvous fails now and then on a busy machine: retry
        out = subprocess.run(command, env=env, capture_output=True, text=True)
        if out.returncode == 0:
            break
    if out.returncode:
        raise SystemExit(f"{framework} on {processes} processes failed:\n{out.stderr[-3000:]}")
    return json.loads([line for line in out.stdout.splitlines() if line.startswith("{")][0])


def median_runs(runs):
    """The median over repeated jobs of every number they measured."""
    import numpy as np

    return {kind: {key: float(np.median([run[kind][key] for run in runs]))
                   for key in runs[0][kind]} for kind in runs[0]}


def report(results, kinds):
    print("| model | framework | 1 process | 2 processes, no communication | 2 processes, DDP "
          "| efficiency | communication cost | allreduce of all gradients | 4-byte allreduce |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kind in kinds:
        for framework, runs in results.items():
            one, two = runs[1][kind], runs[2][kind]
            rate1 = BATCH[kind] / one["step_s"]
            bare, ddp = 2 * BATCH[kind] / two["bare_step_s"], 2 * BATCH[kind] / two["step_s"]
            bandwidth = two["gradient_bytes"] / two["allreduce_s"] / 1e9
            print(f"| {kind} ({two['gradient_bytes'] / 1e6:.2f} MB of gradients) | {framework} "
                  f"| {rate1:,.0f} | {bare:,.0f} | {ddp:,.0f} | {ddp / (2 * rate1):.0%} "
                  f"| {1 - ddp / bare:.0%} | {two['allreduce_s'] * 1e3:.2f} ms "
                  f"({bandwidth:.2f} GB/s) | {two['latency_s'] * 1e6:.0f} µs |")
    print("\n(samples/s; efficiency: DDP rate / (2 × 1-process rate); communication cost: "
          "1 - DDP rate / no-communication rate, both with 2 processes)\n")
    for kind in kinds:
        if "chainrule" not in results:
            break
        two = results["chainrule"][2][kind]
        gained = two["one_bucket_step_s"] - two["step_s"]
        print(f"chainrule {kind}, 2 processes: {two['bare_step_s'] * 1e3:.1f} ms per step "
              f"without communication, {two['one_bucket_step_s'] * 1e3:.1f} ms with one bucket "
              f"reduced after backward, {two['step_s'] * 1e3:.1f} ms with 1 MB buckets reduced "
              f"during backward: bucketing saves {gained * 1e3:.1f} ms per step")


def scaling_model(results, kinds, hosts=(2, 4, 8, 16, 64)):
    """Predicted efficiency on N hosts, one process each, from the measured allreduce.

    A ring allreduce of M bytes over N hosts takes 2(N-1) steps, each sending M/N bytes:
    T(N) = 2(N-1)·(α + M/(N·B)), α the per-message latency, B the link bandwidth. With 2
    processes T(2) = 2α + M/B, so the measured 4-byte allreduce gives 2α and the measured
    gradient allreduce gives B = M / (T(2) - 2α). With no overlap (it saved little here), a
    step takes t + T(N), t the 1-process step; the efficiency is t / (t + T(N)).
    """
    rows = []
    for kind in kinds:
        one, two = results["chainrule"][1][kind], results["chainrule"][2][kind]
        size, alpha = two["gradient_bytes"], two["latency_s"] / 2
        bandwidth = size / max(two["allreduce_s"] - 2 * alpha, 0.5 * two["allreduce_s"])
        t = one["step_s"]
        times = [2 * (n - 1) * (alpha + size / (n * bandwidth)) for n in hosts]
        rows.append((kind, bandwidth, alpha, t, times))
        print(f"chainrule {kind}: B = {bandwidth / 1e9:.2f} GB/s, α = {alpha * 1e6:.0f} µs, "
              f"t = {t * 1e3:.1f} ms; N hosts: " + ", ".join(
                  f"{n}: T {T * 1e3:.1f} ms, efficiency {t / (t + T):.0%}"
                  for n, T in zip(hosts, times)))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--repeats", type=int, default=3, help="jobs of each kind, medians")
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
    runs = {f: {1: [], 2: []} for f in frameworks}
    for _ in range(args.repeats):  # alternate the jobs, so that load changes hit all alike
        for framework in frameworks:
            for processes in (1, 2):
                runs[framework][processes].append(launch(framework, processes, args))
    results = {f: {n: median_runs(r) for n, r in by_n.items()} for f, by_n in runs.items()}
    print(json.dumps(results))
    report(results, kinds)
    scaling_model(results, kinds)
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
