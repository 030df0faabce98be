"""Activation layers: thin modules over ``chainrule.functional`` with PyTorch's constructor
arguments, defaults and reprs.

``inplace=True`` (shown in the repr) writes the result over the input and returns the input, as
in PyTorch (``methods.inplace``'s rules: a leaf that requires grad, or a recorded view of another
tensor's memory, is refused).
"""

from __future__ import annotations

import warnings

from .. import functional as F
from ..tensor import Tensor
from .module import Module


def _inplace(inplace: bool, lead: str = "") -> str:
    """PyTorch's repr fragment: the settings, then ', inplace=True' only when it is set."""
    if not inplace:
        return lead
    return f"{lead}, inplace=True" if lead else "inplace=True"


class _Elementwise(Module):
    """An activation whose only setting is PyTorch's ``inplace``: ``function`` is the
    functional form it applies."""

    function = staticmethod(F.relu)

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return self.function(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return _inplace(self.inplace)


class ReLU(_Elementwise):
    """ReLU(x) = max(x, 0), elementwise.

    Args:
        inplace: write the result over the input and return the input, as PyTorch does.

    Shape: any (*) -> the same shape.

    Example:
        >>> import chainrule
        >>> ReLU()(chainrule.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """

    function = staticmethod(F.relu)


class LeakyReLU(Module):
    """LeakyReLU(x) = x for x > 0, negative_slope·x otherwise.

    Args:
        negative_slope: slope for negative inputs (default 0.01).
        inplace: write the result over the input and return the input, as PyTorch does.

    Shape: any (*) -> the same shape.
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return _inplace(self.inplace, f"negative_slope={self.negative_slope}")


class ELU(Module):
    """ELU(x) = x for x > 0, alpha·(eˣ − 1) otherwise.

    Args:
        alpha: the value ELU approaches for large negative inputs is −alpha (default 1.0).
        inplace: write the result over the input and return the input, as PyTorch does.

    Shape: any (*) -> the same shape.
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return _inplace(self.inplace, f"alpha={self.alpha}")


class GELU(Module):
    """GELU(x) = x·Φ(x), Φ the standard normal CDF (exact, through erf), or its tanh
    approximation 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))) with ``approximate='tanh'``.

    Args:
        approximate: 'none' (exact, the default) or 'tanh'.

    Shape: any (*) -> the same shape.
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(_Elementwise):
    """SiLU(x) = x·σ(x) (swish).

    Args:
        inplace: write the result over the input and return the input, as PyTorch does.

    Shape: any (*) -> the same shape.
    """

    function = staticmethod(F.silu)


class Sigmoid(Module):
    """σ(x) = 1 / (1 + e⁻ˣ), computed without overflow.   Shape: (*) -> (*)."""

    def forward(self, input: Tensor) -> Tensor:
        return input.sigmoid()


class Tanh(Module):
    """tanh(x), elementwise.   Shape: (*) -> (*)."""

    def forward(self, input: Tensor) -> Tensor:
        return input.tanh()


class Softplus(Module):
    """Softplus(x) = (1/β)·log(1 + e^(βx)), and x where βx > threshold.

    Args:
        beta: the sharpness β (default 1.0).
        threshold: above βx = threshold the function is taken as linear (default 20.0).

    Shape: any (*) -> the same shape.
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class _AlongDim(Module):
    """A normalisation along one dimension (``dim``, None for PyTorch's implicit choice):
    ``function`` is the functional form it applies."""

    function = staticmethod(F.softmax)

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return self.function(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_AlongDim):
    """Softmax(x)ᵢ = e^(xᵢ) / Σⱼ e^(xⱼ) along ``dim`` (max-shifted, never overflows).

    Args:
        dim: the dimension that sums to 1. None makes PyTorch's deprecated implicit choice
            (0 for 0-, 1- and 3-dimensional inputs, 1 otherwise), with its warning.

    Shape: any (*) -> the same shape.

    Example:
        >>> import chainrule
        >>> Softmax(dim=1)(chainrule.zeros(1, 4))
        tensor([[0.2500, 0.2500, 0.2500, 0.2500]])
    """

    function = staticmethod(F.softmax)


class LogSoftmax(_AlongDim):
    """LogSoftmax(x)ᵢ = xᵢ − log Σⱼ e^(xⱼ) along ``dim`` (finite for logits of ±1000).

    Args:
        dim: as for ``Softmax``.

    Shape: any (*) -> the same shape.
    """

    function = staticmethod(F.log_softmax)


class Hardtanh(Module):
    """HardTanh(x) = min(max(x, min_val), max_val); gradient 0 at and beyond the bounds.

    Args:
        min_val: lower bound (default −1).
        max_val: upper bound (default 1).
        inplace: write the result over the input and return the input, as PyTorch does.
        min_value: deprecated alias of ``min_val`` (PyTorch's, with its warning).
        max_value: deprecated alias of ``max_val``.

    Shape: any (*) -> the same shape.
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False,
                 min_value: float | None = None, max_value: float | None = None) -> None:
        super().__init__()
        if min_value is not None or max_value is not None:
            warnings.warn("keyword arguments min_value and max_value are deprecated; use "
                          "min_val and max_val instead", DeprecationWarning, stacklevel=2)
            min_val = min_val if min_value is None else min_value
            max_val = max_val if max_value is None else max_value
        if min_val > max_val:
            raise ValueError(f"Hardtanh: min_val ({min_val}) cannot be greater than max_val "
                             f"({max_val})")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return _inplace(self.inplace, f"min_val={self.min_val}, max_val={self.max_val}")


class ReLU6(Hardtanh):
    """ReLU6(x) = min(max(x, 0), 6), that is Hardtanh(0, 6).

    Args:
        inplace: write the result over the input and return the input, as PyTorch does.

    Shape: any (*) -> the same shape.
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _inplace(self.inplace)


class CELU(Module):
    """CELU(x) = x for x > 0, alpha·(e^(x/alpha) − 1) otherwise.

    Args:
        alpha: alpha ≠ 0 (default 1.0).
        inplace: write the result over the input and return the input, as PyTorch does.

    Shape: any (*) -> the same shape.
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.celu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return _inplace(self.inplace, f"alpha={self.alpha}")


class SELU(_Elementwise):
    """SELU(x) = scale·(x for x > 0, α·(eˣ − 1) otherwise), α ≈ 1.6733, scale ≈ 1.0507.

    Args:
        inplace: write the result over the input and return the input, as PyTorch does.

    Shape: any (*) -> the same shape.
    """

    function = staticmethod(F.selu)


class Mish(_Elementwise):
    """Mish(x) = x·tanh(softplus(x)).

    Args:
        inplace: write the result over the input and return the input, as PyTorch does.

    Shape: any (*) -> the same shape.
    """

    function = staticmethod(F.mish)


class LogSigmoid(Module):
    """log σ(x) = −softplus(−x), finite for any x.   Shape: (*) -> (*)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.logsigmoid(input)


class Softmin(_AlongDim):
    """Softmin(x)ᵢ = e^(−xᵢ) / Σⱼ e^(−xⱼ) along ``dim`` (softmax of −x).

    Args:
        dim: as for ``Softmax``.

    Shape: any (*) -> the same shape.
    """

    function = staticmethod(F.softmin)


class GLU(Module):
    """GLU(a, b) = a ⊙ σ(b), a and b the two halves of the input along ``dim``.

    Args:
        dim: the dimension that is halved (default −1).

    Shape: (*, 2k, *) -> (*, k, *).
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


__all__ = [
    "CELU", "ELU", "GELU", "GLU", "Hardtanh", "LeakyReLU", "LogSigmoid", "LogSoftmax", "Mish",
    "ReLU", "ReLU6", "SELU", "SiLU", "Sigmoid", "Softmax", "Softmin", "Softplus", "Tanh",
]


class RReLU(Module):
    """Randomized leaky ReLU: x for x > 0, a·x otherwise, with a ~ U(lower, upper) drawn per
    element while training and a = (lower + upper)/2 in eval mode; see
    ``chainrule.functional.rrelu``.

    Args:
        lower, upper: the range of the random slopes (lower ≤ upper).
        inplace: write the result over the input and return the input, as PyTorch does.
        generator: (keyword) random generator for the slopes (default: package generator).

    Shape: any (*) -> the same shape.

    Example:
        >>> import chainrule
        >>> RReLU(0.1, 0.3).eval()(chainrule.tensor([-1.0, 2.0]))
        tensor([-0.2000,  2.0000])
    """

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False,
                 *, generator: object = None) -> None:
        super().__init__()
        self.lower, self.upper, self.inplace, self.generator = lower, upper, inplace, generator

    def forward(self, input: Tensor) -> Tensor:
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace,
                       generator=self.generator)

    def extra_repr(self) -> str:
        return _inplace(self.inplace, f"lower={self.lower}, upper={self.upper}")


class Softmax2d(Module):
    """Softmax over the channels at every position: the C values of x[n, :, h, w] sum to 1.

    Shape:
        (N, C, H, W) or (C, H, W)  ->  the same shape (softmax along dim −3)

    Example:
        >>> import chainrule
        >>> Softmax2d()(chainrule.randn(2, 3, 4, 4)).sum(1).allclose(chainrule.ones(2, 4, 4))
        True
    """

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, "
                             f"got shape {tuple(input.shape)}")
        return F.softmax(input, -3)
