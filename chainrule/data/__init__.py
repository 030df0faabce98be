"""Datasets and mini-batch loading, as ``torch.utils.data`` (also importable under that name
as ``chainrule.utils.data``).

``Dataset``, ``TensorDataset``, ``Subset``, ``ConcatDataset``, ``IterableDataset`` and
``random_split`` hold and split samples; the samplers (``SequentialSampler``,
``RandomSampler``, ``SubsetRandomSampler``, ``WeightedRandomSampler``, ``BatchSampler``,
``DistributedSampler``) choose the order; ``DataLoader`` batches them (shuffled by the
package generator or a given one, resumable with ``state_dict``); ``default_collate`` merges
samples (``default_convert`` converts one); ``datasets`` holds Fashion-MNIST (local files) and
2-D toy generators.

Example:
    >>> import numpy as np
    >>> from chainrule.data import DataLoader, TensorDataset
    >>> loader = DataLoader(TensorDataset(np.ones((6, 2), np.float32), np.arange(6)),
    ...                     batch_size=4)
    >>> [y.tolist() for x, y in loader]
    [[0, 1, 2, 3], [4, 5]]
"""

from __future__ import annotations

from ..lazy import lazy_names

# Each part loads when first named, as do ``datasets`` (file readers and toy generators);
# see chainrule.lazy.
__getattr__, __dir__ = lazy_names(__name__, globals(), {
    ".collate": "default_collate default_convert",
    ".dataloader": "DataLoader",
    ".dataset": "ConcatDataset Dataset IterableDataset Subset TensorDataset random_split",
    ".sampler": ("BatchSampler DistributedSampler RandomSampler Sampler SequentialSampler "
                 "SubsetRandomSampler WeightedRandomSampler"),
}, submodules=("datasets",))

__all__ = [
    "BatchSampler",
    "ConcatDataset",
    "DataLoader",
    "DistributedSampler",
    "Dataset",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "datasets",
    "default_collate",
    "default_convert",
    "random_split",
]

