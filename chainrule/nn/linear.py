"""Fully connected layers: ``Linear`` (y = xWᵀ + b), ``Bilinear`` (y = x₁ᵀAx₂ + b) and
``Identity``."""

from __future__ import annotations

import math
from typing import Any

from .. import functional as F
from ..creation import empty
from ..device import require_cpu
from ..tensor import Tensor
from . import init
from .module import Module
from .parameter import Parameter


class Identity(Module):
    """Returns its input unchanged (a placeholder in architectures); ignores any arguments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Tensor) -> Tensor:
        return x


class Linear(Module):
    """Affine map y = x Wᵀ + b (the fully connected layer of the classic derivation).

    Args:
        in_features: size of each input row.
        out_features: size of each output row.
        bias: if False, the layer has no additive bias.
        device: the CPU (another device raises ``DeviceError``), as a string or a device.
        dtype: parameter dtype (float32 by default).
        generator: random generator for the initialisation (default: package generator).

    Shape:
        x: (N, *, in_features)  ->  y: (N, *, out_features)

    Init: W and b ~ U(−1/√in_features, 1/√in_features), PyTorch's default (kaiming_uniform_
    with a = √5 for W).

    Example:
        >>> import chainrule
        >>> layer = chainrule.nn.Linear(4, 3)
        >>> layer(chainrule.randn(2, 4)).shape
        (2, 3)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None, generator: Any = None) -> None:
        super().__init__()
        require_cpu(device, "Linear")
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(empty(out_features, in_features, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: Any = None) -> None:
        """Draw fresh weights with PyTorch's default initialisation."""
        init.default_affine_(self.weight, self.bias, generator)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(*self._forward_arguments(x))

    def _forward_arguments(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor | None]:
        """(x, weight, bias) for ``functional.linear``, after checking that ``x`` has
        ``in_features`` in its last dimension: ``forward``'s first half, shared with the fused
        Linear + ReLU that ``nn.Sequential`` runs (``nn.fusion``), so both raise the same
        error."""
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"{self!r} expects inputs of shape (N, *, {self.in_features}) but got "
                f"{tuple(x.shape)}: the last dimension ({x.shape[-1] if x.ndim else 'none'}) "
                f"must equal in_features={self.in_features}. Hint: check the previous layer's "
                "output size, or flatten images first with nn.Flatten()"
            )
        params = self._parameters  # self.weight would go through Module.__getattr__: slower
        try:
            return x, params["weight"], params["bias"]
        except KeyError:  # deleted, or held elsewhere: the attribute lookup finds it or says so
            return x, self.weight, self.bias

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """Bilinear map y[…, o] = x₁ᵀ Wₒ x₂ + b[o]; see ``functional.bilinear``.

    Args:
        in1_features, in2_features: sizes of the last dimension of the two inputs.
        out_features: size of each output row.
        bias: if False, the layer has no additive bias.
        device: the CPU (another device raises ``DeviceError``), as a string or a device.
        dtype: parameter dtype (float32 by default).
        generator: random generator for the initialisation.

    Shape:
        x₁: (*, in1_features), x₂: (*, in2_features)  ->  y: (*, out_features)

    Init: W: (out_features, in1_features, in2_features) and b ~ U(−1/√in1_features,
    1/√in1_features), PyTorch's default.

    Example:
        >>> import chainrule
        >>> layer = chainrule.nn.Bilinear(3, 4, 2)
        >>> layer(chainrule.randn(5, 3), chainrule.randn(5, 4)).shape
        (5, 2)
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device: Any = None, dtype: Any = None,
                 generator: Any = None) -> None:
        super().__init__()
        require_cpu(device, "Bilinear")
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        self.weight = Parameter(empty(out_features, in1_features, in2_features, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: Any = None) -> None:
        """W and b ~ U(−1/√in1_features, 1/√in1_features)."""
        bound = 1.0 / math.sqrt(self.weight.shape[1]) if self.weight.shape[1] else 0.0
        init.uniform_(self.weight, -bound, bound, generator)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound, generator)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
