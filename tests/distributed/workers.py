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


def make_model(seed: int, data: str = "synthetic") -> nn.Module:
    chainrule.manual_seed(seed)
    if data == "fashion-mnist":  # the MLP of chainrule train and the examples, less dropout
        return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                             nn.Linear(256, 10))
    return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 16), nn.Tanh(),
                         nn.Linear(16, 3))


def make_data(data: str = "synthetic") -> tuple[np.ndarray, np.ndarray]:
    if data == "fashion-mnist":
        from chainrule.data.datasets import load_fashion_mnist

        (x, y), _ = load_fashion_mnist(flatten=True)
        return x[:STEPS * BATCH], y[:STEPS * BATCH]
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


def reference_parameters(data: str = "synthetic") -> dict[str, np.ndarray]:
    """One process, the whole batch of each step."""
    model = make_model(0, data)
    x, y = make_data(data)
    train(model, [(x[i:i + BATCH], y[i:i + BATCH]) for i in range(0, len(x), BATCH)])
    return {name: p.detach().numpy() for name, p in model.named_parameters()}


def parity(out: str, bucket_cap_mb: str, data: str = "synthetic") -> None:
    """Each rank starts from its own initialisation (DDP must replace it with rank 0's) and
    trains on its half of every global batch."""
    dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=30))
    rank, world = dist.get_rank(), dist.get_world_size()
    model = nn.parallel.DistributedDataParallel(make_model(rank, data),
                                                bucket_cap_mb=float(bucket_cap_mb))
    x, y = make_data(data)
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


def features(out: str) -> None:
    """no_sync, find_unused_parameters and the buffer broadcast, each rank saving what it saw."""
    dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=30))
    rank = dist.get_rank()
    x, y = make_data()
    loss_fn = nn.CrossEntropyLoss()
    saved = {}
    # no_sync: two local backwards, then one synced: the average of each rank's sum of three
    model = nn.parallel.DistributedDataParallel(make_model(0))
    with model.no_sync():
        for k in range(2):
            loss_fn(model(chainrule.tensor(x[8 * (2 * k + rank):][:8])),
                    chainrule.tensor(y[8 * (2 * k + rank):][:8])).backward()
        saved["no_sync_local"] = model.module[0].weight.grad.numpy().copy()
    loss_fn(model(chainrule.tensor(x[32 + 8 * rank:][:8])),
            chainrule.tensor(y[32 + 8 * rank:][:8])).backward()
    saved["no_sync_synced"] = model.module[0].weight.grad.numpy()
    # find_unused_parameters: head "a" is used on rank 0 only, head "b" on no rank
    chainrule.manual_seed(0)
    heads = nn.ModuleDict({"body": nn.Linear(8, 4), "a": nn.Linear(4, 3), "b": nn.Linear(4, 3)})
    net = nn.parallel.DistributedDataParallel(_Branchy(heads), find_unused_parameters=True)
    for _ in range(2):  # a second iteration shows the first one finished its reduction
        net.module.zero_grad()
        loss_fn(net(chainrule.tensor(x[:8])), chainrule.tensor(y[:8])).backward()
    saved["unused_a_grad"] = heads["a"].weight.grad.numpy()
    saved["unused_b_grad_is_none"] = np.array(heads["b"].weight.grad is None)
    saved["unused_body_grad"] = heads["body"].weight.grad.numpy()
    # buffers: rank 1's running statistics are replaced by rank 0's before each forward
    chainrule.manual_seed(0)
    bn = nn.parallel.DistributedDataParallel(nn.Sequential(nn.Linear(8, 4), nn.BatchNorm1d(4)))
    if rank == 1:
        bn.module[1].running_mean.data[:] = 100.0
    bn(chainrule.tensor(x[:8]))
    saved["running_mean"] = bn.module[1].running_mean.numpy()
    np.savez(os.path.join(out, f"rank{rank}.npz"), **saved)
    dist.destroy_process_group()


def fit_worker(out: str) -> None:
    """``fit(..., distributed=True)`` on an (x, y) pair; each rank saves its history, its
    parameters and what it printed."""
    import io

    from chainrule.train import fit

    model = make_model(int(os.environ.get("OMPI_COMM_WORLD_RANK", 0)))  # fit joins the group
    x, y = make_data()
    stream = io.StringIO()
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (x, y),
                  epochs=2, batch_size=8, metrics=["accuracy"], verbose=2, stream=stream,
                  distributed=True)
    rank = dist.get_rank()
    np.savez(os.path.join(out, f"rank{rank}.npz"), printed=np.array(stream.getvalue()),
             loss=np.array(history.history["loss"]),
             accuracy=np.array(history.history["accuracy"]),
             **{name: p.detach().numpy() for name, p in model.named_parameters()})


def errors(out: str) -> None:
    """Each bad call's error type and message, and the buckets' timeout on one rank."""
    dist.init_process_group("gloo", timeout=datetime.timedelta(seconds=5))
    calls = {
        "twice": lambda: dist.init_process_group("mpi"),
        "not_a_tensor": lambda: dist.all_reduce(np.ones(3)),
        "bad_op": lambda: dist.all_reduce(chainrule.ones(3), op="sum"),
        "avg_int": lambda: dist.all_reduce(chainrule.ones(3, dtype=chainrule.int64),
                                           op=dist.ReduceOp.AVG),
        "bad_src": lambda: dist.broadcast(chainrule.ones(3), src=4),
        "gather_count": lambda: dist.all_gather([chainrule.ones(2)] * 3, chainrule.ones(2)),
        "gather_shape": lambda: dist.all_gather([chainrule.ones(3)], chainrule.ones(2)),
        "scatter_count": lambda: dist.reduce_scatter(chainrule.ones(2), []),
        "other_group": lambda: dist.barrier(group="mine"),
        "ddp_not_module": lambda: nn.parallel.DistributedDataParallel(lambda x: x),
        "ddp_bucket": lambda: nn.parallel.DistributedDataParallel(nn.Linear(2, 2),
                                                                  bucket_cap_mb=0),
        "unfinished": _unfinished,
    }
    found = {}
    for name, call in calls.items():
        try:
            call()
            found[name] = None
        except Exception as err:  # noqa: BLE001 - the test checks the kind
            found[name] = [type(err).__name__, str(err)]
    found["state"] = [dist.is_initialized(), dist.get_rank(), dist.get_world_size(),
                      dist.get_backend()]
    dist.destroy_process_group()
    found["after"] = dist.is_initialized()
    with open(os.path.join(out, "errors.json"), "w") as f:
        json.dump(found, f)


def _unfinished() -> None:
    """A parameter left out of the loss, without find_unused_parameters."""
    model = nn.parallel.DistributedDataParallel(nn.ModuleDict({"a": nn.Linear(2, 2),
                                                               "b": nn.Linear(2, 2)}))
    model.module["a"](chainrule.ones(1, 2)).sum().backward()
    nn.parallel.DistributedDataParallel.forward(model, chainrule.ones(1, 2))


class _Branchy(nn.Module):
    def __init__(self, heads: nn.ModuleDict) -> None:
        super().__init__()
        self.heads = heads

    def forward(self, x):
        h = self.heads["body"](x)
        return self.heads["a"](h) if dist.get_rank() == 0 else h[:, :3] * 2.0


if __name__ == "__main__":
    {"parity": parity, "collectives": collectives, "fault": fault, "features": features,
     "errors": errors, "fit": fit_worker}[sys.argv[1]](*sys.argv[2:])
