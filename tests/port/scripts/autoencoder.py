"""A dense autoencoder on synthetic low-rank data (MSELoss, Adam)."""

import numpy as np
import torch
import torch.nn as nn


class AutoEncoder(nn.Module):
    def __init__(self, dim=20, code=4):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(dim, 12), nn.Tanh(), nn.Linear(12, code))
        self.decoder = nn.Sequential(nn.Linear(code, 12), nn.Tanh(), nn.Linear(12, dim))

    def forward(self, x):
        return self.decoder(self.encoder(x))


def init_weights(model, seed=0):
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for p in model.parameters():
            fan_in = int(np.prod(p.shape[1:])) if p.dim() > 1 else p.shape[0]
            bound = 1.0 / np.sqrt(fan_in)
            p.copy_(torch.from_numpy(rng.uniform(-bound, bound, p.shape).astype(np.float32)))


def main():
    rng = np.random.default_rng(0)
    data = rng.normal(size=(128, 4)) @ rng.normal(size=(4, 20))
    x = torch.from_numpy(data.astype(np.float32))
    model = AutoEncoder()
    init_weights(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    criterion = nn.MSELoss()
    for step in range(12):
        batch = x[(step % 4) * 32:(step % 4 + 1) * 32]
        reconstruction = model(batch)
        loss = criterion(reconstruction, batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        print(f"step {step} loss {loss.item():.6f}")
    with torch.no_grad():
        codes = model.encoder(x)
    print("code shape", tuple(codes.shape))


if __name__ == "__main__":
    main()
