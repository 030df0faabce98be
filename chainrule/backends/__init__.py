"""``torch.backends``: the switches PyTorch scripts set for cuDNN and Apple's MPS.

chainrule uses neither, so the flags of ``backends.cudnn`` may be set and read but change
nothing, and both report that they are not available.
"""

from __future__ import annotations

from . import cudnn, mps

__all__ = ["cudnn", "mps"]
