"""A CNN with BatchNorm2d (convolutions without bias before it) and pooling on synthetic
images; SGD with Nesterov momentum; train and eval modes."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvNet(nn.Module):
    def __init__(self, num_classes=4):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 6, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(6), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(6, 8, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1))
        self.classifier = nn.Linear(8, num_classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def main():
    rng = np.random.default_rng(0)
    images = torch.from_numpy(rng.normal(size=(32, 3, 8, 8)).astype(np.float32))
    labels = torch.from_numpy(rng.integers(0, 4, 32))
    model = ConvNet()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() > 1:
                p.copy_(torch.from_numpy(rng.normal(0, 0.3, p.shape).astype(np.float32)))
            elif name.endswith("bias"):
                p.zero_()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    for step in range(8):
        model.train()
        batch = slice((step % 4) * 8, (step % 4 + 1) * 8)
        loss = F.cross_entropy(model(images[batch]), labels[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        model.eval()
        with torch.no_grad():
            eval_loss = F.cross_entropy(model(images), labels)
        print(f"step {step} loss {loss.item():.6f} eval loss {eval_loss.item():.6f}")


if __name__ == "__main__":
    main()
