"""``chainrule.utils.data``: the names of ``chainrule.data`` under PyTorch's path, so that
``from chainrule.utils.data import DataLoader`` works as ``from torch.utils.data import ...``.
"""

from __future__ import annotations

from ..data import (
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    datasets,
    default_collate,
    random_split,
)

__all__ = [
    "DataLoader", "Dataset", "Subset", "TensorDataset", "datasets", "default_collate",
    "random_split",
]
