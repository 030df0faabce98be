"""A variational autoencoder (reparameterisation, KL term, BCE reconstruction)."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class VAE(nn.Module):
    def __init__(self, dim=16, hidden=12, latent=2):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc_mu = nn.Linear(hidden, latent)
        self.fc_logvar = nn.Linear(hidden, latent)
        self.fc3 = nn.Linear(latent, hidden)
        self.fc4 = nn.Linear(hidden, dim)

    def encode(self, x):
        h = F.relu(self.fc1(x))
        return self.fc_mu(h), self.fc_logvar(h)

    def reparameterize(self, mu, logvar, eps):
        std = torch.exp(0.5 * logvar)
        return mu + eps * std

    def decode(self, z):
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))

    def forward(self, x, eps):
        mu, logvar = self.encode(x)
        return self.decode(self.reparameterize(mu, logvar, eps)), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    bce = F.binary_cross_entropy(recon_x, x, reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def init_weights(model, seed=0):
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for p in model.parameters():
            fan_in = int(np.prod(p.shape[1:])) if p.dim() > 1 else p.shape[0]
            bound = 1.0 / np.sqrt(fan_in)
            p.copy_(torch.from_numpy(rng.uniform(-bound, bound, p.shape).astype(np.float32)))


def main():
    rng = np.random.default_rng(0)
    x = torch.from_numpy((rng.random((64, 16)) > 0.5).astype(np.float32))
    model = VAE()
    init_weights(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    for step in range(10):
        batch = x[(step % 4) * 16:(step % 4 + 1) * 16]
        # the noise comes from NumPy so that runs on different frameworks are comparable
        eps = torch.from_numpy(rng.standard_normal((16, 2)).astype(np.float32))
        optimizer.zero_grad()
        recon, mu, logvar = model(batch, eps)
        loss = loss_function(recon, batch, mu, logvar)
        loss.backward()
        optimizer.step()
        print(f"step {step} loss {loss.item() / len(batch):.6f}")


if __name__ == "__main__":
    main()
