"""PyTorch's ``torch.nn.modules.module``: ``Module`` and the hooks that every module runs
(``register_module_forward_pre_hook``, ``register_module_forward_hook``,
``register_module_full_backward_pre_hook``, ``register_module_full_backward_hook``, and the
deprecated ``register_module_backward_hook``, the same as the full one), which
live in ``chainrule.nn.hooks``."""

from __future__ import annotations

from ..hooks import (
    RemovableHandle,
    register_module_backward_hook,
    register_module_forward_hook,
    register_module_forward_pre_hook,
    register_module_full_backward_hook,
    register_module_full_backward_pre_hook,
)
from ..module import Module

__all__ = ["Module", "RemovableHandle", "register_module_backward_hook",
           "register_module_forward_hook",
           "register_module_forward_pre_hook", "register_module_full_backward_hook",
           "register_module_full_backward_pre_hook"]
