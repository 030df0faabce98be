"""The in-place activations of ``torch.nn.functional``: ``relu_``, ``elu_``, ``leaky_relu_``,
``hardtanh_``, ``threshold_``, ``selu_``, ``celu_``.

Each is its activation with ``inplace=True``: it overwrites its input with the result and
returns the input, by the rules of ``methods.inplace`` (the change is recorded in the graph when
grad mode is on; a leaf that requires grad, or a graph tensor that views another's memory, is
refused with a RuntimeError).
"""

from __future__ import annotations

from ..tensor import Tensor
from . import piecewise
from .activation import celu, elu, hardtanh, leaky_relu, selu


def relu_(input: Tensor) -> Tensor:
    """``input`` ← max(input, 0), in place; returns ``input``.

    Example:
        >>> import chainrule
        >>> x = chainrule.tensor([-1.0, 2.0])
        >>> relu_(x) is x, x.tolist()
        (True, [0.0, 2.0])
    """
    return input.relu_()


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """``input`` ← elu(input, alpha), in place; returns ``input``."""
    return elu(input, alpha, inplace=True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """``input`` ← leaky_relu(input, negative_slope), in place; returns ``input``."""
    return leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """``input`` ← hardtanh(input, min_val, max_val), in place; returns ``input``."""
    return hardtanh(input, min_val, max_val, inplace=True)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """``input`` ← threshold(input, threshold, value), in place; returns ``input``."""
    return piecewise.threshold(input, threshold, value, inplace=True)


def selu_(input: Tensor) -> Tensor:
    """``input`` ← selu(input), in place; returns ``input``."""
    return selu(input, inplace=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """``input`` ← celu(input, alpha), in place; returns ``input``."""
    return celu(input, alpha, inplace=True)
