"""A script with its own bug: the layer expects 3 features, the data has 5."""

import torch
import torch.nn as nn


def forward_pass(model, batch):
    return model(batch)


model = nn.Linear(3, 2)
batch = torch.zeros(4, 5)
forward_pass(model, batch)
