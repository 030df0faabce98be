"""The device boilerplate of older tutorials: torch.cuda.is_available(), .to(device),
cudnn flags and CUDA seeding."""

import numpy as np
import torch
import torch.nn as nn

use_cuda = torch.cuda.is_available()
device = torch.device("cuda" if use_cuda else "cpu")
torch.manual_seed(0)
if use_cuda:
    torch.cuda.manual_seed_all(0)
torch.backends.cudnn.benchmark = True
kwargs = {"num_workers": 1, "pin_memory": True} if use_cuda else {}
print("device", device, "gpus", torch.cuda.device_count())

rng = np.random.default_rng(0)
x = torch.from_numpy(rng.normal(size=(64, 3)).astype(np.float32)).to(device)
y = (x[:, :1] * 2 - x[:, 1:2]).to(device)
model = nn.Linear(3, 1)
with torch.no_grad():
    model.weight.copy_(torch.tensor([[0.3, 0.1, -0.2]]))
    model.bias.fill_(0.05)
model = model.to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(6):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    print(f"step {step} loss {loss.item():.6f}")
print("parameters on", next(model.parameters()).device.type)
