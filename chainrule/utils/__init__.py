"""PyTorch-style aliases: ``chainrule.utils.data`` is ``chainrule.data``, as
``torch.utils.data``; ``chainrule.utils.checkpoint`` (activation checkpointing) is loaded on
first use, so that ``import chainrule`` stays light."""

from __future__ import annotations

from ..lazy import lazy_names
from . import data

__all__ = ["data"]

__getattr__, __dir__ = lazy_names(__name__, globals(), {}, submodules=("checkpoint",))
