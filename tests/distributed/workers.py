"""What each rank runs in the tests of tests/distributed (``python -m tests.distributed.workers
NAME OUT_DIR``, under mpiexec), and the single-process references they are compared with."""

from __future__ import annotations

import datetime
import json
import os
import signal
import sys

import numpy as np

import chainrule
import chainrule.distributed as dist
from chainrule import nn, optim

STEPS, BATCH = 6, 16  # BATCH: the global batch, split evenly between the ranks


def make_model(seed: int) -> nn.Module:
    chainrule.manual_seed(seed)
    return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 16), nn.Tanh(),
                         nn.Linear(16, 3))


def make_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    return (rng.standard_normal((STEPS * BATCH, 8)).astype(np.float32),
            rng.integers(0, 3, STEPS * BATCH))


def train(model: nn.Module, batches) -> None:
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    for x, y in batches:
        optimizer.zero_grad()
        loss_fn(model(chainrule.tensor(x)), chainrule.tensor(y)).backward()
        optimizer.step()


def reference_parameters() -> dict[str, np.ndarray]:
    """One process, the whole batch of each step."""
    model = make_model(0)
    x, y = make_data()
    train(model, [(x[i:i + BATCH], y[i:i + BATCH]) for i in range(0, len(x), BATCH)])
    return {name: p.detach().numpy() for name, p in model.named_parameters()}


def parity(out: str, bucket_cap_mb: str) -> None:
    """Each rank starts from its own initialisation (DDP must replace it with rank 0's) and
    trains on its half of every global batch."""
    dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=30))
    rank, world = dist.get_rank(), dist.get_world_size()
    model = nn.parallel.DistributedDataParallel(make_model(rank),
                                                bucket_cap_mb=float(bucket_cap_mb))
    x, y = make_data()
    share = BATCH // world
    train(model, [(x[i + rank * share:i + (rank + 1) * share],
                   y[i + rank * share:i + (rank + 1) * share]) for i in range(0, len(x), BATCH)])
    np.savez(os.path.join(out, f"rank{rank}.npz"),
             buckets=len(model._buckets),
             **{name: p.detach().numpy() for name, p in model.module.named_parameters()})
    dist.destroy_process_group()


def collectives(out: str) -> None:
    dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=30))
    rank, world = dist.get_rank(), dist.get_world_size()
    results = {}
    for op in dist.ReduceOp:
        t = chainrule.tensor([rank + 1.0, -2.0 * rank, 3.0])
        array = t.data
        dist.all_reduce(t, op=op)
        results[op.name] = t.tolist()
        results[op.name + "_in_place"] = t.data is array
    t = chainrule.arange(6).reshape(2, 3).T  # not contiguous: goes through a copy
    dist.all_reduce(t)
    results["transposed"] = t.tolist()
    t = chainrule.full((3,), float(rank))
    dist.broadcast(t, src=world - 1)
    results["broadcast"] = t.tolist()
    parts = [chainrule.zeros(2) for _ in range(world)]
    dist.all_gather(parts, chainrule.tensor([rank, 10.0 * rank]))
    results["all_gather"] = [p.tolist() for p in parts]
    out_t = chainrule.zeros(2 * world)
    dist.all_gather_into_tensor(out_t, chainrule.tensor([rank, 10.0 * rank]))
    results["all_gather_into_tensor"] = out_t.tolist()
    piece = chainrule.zeros(2)
    dist.reduce_scatter(piece, [chainrule.tensor([r + rank, 1.0]) for r in range(world)])
    results["reduce_scatter"] = piece.tolist()
    work = dist.all_reduce(chainrule.tensor([1.0]), async_op=True)
    results["async"] = bool(work.wait())
    dist.barrier()
    with open(os.path.join(out, f"rank{rank}.json"), "w") as f:
        json.dump(results, f)
    dist.destroy_process_group()


def fault(out: str, how: str) -> None:
    """Rank 1 dies (SIGKILL) or hangs (SIGSTOP) in its 4th step; rank 0 must report it."""
    dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=3))
    rank = dist.get_rank()
    model = nn.parallel.DistributedDataParallel(make_model(0))
    x, y = make_data()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    try:
        for step in range(1000):
            if rank == 1 and step == 3:
                os.kill(os.getpid(), signal.SIGKILL if how == "kill" else signal.SIGSTOP)
            optimizer.zero_grad()
            nn.CrossEntropyLoss()(model(chainrule.tensor(x[:8])), chainrule.tensor(y[:8])
                                  ).backward()
            optimizer.step()
    except dist.DistBackendError as err:
        print(f"rank {rank}: {err}", file=sys.stderr, flush=True)
        dist.abort(3)


if __name__ == "__main__":
    {"parity": parity, "collectives": collectives, "fault": fault}[sys.argv[1]](*sys.argv[2:])
