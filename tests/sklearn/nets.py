"""Small data sets and a chainrule module for the estimator tests."""

from __future__ import annotations

import numpy as np

from chainrule import nn
from chainrule.nn import functional as F


class TwoLayer(nn.Module):
    """Linear → ReLU → Linear, the kind of module a user hands to the estimators."""

    def __init__(self, n_features: int = 4, hidden: int = 8, n_outputs: int = 3) -> None:
        super().__init__()
        self.first = nn.Linear(n_features, hidden)
        self.second = nn.Linear(hidden, n_outputs)

    def forward(self, x):
        return self.second(F.relu(self.first(x)))


def blobs(n_samples: int = 120, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three well-separated standardised blobs in 4 dimensions, labels 0, 1, 2."""
    from sklearn.datasets import make_blobs

    X, y = make_blobs(n_samples=n_samples, centers=3, n_features=4, cluster_std=0.8,
                      random_state=seed)
    return (X - X.mean(axis=0)) / X.std(axis=0), y


def linear_targets(n_samples: int = 80, n_outputs: int = 2,
                   seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, 4))
    return X, X @ rng.normal(size=(4, n_outputs)) + 0.5
