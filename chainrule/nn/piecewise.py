"""Piecewise activation layers: thin modules over ``chainrule.functional``'s hardsigmoid,
hardswish, softsign, tanhshrink, the shrinkage pair, threshold and PReLU (the one with a
learnable weight), with PyTorch's constructor arguments, defaults and reprs.

``inplace=True`` is accepted so PyTorch scripts run unchanged; the output is always a new
tensor. As in PyTorch, ``Hardsigmoid`` and ``Hardswish`` keep ``inplace`` out of their repr.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes
from .. import functional as F
from ..device import require_cpu
from ..tensor import Tensor
from .activation import _Elementwise, _inplace
from .module import Module
from .parameter import Parameter


class Hardsigmoid(_Elementwise):
    """Hardsigmoid(x) = 0 for x ≤ −3, 1 for x ≥ 3, x/6 + 1/2 between.

    Args:
        inplace: write the result over the input and return the input, as PyTorch does.

    Shape: any (*) -> the same shape.
    """

    function = staticmethod(F.hardsigmoid)

    def extra_repr(self) -> str:
        return ""  # PyTorch leaves inplace out of this repr


class Hardswish(_Elementwise):
    """Hardswish(x) = x·hardsigmoid(x): 0 for x ≤ −3, x for x ≥ 3, x(x + 3)/6 between.

    Args:
        inplace: write the result over the input and return the input, as PyTorch does.

    Shape: any (*) -> the same shape.
    """

    function = staticmethod(F.hardswish)

    def extra_repr(self) -> str:
        return ""  # PyTorch leaves inplace out of this repr


class Softsign(Module):
    """Softsign(x) = x / (1 + |x|).   Shape: (*) -> (*)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.softsign(input)


class Tanhshrink(Module):
    """Tanhshrink(x) = x − tanh(x).   Shape: (*) -> (*)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.tanhshrink(input)


class Softshrink(Module):
    """Softshrink(x) = x − λ for x > λ, x + λ for x < −λ, 0 between.

    Args:
        lambd: λ ≥ 0 (default 0.5).

    Shape: any (*) -> the same shape.
    """

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:
        return F.softshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class Hardshrink(Module):
    """Hardshrink(x) = x where |x| > λ, 0 on [−λ, λ].

    Args:
        lambd: λ (default 0.5).

    Shape: any (*) -> the same shape.
    """

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:
        return F.hardshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class Threshold(Module):
    """Threshold(x) = x where x > threshold, else ``value``.

    Args:
        threshold: the value to compare with.
        value: the replacement at or below the threshold.
        inplace: write the result over the input and return the input, as PyTorch does.

    Shape: any (*) -> the same shape.
    """

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return _inplace(self.inplace, f"threshold={self.threshold}, value={self.value}")


class PReLU(Module):
    """PReLU(x) = x for x > 0, a·x otherwise, with a learnable slope a: one shared by all
    channels, or one per channel (dimension 1 of the input).

    Args:
        num_parameters: 1 (one shared slope, default) or the number of channels C.
        init: the initial slope (default 0.25).
        device: accepted for PyTorch compatibility: the CPU (another device raises
            ``DeviceError``).
        dtype: the weight's dtype (float32 by default).

    Attributes:
        weight: Parameter of shape (num_parameters,), filled with ``init``.

    Shape: any (*) -> the same shape; (N, C, *) when num_parameters = C.

    Example:
        >>> import chainrule
        >>> PReLU()(chainrule.tensor([-4.0, 2.0])).tolist()
        [-1.0, 2.0]
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        require_cpu(device, "PReLU")
        if not isinstance(num_parameters, (int, np.integer)) or num_parameters < 1:
            raise ValueError(f"PReLU: num_parameters must be a positive int, got "
                             f"{num_parameters!r}")
        self.num_parameters, self.init = int(num_parameters), init
        dtype = dtypes.default_float if dtype is None else dtypes.as_dtype(dtype)
        self.weight = Parameter(np.full((self.num_parameters,), init, dtype=dtype))

    def reset_parameters(self) -> None:
        """Fill the slopes with ``init`` again."""
        self.weight.data[...] = self.init

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


__all__ = [
    "Hardshrink", "Hardsigmoid", "Hardswish", "PReLU", "Softshrink", "Softsign", "Tanhshrink",
    "Threshold",
]
