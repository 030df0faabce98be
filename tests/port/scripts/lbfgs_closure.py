"""Logistic regression fitted by L-BFGS with a closure and the strong-Wolfe line search."""

import numpy as np
import torch
import torch.nn as nn

rng = np.random.default_rng(0)
x = rng.normal(size=(200, 3)).astype(np.float32)
y = (x @ np.array([1.5, -2.0, 0.5]) + 0.3 > 0).astype(np.float32)
inputs, targets = torch.from_numpy(x), torch.from_numpy(y).unsqueeze(1)

model = nn.Linear(3, 1)
with torch.no_grad():
    model.weight.copy_(torch.tensor([[0.1, 0.2, -0.1]]))
    model.bias.zero_()
criterion = nn.BCEWithLogitsLoss()
optimizer = torch.optim.LBFGS(model.parameters(), lr=1, max_iter=5,
                              line_search_fn="strong_wolfe")


def closure():
    optimizer.zero_grad()
    loss = criterion(model(inputs), targets)
    loss.backward()
    return loss


for step in range(4):
    loss = optimizer.step(closure)
    print(f"step {step} loss {loss.item():.6f}")
