"""An MLP regressor under two learning-rate schedules (StepLR, then CosineAnnealingLR)."""

import numpy as np
import torch
import torch.nn as nn
from torch.optim.lr_scheduler import CosineAnnealingLR, StepLR


def run(scheduler_name, x, y):
    model = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 1))
    rng = np.random.default_rng(0)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(rng.uniform(-0.5, 0.5, p.shape).astype(np.float32)))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.5)
    if scheduler_name == "step":
        scheduler = StepLR(optimizer, step_size=2, gamma=0.5)
    else:
        scheduler = CosineAnnealingLR(optimizer, T_max=5)
    for epoch in range(5):
        optimizer.zero_grad()
        loss = nn.MSELoss()(model(x), y)
        loss.backward()
        optimizer.step()
        scheduler.step()
        print(f"{scheduler_name} epoch {epoch} lr {scheduler.get_last_lr()[0]:.5f} "
              f"loss {loss.item():.6f}")


def main():
    rng = np.random.default_rng(1)
    x = torch.from_numpy(rng.normal(size=(50, 3)).astype(np.float32))
    y = torch.sin(x.sum(dim=1, keepdim=True))
    run("step", x, y)
    run("cosine", x, y)


if __name__ == "__main__":
    main()
