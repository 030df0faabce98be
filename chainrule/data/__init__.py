"""Datasets and mini-batch loading, as ``torch.utils.data`` (also importable under that name
as ``chainrule.utils.data``).

``Dataset``, ``TensorDataset``, ``Subset`` and ``random_split`` hold and split samples;
``DataLoader`` batches them (shuffled by the package generator or a given one, resumable
with ``state_dict``); ``default_collate`` merges samples; ``datasets`` holds Fashion-MNIST
(local files) and 2-D toy generators.

Example:
    >>> import numpy as np
    >>> from chainrule.data import DataLoader, TensorDataset
    >>> loader = DataLoader(TensorDataset(np.ones((6, 2), np.float32), np.arange(6)),
    ...                     batch_size=4)
    >>> [y.tolist() for x, y in loader]
    [[0, 1, 2, 3], [4, 5]]
"""

from __future__ import annotations

from . import datasets
from .collate import default_collate
from .dataloader import DataLoader
from .dataset import Dataset, Subset, TensorDataset, random_split

__all__ = [
    "DataLoader", "Dataset", "Subset", "TensorDataset", "datasets", "default_collate",
    "random_split",
]
