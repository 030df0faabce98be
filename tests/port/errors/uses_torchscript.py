"""Exports a model with TorchScript, which chainrule does not provide."""

import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(4, 2), nn.ReLU())
print("built", sum(p.numel() for p in model.parameters()), "parameters")
scripted = torch.jit.script(model)
scripted.save("model.pt")
