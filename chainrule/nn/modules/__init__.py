"""PyTorch's module path ``torch.nn.modules``, for scripts that name it: its ``module``
submodule holds ``Module`` and the global module hooks (``register_module_forward_hook`` ...).
The layers themselves are in ``chainrule.nn``."""

from __future__ import annotations

from . import module
from .module import Module

__all__ = ["Module", "module"]
