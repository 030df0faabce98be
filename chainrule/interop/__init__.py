"""Files of other frameworks (layer L3, beside ``io``): ``interop.torch.load_pt`` reads
PyTorch's ``.pt`` / ``.pth`` files without PyTorch, through an interpreter for the data subset of
pickle written here (``unpickler``) that never imports or calls anything outside a fixed table.
"""

from __future__ import annotations

from . import torch

__all__ = ["torch"]
