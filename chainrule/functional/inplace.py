"""The in-place activations of ``torch.nn.functional``: ``relu_``, ``elu_``, ``leaky_relu_``,
``hardtanh_``, ``threshold_``, ``selu_``, ``celu_``.

Each overwrites its input with the out-of-place activation and returns the input, by the rules
of ``methods.inplace`` (the change is recorded in the graph when grad mode is on; a leaf that
requires grad, or a graph tensor that views another's memory, is refused with a RuntimeError).
"""

from __future__ import annotations

from ..methods.inplace import inplace
from ..tensor import Tensor
from . import piecewise
from .activation import celu, elu, hardtanh, leaky_relu, relu, selu


def relu_(input: Tensor) -> Tensor:
    """``input`` ← max(input, 0), in place; returns ``input``.

    Example:
        >>> import chainrule
        >>> x = chainrule.tensor([-1.0, 2.0])
        >>> relu_(x) is x, x.tolist()
        (True, [0.0, 2.0])
    """
    return inplace(input, "relu_", relu)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """``input`` ← elu(input, alpha), in place; returns ``input``."""
    return inplace(input, "elu_", lambda x: elu(x, alpha))


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """``input`` ← leaky_relu(input, negative_slope), in place; returns ``input``."""
    return inplace(input, "leaky_relu_", lambda x: leaky_relu(x, negative_slope))


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """``input`` ← hardtanh(input, min_val, max_val), in place; returns ``input``."""
    return inplace(input, "hardtanh_", lambda x: hardtanh(x, min_val, max_val))


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """``input`` ← threshold(input, threshold, value), in place; returns ``input``."""
    return inplace(input, "threshold_", lambda x: piecewise.threshold(x, threshold, value))


def selu_(input: Tensor) -> Tensor:
    """``input`` ← selu(input), in place; returns ``input``."""
    return inplace(input, "selu_", selu)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """``input`` ← celu(input, alpha), in place; returns ``input``."""
    return inplace(input, "celu_", lambda x: celu(x, alpha))
