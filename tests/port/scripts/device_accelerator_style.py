"""The device line of current tutorials: torch.accelerator, with tensors created on the
device through the device= argument."""

import numpy as np
import torch
from torch import nn

device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() \
    else "cpu"
print(f"Using {device} device")


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(nn.Linear(4 * 4, 16), nn.ReLU(),
                                               nn.Linear(16, 3))

    def forward(self, x):
        return self.linear_relu_stack(self.flatten(x))


model = NeuralNetwork().to(device)
rng = np.random.default_rng(0)
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.tensor(rng.uniform(-0.25, 0.25, p.shape), dtype=torch.float32,
                             device=device))
X = torch.tensor(rng.random((24, 4, 4)), dtype=torch.float32, device=device)
y = torch.tensor(rng.integers(0, 3, 24), device=device)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=1e-1)
model.train()
for batch in range(6):
    pred = model(X)
    loss = loss_fn(pred, y)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    print(f"loss: {loss.item():>7f}  [{batch:>2d}]")
