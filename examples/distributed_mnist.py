"""Data-parallel training of the Fashion-MNIST MLP on several processes, written as a
PyTorch DistributedDataParallel script is: a process group, a DistributedSampler, the model
wrapped in DistributedDataParallel, and rank 0 alone printing and saving.

Each of the N processes trains on its 1/N of every epoch with batch 128 (a global batch of
128·N); after each backward pass the gradients are averaged over the processes, so every
replica takes the same step. Fashion-MNIST comes from `apt-get install dataset-fashion-mnist`.

Run (one machine, 2 processes; add --hostfile for several hosts, see the README):
    mpiexec -n 2 python examples/distributed_mnist.py [--epochs 5] [--out mlp.safetensors]
        [--samples N]
"""

from __future__ import annotations

import argparse
import datetime

import chainrule as cr
import chainrule.distributed as dist
from chainrule import nn
from chainrule.data import DataLoader, DistributedSampler, TensorDataset
from chainrule.data.datasets import load_fashion_mnist
from chainrule.train import evaluate


def build_mlp() -> nn.Sequential:
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                         nn.Linear(256, 10))


def main(epochs: int = 5, batch_size: int = 128, lr: float = 1e-3, out: str | None = None,
         samples: int | None = None) -> float:
    dist.init_process_group("mpi", timeout=datetime.timedelta(minutes=5))
    rank, world = dist.get_rank(), dist.get_world_size()
    cr.manual_seed(0)
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist(flatten=True)
    x_train, y_train = x_train[:samples], y_train[:samples]  # None: all 60,000
    train = TensorDataset(x_train, y_train)
    sampler = DistributedSampler(train, shuffle=True, seed=0)
    loader = DataLoader(train, batch_size=batch_size, sampler=sampler)
    model = nn.parallel.DistributedDataParallel(build_mlp())  # rank 0's weights everywhere
    optimizer = cr.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        sampler.set_epoch(epoch)  # a new order each epoch, the same on every rank
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()  # the gradients arrive averaged over the ranks
            optimizer.step()
        scores = evaluate(model.module, loss_fn, (x_test, y_test), ["accuracy"])
        if rank == 0:
            print(f"epoch {epoch + 1}/{epochs}: test accuracy {scores['accuracy']:.2%} "
                  f"({world} processes)", flush=True)
    if rank == 0 and out:
        model.module.save(out)  # the module's own names, without "module."
    dist.destroy_process_group()
    return scores["accuracy"]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Train the Fashion-MNIST MLP on N processes "
                                                 "(run under mpiexec -n N).")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=128, help="per process")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--out", help="where rank 0 saves the model")
    parser.add_argument("--samples", type=int, help="train on the first SAMPLES images only")
    args = parser.parse_args()
    main(args.epochs, args.batch_size, args.lr, args.out, args.samples)
