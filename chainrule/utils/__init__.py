"""PyTorch-style aliases: ``chainrule.utils.data`` is ``chainrule.data``, as
``torch.utils.data``."""

from __future__ import annotations

from . import data

__all__ = ["data"]
