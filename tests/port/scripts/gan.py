"""A GAN on 1-D Gaussian data: a generator and a discriminator, two Adam optimizers."""

import numpy as np
import torch
import torch.nn as nn


def init_weights(model, seed):
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for p in model.parameters():
            fan_in = int(np.prod(p.shape[1:])) if p.dim() > 1 else p.shape[0]
            bound = 1.0 / np.sqrt(fan_in)
            p.copy_(torch.from_numpy(rng.uniform(-bound, bound, p.shape).astype(np.float32)))


def main():
    rng = np.random.default_rng(0)
    latent = 4
    netG = nn.Sequential(nn.Linear(latent, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
    netD = nn.Sequential(nn.Linear(1, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1), nn.Sigmoid())
    init_weights(netG, 1)
    init_weights(netD, 2)
    criterion = nn.BCELoss()
    optimizerD = torch.optim.Adam(netD.parameters(), lr=2e-3, betas=(0.5, 0.999))
    optimizerG = torch.optim.Adam(netG.parameters(), lr=2e-3, betas=(0.5, 0.999))
    real_label, fake_label = 1.0, 0.0
    batch = 32

    for step in range(8):
        real = torch.from_numpy(rng.normal(3.0, 0.5, (batch, 1)).astype(np.float32))
        noise = torch.from_numpy(rng.standard_normal((batch, latent)).astype(np.float32))

        # (1) update D: maximize log(D(x)) + log(1 - D(G(z)))
        netD.zero_grad()
        label = torch.full((batch, 1), real_label)
        errD_real = criterion(netD(real), label)
        errD_real.backward()
        fake = netG(noise)
        label.fill_(fake_label)
        errD_fake = criterion(netD(fake.detach()), label)
        errD_fake.backward()
        optimizerD.step()

        # (2) update G: maximize log(D(G(z)))
        netG.zero_grad()
        label.fill_(real_label)
        errG = criterion(netD(fake), label)
        errG.backward()
        optimizerG.step()
        print(f"step {step} loss_D {(errD_real + errD_fake).item():.6f} "
              f"loss_G {errG.item():.6f}")


if __name__ == "__main__":
    main()
