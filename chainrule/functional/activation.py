"""Activation functions with PyTorch's names, arguments and edge conventions.

All but exact GELU are composites of existing ops and need no backward of their own
(docs/architecture.md, "Adding an op"); exact GELU wraps the ``ops.activation.Gelu`` Function,
since NumPy has no erf.

Conventions at kinks follow PyTorch and are tested: relu'(0) = 0, leaky_relu'(0) =
negative_slope, elu'(0) = alpha, celu'(0) = 1, selu'(0) = scale·alpha, and hardtanh (so
relu6) has gradient 0 at and beyond its bounds. The piecewise family (hardswish, shrinkage,
threshold, prelu) is in ``piecewise.py``. ``inplace=True`` writes the result over the input and
returns the input, as in PyTorch, by the rules of ``methods.inplace`` (recorded for autograd;
a leaf that requires grad, or a recorded view of another tensor's memory, is refused).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from .. import dtypes, grad_mode, kernels
from ..methods.inplace import inplace as write_over
from ..methods.math import where
from ..methods.reduce import normalize_dim
from ..ops.activation import Gelu
from ..tensor import Tensor

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _floating(x: Tensor) -> Tensor:
    """``x``, or a float32 copy of an integer tensor."""
    return x if dtypes.is_floating(x.dtype) else x.to(dtypes.default_float)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """ReLU(x) = max(x, 0); the gradient at 0 is 0.

    Args:
        input: any tensor.
        inplace: write the result over ``input`` and return ``input`` (as ``relu_``).

    Shape: any (*) -> the same shape.

    Example:
        >>> import chainrule
        >>> relu(chainrule.tensor([-1.0, 0.0, 2.0]))
        tensor([0., 0., 2.])
    """
    if inplace:
        return input.relu_()
    if isinstance(input, Tensor) and not (input.requires_grad and grad_mode.is_grad_enabled()) \
            and input.data.dtype.kind != "b":
        return Tensor._const(kernels.relu(input.data))  # nothing to record: ``Relu``'s forward
    return input.relu()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """LeakyReLU(x) = x for x > 0, negative_slope·x otherwise (gradient negative_slope at 0).

    Args:
        input: any tensor (integer inputs are converted to float32).
        negative_slope: the slope for x ≤ 0 (default 0.01).
        inplace: write the result over ``input`` and return ``input`` (as ``leaky_relu_``).

    Shape: any (*) -> the same shape.

    Example:
        >>> import chainrule
        >>> leaky_relu(chainrule.tensor([-2.0, 3.0]), 0.5)
        tensor([-1.,  3.])
    """
    if inplace:
        return write_over(input, "leaky_relu_", leaky_relu, negative_slope)
    x = _floating(input)
    return where(x > 0, x, x * negative_slope)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """ELU(x) = x for x > 0, alpha·(eˣ − 1) otherwise (gradient alpha at 0, as in PyTorch).

    The exponential sees min(x, 0), so large positive inputs cannot overflow in the branch
    that ``where`` discards (whose zero gradient would otherwise meet an inf and give NaN).

    Args:
        input: any tensor (integer inputs are converted to float32).
        alpha: ELU tends to −alpha for large negative x (default 1.0).
        inplace: write the result over ``input`` and return ``input`` (as ``elu_``).

    Shape: any (*) -> the same shape.

    Example:
        >>> import chainrule
        >>> elu(chainrule.tensor([0.0, 2.0]))
        tensor([0., 2.])
    """
    if inplace:
        return write_over(input, "elu_", elu, alpha)
    x = _floating(input)
    return where(x > 0, x, (x.clamp(max=0.0).exp() - 1.0) * alpha)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """HardTanh(x) = min(max(x, min_val), max_val); the gradient is 1 strictly inside the
    bounds and 0 at and beyond them (PyTorch's rule).

    Args:
        input: any tensor (integer inputs are converted to float32).
        min_val: lower bound (default −1).
        max_val: upper bound (default 1), at least min_val.
        inplace: write the result over ``input`` and return ``input`` (as ``hardtanh_``).

    Shape: any (*) -> the same shape.

    Example:
        >>> import chainrule
        >>> hardtanh(chainrule.tensor([-3.0, 0.5, 3.0]))
        tensor([-1.0000,  0.5000,  1.0000])
    """
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val "
                         f"({max_val})")
    if inplace:
        return write_over(input, "hardtanh_", hardtanh, min_val, max_val)
    x = _floating(input)
    inside = (x > min_val) & (x < max_val)
    return where(inside, x, x.detach().clamp(min_val, max_val))


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """ReLU6(x) = min(max(x, 0), 6), which is hardtanh(x, 0, 6).

    Args:
        input: any tensor (integer inputs are converted to float32).
        inplace: write the result over ``input`` and return ``input`` (as ``relu6_``).

    Shape: any (*) -> the same shape.

    Example:
        >>> import chainrule
        >>> relu6(chainrule.tensor([-1.0, 3.0, 9.0]))
        tensor([0., 3., 6.])
    """
    if inplace:
        return write_over(input, "relu6_", relu6)
    return hardtanh(input, 0.0, 6.0)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """GELU(x) = x·Φ(x), Φ the standard normal CDF; with ``approximate='tanh'``,
    0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).

    The exact form is one fused node (``ops.activation.Gelu``, derivative Φ(x) + x·φ(x)); the
    tanh form is a composite.

    Args:
        input: any tensor (integer inputs are converted to float32).
        approximate: 'none' (exact, default) or 'tanh'.

    Shape: any (*) -> the same shape.

    Example:
        >>> import chainrule
        >>> [round(v, 4) for v in gelu(chainrule.tensor([-1.0, 0.0, 1.0])).tolist()]
        [-0.1587, 0.0, 0.8413]
    """
    x = _floating(input)
    if approximate == "none":
        return Gelu.apply(x)
    if approximate == "tanh":
        inner = (x + x * x * x * 0.044715) * _SQRT_2_OVER_PI
        return x * 0.5 * (inner.tanh() + 1.0)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """SiLU(x) = x·σ(x) (also called swish); derivative σ(x)(1 + x(1 − σ(x))).

    Args:
        input: any tensor (integer inputs are converted to float32).
        inplace: write the result over ``input`` and return ``input`` (as ``silu_``).

    Shape: any (*) -> the same shape.

    Example:
        >>> import chainrule
        >>> [round(v, 4) for v in silu(chainrule.tensor([-1.0, 0.0, 1.0])).tolist()]
        [-0.2689, 0.0, 0.7311]
    """
    if inplace:
        return write_over(input, "silu_", silu)
    x = _floating(input)
    return x * x.sigmoid()


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """Softplus(x) = (1/β)·log(1 + e^(βx)), and x itself where βx > threshold (PyTorch's
    linear regime, where the two agree to float precision); derivative σ(βx) (1 above it).

    Args:
        input: any tensor (integer inputs are converted to float32).
        beta: β, the sharpness (default 1).
        threshold: above βx = threshold the result is x itself (default 20).

    Shape: any (*) -> the same shape.

    Example:
        >>> import chainrule
        >>> [round(v, 4) for v in softplus(chainrule.tensor([0.0, 30.0])).tolist()]
        [0.6931, 30.0]
    """
    x = _floating(input)
    scaled = x if beta == 1 else x * beta
    smooth = scaled.softplus() if beta == 1 else scaled.softplus() / beta
    return where(scaled > threshold, x, smooth)


def _implicit_dim(name: str, ndim: int, stacklevel: int) -> int:
    """PyTorch's legacy choice of softmax dimension when none is given (with its warning)."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """Softmax(x)ᵢ = e^(xᵢ) / Σⱼ e^(xⱼ) along ``dim``, max-shifted so it never overflows.

    Args:
        input: any floating tensor.
        dim: the dimension along which the result sums to 1. Without it PyTorch's deprecated
            implicit choice (0 for 0-, 1- and 3-dimensional inputs, else 1) is made, with its
            warning.
        _stacklevel: where that warning points (PyTorch's argument).
        dtype: if given, the input is converted to it first.

    Shape: any (*) -> the same shape.

    Example:
        >>> import chainrule
        >>> softmax(chainrule.tensor([[0.0, 0.0]]), dim=1)
        tensor([[0.5000, 0.5000]])
    """
    if dim is None:
        dim = _implicit_dim("softmax", input.ndim, _stacklevel)
    x = input if dtype is None else input.to(dtype)
    return x.softmax(dim)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype: Any = None) -> Tensor:
    """LogSoftmax(x)ᵢ = xᵢ − log Σⱼ e^(xⱼ) along ``dim`` (max-shifted, finite for ±1000).

    Args:
        input: any floating tensor.
        dim: the dimension to normalise over (a missing ``dim`` as in ``softmax``).
        _stacklevel: where the implicit-dim warning points.
        dtype: if given, the input is converted to it first.

    Shape: any (*) -> the same shape.

    Example:
        >>> import chainrule
        >>> log_softmax(chainrule.tensor([[0.0, 0.0]]), dim=1).exp()
        tensor([[0.5000, 0.5000]])
    """
    if dim is None:
        dim = _implicit_dim("log_softmax", input.ndim, _stacklevel)
    x = input if dtype is None else input.to(dtype)
    return x.log_softmax(dim)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """Softmin(x)ᵢ = e^(−xᵢ) / Σⱼ e^(−xⱼ) along ``dim``: softmax of −x (max-shifted, finite
    for ±1000).

    Args:
        input: any floating tensor.
        dim: the dimension that sums to 1 (a missing ``dim`` as in ``softmax``).
        _stacklevel: where the implicit-dim warning points.
        dtype: if given, the input is converted to it first.

    Shape: any (*) -> the same shape.

    Example:
        >>> import chainrule
        >>> softmin(chainrule.tensor([[0.0, 0.0]]), dim=1)
        tensor([[0.5000, 0.5000]])
    """
    if dim is None:
        dim = _implicit_dim("softmin", input.ndim, _stacklevel)
    x = input if dtype is None else input.to(dtype)
    return (-x).softmax(dim)


def logsigmoid(input: Tensor) -> Tensor:
    """LogSigmoid(x) = log σ(x) = −softplus(−x); derivative σ(−x) = 1 − σ(x).

    Computed through the stable softplus max(−x, 0) + log1p(e^(−|x|)), so it is finite for
    any x (−x itself for large negative x, where log(σ(x)) would give −inf).

    Args:
        input: any tensor (integer inputs are converted to float32).

    Shape: any (*) -> the same shape.

    Example:
        >>> import chainrule
        >>> logsigmoid(chainrule.tensor([-1000.0, 0.0])).tolist()[0]
        -1000.0
    """
    return -(-_floating(input)).softplus()


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """SELU(x) = scale·(x for x > 0, α·(eˣ − 1) otherwise), with PyTorch's constants
    α = 1.6732632423543772 and scale = 1.0507009873554805 (gradient scale·α at 0).

    Args:
        input: any tensor (integer inputs are converted to float32).
        inplace: write the result over ``input`` and return ``input`` (as ``selu_``).

    Shape: any (*) -> the same shape.

    Example:
        >>> import chainrule
        >>> selu(chainrule.tensor([1.0], dtype=chainrule.float64)).tolist()
        [1.0507009873554805]
    """
    if inplace:
        return write_over(input, "selu_", selu)
    return elu(input, _SELU_ALPHA) * _SELU_SCALE


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """CELU(x) = x for x > 0, α·(e^(x/α) − 1) otherwise (gradient 1 at 0, as in PyTorch).

    Args:
        input: any tensor (integer inputs are converted to float32).
        alpha: α ≠ 0 (default 1.0).
        inplace: write the result over ``input`` and return ``input`` (as ``celu_``).

    Shape: any (*) -> the same shape.

    Example:
        >>> import chainrule
        >>> celu(chainrule.tensor([0.0, 2.0]))
        tensor([0., 2.])
    """
    if alpha == 0:
        raise RuntimeError("celu: alpha cannot be 0 (it divides the input)")
    if inplace:
        return write_over(input, "celu_", celu, alpha)
    x = _floating(input)
    return where(x > 0, x, ((x.clamp(max=0.0) * (1.0 / alpha)).exp() - 1.0) * alpha)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """Mish(x) = x·tanh(softplus(x)), smooth everywhere (derivative 0.6 at 0); the stable
    softplus keeps it finite for large |x| (x for large x, 0 for large negative x).

    Args:
        input: any tensor (integer inputs are converted to float32).
        inplace: write the result over ``input`` and return ``input`` (as ``mish_``).

    Shape: any (*) -> the same shape.

    Example:
        >>> import chainrule
        >>> mish(chainrule.tensor([0.0, 100.0]))
        tensor([  0., 100.])
    """
    if inplace:
        return write_over(input, "mish_", mish)
    x = _floating(input)
    return x * x.softplus().tanh()


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """GLU(a, b) = a ⊙ σ(b), where a and b are the first and second halves of the input
    along ``dim``.

    Args:
        input: a floating tensor whose size along ``dim`` is even.
        dim: the dimension that is halved (default −1).

    Shape: (*, 2k, *) -> (*, k, *).

    Example:
        >>> import chainrule
        >>> glu(chainrule.tensor([[2.0, 0.0]]))
        tensor([[1.]])
    """
    if input.ndim == 0:
        raise RuntimeError("glu: a 0-dimensional tensor cannot be halved; glu needs a "
                           "dimension of even size")
    axis = normalize_dim(dim, input.ndim)
    if input.shape[axis] % 2:
        raise RuntimeError(f"glu: halving dimension must be even, but dimension {dim} is size "
                           f"{input.shape[axis]}")
    a, b = _floating(input).chunk(2, axis)
    return a * b.sigmoid()


__all__ = [
    "celu", "elu", "gelu", "glu", "hardtanh", "leaky_relu", "log_softmax", "logsigmoid", "mish",
    "relu", "relu6", "selu", "silu", "softmax", "softmin", "softplus",
]
