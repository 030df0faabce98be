"""``Parameter`` and ``Buffer``: tensors that a Module registers as trainable weights or as
buffers when assigned as attributes."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor marked as a module's learnable weight (``requires_grad=True`` by default).

    Args:
        data: a Tensor (its array is shared, not copied) or array-like; None gives an empty one.
        requires_grad: whether optimizers should train it.

    Example:
        >>> import chainrule
        >>> w = chainrule.nn.Parameter(chainrule.zeros(2))
        >>> w.requires_grad, w.is_leaf
        (True, True)
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            array = np.empty(0, dtype=np.float32)
        elif isinstance(data, Tensor):
            array = data.data
        else:
            array = Tensor(data).data
        super().__init__(array, dtype=array.dtype)
        self.data = array  # share the caller's array, as PyTorch's Parameter shares storage
        if isinstance(data, Tensor):
            self._version_counter = data._version_counter  # and with it the version counter
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Buffer(Tensor):
    """A Tensor marked as a module's buffer (PyTorch's ``nn.Buffer``): assigned as a Module
    attribute, it is registered as by ``register_buffer(name, tensor, persistent)``.

    Args:
        data: a Tensor (its array and version counter are shared, as PyTorch's ``Buffer``
            shares storage; it keeps ``requires_grad``, without the history) or array-like;
            None gives an empty one.
        persistent: (keyword) whether ``state_dict`` saves it.

    Example:
        >>> import chainrule
        >>> class Scaled(chainrule.nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.scale = chainrule.nn.Buffer(chainrule.ones(2))
        ...         self.cache = chainrule.nn.Buffer(chainrule.zeros(2), persistent=False)
        >>> list(Scaled().state_dict()), [n for n, _ in Scaled().named_buffers()]
        (['scale'], ['scale', 'cache'])
    """

    __slots__ = ("persistent",)

    def __init__(self, data: Any = None, *, persistent: bool = True) -> None:
        source = data if isinstance(data, Tensor) else None
        if data is None:
            array = np.empty(0, dtype=np.float32)
        else:
            array = data.data if source is not None else Tensor(data).data
        super().__init__(array, dtype=array.dtype)
        self.data = array
        self.persistent = bool(persistent)
        if source is not None:
            self._version_counter = source._version_counter
            self.requires_grad = source.requires_grad
