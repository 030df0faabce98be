"""Multi-output regression with AdamW, weight decay and gradient-norm clipping."""

import numpy as np
import torch
import torch.nn as nn

rng = np.random.default_rng(0)
inputs = torch.from_numpy(rng.normal(size=(80, 6)).astype(np.float32))
targets = torch.from_numpy((inputs.numpy() @ rng.normal(size=(6, 2))).astype(np.float32))

model = nn.Sequential(nn.Linear(6, 24), nn.GELU(), nn.Linear(24, 2))
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rng.uniform(-0.3, 0.3, p.shape).astype(np.float32)))
optimizer = torch.optim.AdamW(model.parameters(), lr=5e-3, weight_decay=0.05)
loss_fn = nn.SmoothL1Loss()

for step in range(10):
    optimizer.zero_grad()
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    optimizer.step()
    print(f"step {step} loss {loss.item():.6f} grad_norm {float(norm):.4f}")
