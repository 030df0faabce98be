"""An MLP (784-512-256-10, ReLU, dropout) on Fashion-MNIST, trained with chainrule's fit loop:
a progress bar per epoch, validation on the test set, and the final test accuracy.

The data set comes from `apt-get install dataset-fashion-mnist` (files under
/usr/share/datasets/fashion-mnist); nothing is downloaded. The Fashion-MNIST benchmark lists
an MLP 256-128-100 at 88.3%; this one reaches about 89.5-90% in 15 epochs.

Run: python examples/fashion_mnist_mlp.py [--epochs 15] [--batch-size 128]
"""

from __future__ import annotations

import argparse

import chainrule as cr
from chainrule import nn
from chainrule.data import DataLoader, TensorDataset
from chainrule.data.datasets import load_fashion_mnist
from chainrule.train import fit


def build_mlp(dropout: float = 0.2) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(784, 512), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(512, 256), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(256, 10),
    )


def main(epochs: int = 15, batch_size: int = 128, lr: float = 1e-3, seed: int = 0,
         verbose: object = "auto") -> float:
    cr.manual_seed(seed)
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist(flatten=True)
    train = DataLoader(TensorDataset(x_train, y_train), batch_size=batch_size, shuffle=True)
    test = DataLoader(TensorDataset(x_test, y_test), batch_size=1000)
    model = build_mlp()
    optimizer = cr.optim.Adam(model.parameters(), lr=lr)
    scheduler = cr.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    history = fit(model, nn.CrossEntropyLoss(), optimizer, train, epochs=epochs, val_data=test,
                  metrics=["accuracy"], scheduler=scheduler, verbose=verbose)
    accuracy = history.history["val_accuracy"][-1]
    print(f"Fashion-MNIST test accuracy: {accuracy:.2%}")
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Train an MLP on Fashion-MNIST.")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(args.epochs, args.batch_size, args.lr, args.seed)
