"""Save a training checkpoint dict with torch.save, then resume from it with torch.load."""

import argparse
import os

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim


def build():
    model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 1))
    rng = np.random.default_rng(0)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(rng.uniform(-0.4, 0.4, p.shape).astype(np.float32)))
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    return model, optimizer, scheduler


def train(model, optimizer, scheduler, x, y, epochs, start=0):
    loss = None
    for epoch in range(start, start + epochs):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        scheduler.step()
        print(f"epoch {epoch} loss {loss.item():.6f}")
    return loss


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", default="checkpoint.pt")
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    x = torch.from_numpy(rng.normal(size=(64, 5)).astype(np.float32))
    y = x.sum(dim=1, keepdim=True) * 0.5

    model, optimizer, scheduler = build()
    loss = train(model, optimizer, scheduler, x, y, epochs=3)
    torch.save({
        "epoch": 3,
        "model_state_dict": model.state_dict(),
        "optimizer_state_dict": optimizer.state_dict(),
        "scheduler_state_dict": scheduler.state_dict(),
        "loss": loss.item(),
    }, args.checkpoint)

    model, optimizer, scheduler = build()
    checkpoint = torch.load(args.checkpoint, map_location="cpu", weights_only=True)
    model.load_state_dict(checkpoint["model_state_dict"])
    optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    scheduler.load_state_dict(checkpoint["scheduler_state_dict"])
    print(f"resumed at epoch {checkpoint['epoch']} (saved loss {checkpoint['loss']:.6f})")
    train(model, optimizer, scheduler, x, y, epochs=3, start=checkpoint["epoch"])
    os.remove(args.checkpoint)


if __name__ == "__main__":
    main()
