"""Trains a small dropout MLP for a number of steps; optionally saves a checkpoint at a step
and stops, or resumes from one. Prints nothing; writes the final parameters to --out (.npz).
Run by test_checkpoint.py in fresh processes."""

from __future__ import annotations

import argparse

import numpy as np

import chainrule as cr
from chainrule import nn
from chainrule.data import DataLoader, TensorDataset
from chainrule.train import Checkpoint, train_step


def make_optimizer(name, params):
    if name == "sgd":
        return cr.optim.SGD(params, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4)
    return cr.optim.Adam(params, lr=0.01, amsgrad=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--optimizer", default="sgd")
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--save-at", type=int)
    parser.add_argument("--resume")
    parser.add_argument("--checkpoint")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    rng = np.random.default_rng(123)
    x = rng.standard_normal((60, 4)).astype(np.float32)
    y = rng.integers(0, 3, 60)
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))
    optimizer = make_optimizer(args.optimizer, model.parameters())
    scheduler = cr.optim.lr_scheduler.StepLR(optimizer, step_size=4, gamma=0.7)
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True)
    checkpoint = Checkpoint(model, optimizer, scheduler, loader)
    step = checkpoint.load(args.resume)["step"] if args.resume else 0
    loss_fn = nn.CrossEntropyLoss()
    while step < args.steps:
        for xb, yb in loader:
            train_step(model, loss_fn, optimizer, xb, yb)
            scheduler.step()
            step += 1
            if step == args.save_at:
                checkpoint.save(args.checkpoint, step=step)
                np.savez(args.out, *[p.data for p in model.parameters()])
                return
            if step == args.steps:
                break
    np.savez(args.out, *[p.data for p in model.parameters()])


if __name__ == "__main__":
    main()
