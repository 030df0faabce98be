"""Weight normalisation as PyTorch's legacy forward pre-hook (``torch.nn.utils.weight_norm``):
w = g · v / ‖v‖, with ``weight_g`` and ``weight_v`` the module's parameters and ``weight``
recomputed from them before every forward.

Reference: Salimans & Kingma, "Weight Normalization" (2016), https://arxiv.org/abs/1602.07868.
PyTorch deprecates this form (with a FutureWarning, mirrored here) in favour of
``parametrizations.weight_norm``, which recomputes the weight on every access.
"""

from __future__ import annotations

import warnings
from typing import Any, TypeVar

from ...grad_mode import no_grad
from ...tensor import Tensor
from ..module import Module
from ..parameter import Parameter
from .hook_tables import find_hook, remove_hook

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm"]


def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:
    """‖v‖ₚ over every dimension but ``dim``, kept as size-1 dimensions (PyTorch's
    ``torch.norm_except_dim``); ``dim=-1`` means the norm of the whole tensor, a 0-d tensor.

    Example:
        >>> import chainrule
        >>> norm_except_dim(chainrule.tensor([[3.0, 4.0], [6.0, 8.0]]), 2, 0)
        tensor([[ 5.],
                [10.]])
    """
    if dim == -1:
        return v.norm(pow)
    rows = v.movedim(dim, 0)
    shape = [1] * v.ndim
    shape[dim] = v.shape[dim]
    return rows.reshape(rows.shape[0], -1).norm(pow, dim=1).reshape(shape)


def weight_norm_of(v: Tensor, g: Tensor, dim: int = 0) -> Tensor:
    """w = v · g / ‖v‖, the norm over every dimension but ``dim`` (PyTorch's
    ``torch._weight_norm``), composed of differentiable ops."""
    return v * (g / norm_except_dim(v, 2, dim))


class WeightNorm:
    """The forward pre-hook of ``weight_norm``: sets ``module.<name>`` to the weight computed
    from ``<name>_g`` and ``<name>_v``.

    Args:
        name: the weight's name.
        dim: the dimension that keeps its own norm (None: one norm for the whole tensor).
    """

    name: str
    dim: int

    def __init__(self, name: str, dim: int) -> None:
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module: Module) -> Any:
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return weight_norm_of(v, g, self.dim)

    @staticmethod
    def apply(module: Module, name: str, dim: int) -> WeightNorm:
        """Register the reparametrization on ``module`` (see ``weight_norm``)."""
        warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                      "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning,
                      stacklevel=3)
        if find_hook(module, "_forward_pre_hooks", WeightNorm, name) is not None:
            raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter "
                               f"{name}")
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        if name not in module._parameters:  # PyTorch's KeyError, with a message
            raise KeyError(f"weight_norm: '{name}' is not a parameter of "
                           f"{type(module).__name__}")
        if _uninitialized(weight):
            raise ValueError("The module passed to `WeightNorm` can't have uninitialized "
                             "parameters. Make sure to run the dummy forward before applying "
                             "weight normalization")
        del module._parameters[name]
        with no_grad():
            g = norm_except_dim(weight, 2, fn.dim)
        module.register_parameter(name + "_g", Parameter(g.detach()))
        module.register_parameter(name + "_v", Parameter(weight.detach()))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module: Module) -> None:
        """Put back ``module.<name>`` as a plain Parameter holding the current weight."""
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.detach()))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module))


def _uninitialized(weight: Tensor) -> bool:
    from ..lazy import UninitializedParameter  # here: the lazy layers are loaded on demand

    return isinstance(weight, UninitializedParameter)


T_module = TypeVar("T_module", bound=Module)


def weight_norm(module: T_module, name: str = "weight", dim: int = 0) -> T_module:
    """Reparametrize ``module.<name>`` as w = g · v / ‖v‖ (weight normalisation), with a
    forward pre-hook (deprecated in PyTorch, which warns with a FutureWarning, as here).

    The parameter is replaced by ``<name>_g`` (the norms, size 1 except along ``dim``) and
    ``<name>_v`` (the direction, initially the weight); ``module.<name>`` is recomputed from
    them before every forward. Prefer ``parametrizations.weight_norm``, which loads state
    dicts written by this form.

    Args:
        module: the module that holds the weight.
        name: the weight's name.
        dim: the dimension whose slices keep their own norm (None: one norm for the whole
            tensor).

    Returns:
        ``module``.

    Raises:
        RuntimeError: ``name`` already has a weight_norm hook.

    Example:
        >>> import warnings
        >>> from chainrule import nn
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore", FutureWarning)
        ...     m = weight_norm(nn.Linear(20, 40))
        >>> tuple(m.weight_g.shape), tuple(m.weight_v.shape)
        ((40, 1), (40, 20))
    """
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module: T_module, name: str = "weight") -> T_module:
    """Undo ``weight_norm``: ``module.<name>`` becomes a plain Parameter again, holding the
    weight computed from ``<name>_g`` and ``<name>_v``.

    Raises:
        ValueError: ``module`` has no weight_norm on ``name``.
    """
    key = find_hook(module, "_forward_pre_hooks", WeightNorm, name)
    if key is None:
        raise ValueError(f"weight_norm of '{name}' not found in {module}")
    module._forward_pre_hooks[key].remove(module)
    remove_hook(module, "_forward_pre_hooks", key)
    return module
