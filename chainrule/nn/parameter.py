"""``Parameter``: a tensor that a Module registers as trainable when assigned as an attribute."""

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
