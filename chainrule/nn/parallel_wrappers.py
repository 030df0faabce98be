"""``DataParallel``: PyTorch's single-process multi-GPU wrapper. chainrule runs on the CPU,
where PyTorch's DataParallel only wraps: the module is kept as ``.module`` (so ``state_dict``
keys gain the ``module.`` prefix) and the forward pass goes straight through.
"""

from __future__ import annotations

from typing import Any

from .module import Module


class DataParallel(Module):
    """Wrap ``module`` as PyTorch's ``DataParallel`` does on a machine without GPUs: calls
    pass through to ``module`` unchanged and ``device_ids`` is ``[]``.

    Args:
        module: the Module to wrap (registered as the child ``module``).
        device_ids: accepted for PyTorch compatibility; with no GPU there are none to use.
        output_device: accepted for PyTorch compatibility.
        dim: accepted for PyTorch compatibility (the dim a GPU run would scatter along).

    Example:
        >>> import chainrule
        >>> net = chainrule.nn.DataParallel(chainrule.nn.Linear(2, 3))
        >>> sorted(net.state_dict())
        ['module.bias', 'module.weight']
    """

    def __init__(self, module: Module, device_ids: Any = None, output_device: Any = None,
                 dim: int = 0) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel wraps a chainrule.nn.Module, got "
                            f"{type(module).__name__}")
        self.module = module
        self.device_ids: list = []

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        return self.module(*inputs, **kwargs)
