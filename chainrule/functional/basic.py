"""Elementwise math, reductions and the fused linear map, as functions.

Most functions are thin wrappers over Tensor methods, so ``F.relu(x)`` and ``x.relu()`` are
the same operation; ``linear`` wraps the fused ``Linear`` Function and checks its shapes.
"""

from __future__ import annotations

from typing import Any

from .. import dtypes, grad_mode
from ..methods.math import where
from ..methods.shape import cat, pad, stack
from ..ops import linalg
from ..tensor import Tensor, apply


def exp(x: Tensor) -> Tensor:
    return x.exp()


def log(x: Tensor) -> Tensor:
    return x.log()


def log1p(x: Tensor) -> Tensor:
    return x.log1p()


def sqrt(x: Tensor) -> Tensor:
    return x.sqrt()


def rsqrt(x: Tensor) -> Tensor:
    return x.rsqrt()


def abs(x: Tensor) -> Tensor:  # noqa: A001 - PyTorch's name
    return x.abs()


def sign(x: Tensor) -> Tensor:
    return x.sign()


def sin(x: Tensor) -> Tensor:
    return x.sin()


def cos(x: Tensor) -> Tensor:
    return x.cos()


def tanh(input: Tensor) -> Tensor:
    """tanh(x); derivative 1 − tanh²(x)."""
    return input.tanh()


def sigmoid(input: Tensor) -> Tensor:
    """σ(x) = 1/(1 + e⁻ˣ), computed without overflow; derivative σ(x)(1 − σ(x))."""
    return input.sigmoid()


def clamp(x: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    return x.clamp(min, max)


clip = clamp


def maximum(a: Tensor, b: Any) -> Tensor:
    return a.maximum(b)


def minimum(a: Tensor, b: Any) -> Tensor:
    return a.minimum(b)


def pow(x: Tensor, exponent: Any) -> Tensor:  # noqa: A001
    return x.pow(exponent)


def matmul(a: Tensor, b: Any) -> Tensor:
    return a.matmul(b)


def logsumexp(x: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    return x.logsumexp(dim, keepdim)


def sum(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    return x.sum(dim, keepdim)


def mean(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return x.mean(dim, keepdim)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x Wᵀ + b, with x: (…, in_features), W: (out_features, in_features), b: (out,).

    One fused graph node (see ``ops.linalg.Linear`` for the derivation).

    Example:
        >>> import chainrule
        >>> x, w = chainrule.ones(2, 3), chainrule.ones(4, 3)
        >>> linear(x, w, chainrule.zeros(4)).shape
        (2, 4)
    """
    check_linear(x, weight)
    if not _records(x, weight, bias):  # inference: no graph node, no Context
        return Tensor._const(linalg.affine(x.data, weight.data,
                                           None if bias is None else bias.data))
    if bias is None:
        return apply(linalg.Linear, x, weight)
    return apply(linalg.Linear, x, weight, bias)


def linear_relu(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """relu(linear(x, weight, bias)) as one graph node (``ops.linalg.LinearReLU``, where the
    derivation is): the same values and gradients as the two calls, with one node and one
    array fewer. ``nn.Sequential`` runs a Linear layer directly followed by a ReLU this way
    (``nn.fusion``). Not a PyTorch name."""
    check_linear(x, weight)
    if not _records(x, weight, bias):
        return Tensor._const(linalg.affine_relu(x.data, weight.data,
                                                None if bias is None else bias.data))
    if bias is None:
        return apply(linalg.LinearReLU, x, weight)
    return apply(linalg.LinearReLU, x, weight, bias)


def check_linear(x: Any, weight: Any) -> None:
    """Raise for an input (a Tensor or an array) whose last dimension or dtype does not fit
    ``weight``."""
    if x.ndim == 0 or x.shape[-1] != weight.shape[-1]:
        raise ValueError(
            f"linear: the input has {x.shape[-1] if x.ndim else 0} features (shape "
            f"{tuple(x.shape)}) but the weight of shape {tuple(weight.shape)} expects "
            f"in_features={weight.shape[-1]}"
        )
    if x.dtype != weight.dtype:
        hint = ".float()" if weight.dtype == dtypes.float32 else f".to({weight.dtype.name})"
        raise TypeError(f"linear: the input is {x.dtype} but the weight is {weight.dtype}; "
                        f"convert the input with {hint}")


def _records(x: Any, weight: Any, bias: Any) -> bool:
    """Whether ``linear`` must go through ``apply``: grad mode is on and an input requires
    grad (the graph records it), or an input is not a Tensor (``apply`` converts it)."""
    if not (isinstance(x, Tensor) and isinstance(weight, Tensor)
            and (bias is None or isinstance(bias, Tensor))):
        return True
    return grad_mode.is_grad_enabled() and (
        x.requires_grad or weight.requires_grad or (bias is not None and bias.requires_grad))


__all__ = [
    "abs", "cat", "clamp", "clip", "cos", "exp", "linear", "log", "log1p",
    "logsumexp", "matmul", "maximum", "mean", "minimum", "pad", "pow", "rsqrt",
    "sigmoid", "sign", "sin", "sqrt", "stack", "sum", "tanh", "where",
]
