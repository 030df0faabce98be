"""Fashion-MNIST read as sequences: each image is 28 steps of 28 features (its rows), and a
recurrent network classifies it from its final state: an LSTM (default) or a bidirectional
GRU. Trained with chainrule's fit loop: a progress bar per epoch, validation on the test set,
and the final test accuracy.

The data set comes from `apt-get install dataset-fashion-mnist` (files under
/usr/share/datasets/fashion-mnist); nothing is downloaded. With the defaults (an LSTM of 128
units, 8 epochs, Adam with a cosine schedule) the test accuracy was 88.76%.

Run: python examples/sequence_classification.py [--model lstm|gru] [--epochs 8]
(on a busy machine, OPENBLAS_NUM_THREADS=1 is often faster: each step's matrices are small).
"""

from __future__ import annotations

import argparse

import chainrule as cr
from chainrule import nn
from chainrule.data import DataLoader, TensorDataset
from chainrule.data.datasets import load_fashion_mnist
from chainrule.train import fit


class RowClassifier(nn.Module):
    """A recurrent layer over the rows, then a linear layer on the last hidden state(s)."""

    def __init__(self, kind: str = "lstm", hidden: int = 128) -> None:
        super().__init__()
        self.kind = kind
        if kind == "lstm":
            self.rnn = nn.LSTM(28, hidden, batch_first=True)
            self.head = nn.Linear(hidden, 10)
        else:
            self.rnn = nn.GRU(28, hidden, batch_first=True, bidirectional=True)
            self.head = nn.Linear(2 * hidden, 10)

    def forward(self, x: cr.Tensor) -> cr.Tensor:
        _, state = self.rnn(x)
        h_n = state[0] if self.kind == "lstm" else state
        if self.kind == "lstm":
            return self.head(h_n[-1])
        return self.head(cr.cat([h_n[-2], h_n[-1]], dim=1))  # both directions' final states


def main(kind: str = "lstm", epochs: int = 8, batch_size: int = 128, lr: float = 2e-3,
         seed: int = 0, limit: int = 0, verbose: object = "auto") -> float:
    cr.manual_seed(seed)
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist()
    if limit:
        x_train, y_train, x_test, y_test = (x_train[:limit], y_train[:limit],
                                            x_test[: limit // 5], y_test[: limit // 5])
    train = DataLoader(TensorDataset(x_train, y_train), batch_size=batch_size, shuffle=True)
    test = DataLoader(TensorDataset(x_test, y_test), batch_size=1000)
    model = RowClassifier(kind)
    optimizer = cr.optim.Adam(model.parameters(), lr=lr)
    scheduler = cr.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    history = fit(model, nn.CrossEntropyLoss(), optimizer, train, epochs=epochs, val_data=test,
                  metrics=["accuracy"], scheduler=scheduler, verbose=verbose)
    accuracy = history.history["val_accuracy"][-1]
    print(f"row-wise Fashion-MNIST ({kind}) test accuracy: {accuracy:.2%}")
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Classify Fashion-MNIST rows with an RNN.")
    parser.add_argument("--model", choices=["lstm", "gru"], default="lstm")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(args.model, args.epochs, args.batch_size, args.lr, args.seed)
