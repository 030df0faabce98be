"""Samplers: a custom Dataset split with Subset, batches from BatchSampler over a
SequentialSampler, and a class-balanced epoch from WeightedRandomSampler."""

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    WeightedRandomSampler,
)


class Imbalanced(Dataset):
    """90% of class 0, 10% of class 1, in 4 features."""

    def __init__(self, n=200, seed=0):
        rng = np.random.default_rng(seed)
        self.y = (rng.random(n) < 0.1).astype(np.int64)
        self.x = (rng.normal(size=(n, 4)) + self.y[:, None] * 1.5).astype(np.float32)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return torch.from_numpy(self.x[i]), int(self.y[i])


def main():
    torch.manual_seed(0)
    dataset = Imbalanced()
    train_set = Subset(dataset, list(range(160)))
    batches = BatchSampler(SequentialSampler(train_set), batch_size=32, drop_last=True)
    loader = DataLoader(train_set, batch_sampler=batches)

    model = nn.Linear(4, 2)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[0.1, -0.2, 0.3, 0.0], [0.0, 0.1, -0.1, 0.2]]))
        model.bias.zero_()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    for step, (x, y) in enumerate(loader):
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        print(f"step {step} loss {loss.item():.6f}")

    counts = np.bincount(dataset.y[:160])
    weights = [1.0 / counts[dataset.y[i]] for i in range(160)]
    balanced = DataLoader(train_set, batch_size=40,
                          sampler=WeightedRandomSampler(weights, num_samples=160))
    seen = sum(int(y.sum()) for _, y in balanced)
    print(f"class-1 samples in a balanced epoch: {seen} of 160")
    held_out = DataLoader(dataset, batch_size=20,
                          sampler=SubsetRandomSampler(list(range(160, 200))))
    print("held-out batches:", [len(y) for _, y in held_out])


if __name__ == "__main__":
    main()
