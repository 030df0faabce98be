"""``chainrule.nn.parallel``: PyTorch's path to ``DistributedDataParallel``, which lives in
``chainrule.distributed`` (same layer) and is imported on first use, so that importing ``nn``
does not import the distributed package.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DataParallel", "DistributedDataParallel"]


def __getattr__(name: str) -> Any:
    if name == "DataParallel":
        from ..parallel_wrappers import DataParallel

        return DataParallel
    if name == "DistributedDataParallel":
        from ...distributed.ddp import DistributedDataParallel

        return DistributedDataParallel
    raise AttributeError(f"module 'chainrule.nn.parallel' has no attribute {name!r}")
