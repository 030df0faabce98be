"""Exports a model with torch.export, which chainrule does not provide."""

import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(4, 2), nn.ReLU())
print("built", sum(p.numel() for p in model.parameters()), "parameters")
program = torch.export.export(model, (torch.ones(1, 4),))
torch.export.save(program, "model.pt2")
