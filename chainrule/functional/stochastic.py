"""Random activations and the self-normalising dropouts: ``rrelu`` (and ``rrelu_``),
``gumbel_softmax``, ``alpha_dropout``, ``feature_alpha_dropout``, and ``dropout3d``.

All are composites of existing ops with a constant random array drawn from the package
generator (``chainrule.manual_seed``) or the ``generator`` given; the gradient flows through
the ops, so none needs a backward of its own. ``inplace=True`` writes the result over the
input and returns the input, as in PyTorch (``methods.inplace``'s rules).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import dtypes
from ..methods.inplace import inplace as _inplace
from ..methods.reduce import normalize_dim
from ..random import resolve
from ..tensor import Tensor
from .activation import leaky_relu, softmax
from .channel_dropout import _channel_dropout, _check_p

# SELU's saturation value −scale·alpha: alpha dropout sets dropped units to it, the value a
# SELU network's activations tend to for large negative inputs.
_ALPHA_PRIME = 1.0507009873554804934193349852946 * 1.6732632423543772848170429916717


def _require_floating(name: str, x: Tensor) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(x).__name__}")
    if not dtypes.is_floating(x.dtype):
        raise TypeError(f"{name}: expected a floating-point input, got {x.dtype}; convert it "
                        "with .float() first")


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
          training: bool = False, inplace: bool = False, *, generator: Any = None) -> Tensor:
    """Randomized leaky ReLU: x for x > 0, a·x otherwise.

    Training: a ~ U(lower, upper), drawn for every element (from the package generator, or
    ``generator``); the gradient is 1 where x > 0 and that element's a elsewhere (at 0 too,
    as in PyTorch). Not training: the fixed slope a = (lower + upper)/2, i.e.
    ``leaky_relu(x, (lower + upper)/2)``.

    Args:
        input: a floating-point tensor.
        lower, upper: the range of the random slopes (lower ≤ upper).
        training: draw random slopes; otherwise use their mean.
        inplace: write the result over ``input`` and return ``input`` (as ``rrelu_``).
        generator: (keyword) random generator for the slopes (default: package generator).

    Shape: any (*) -> the same shape.

    Example:
        >>> import chainrule
        >>> rrelu(chainrule.tensor([-3.0, 2.0]), 0.1, 0.3)
        tensor([-0.6000,  2.0000])
    """
    _require_floating("rrelu", input)
    if lower > upper:
        raise ValueError(f"rrelu: lower ({lower}) must be at most upper ({upper})")
    if inplace:
        return rrelu_(input, lower, upper, training, generator=generator)
    if not training:
        return leaky_relu(input, (lower + upper) / 2)
    slopes = resolve(generator).uniform(lower, upper, input.shape).astype(input.dtype)
    factor = np.where(input.data <= 0, slopes, np.ones((), input.dtype))
    return input * Tensor._const(factor)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False, *, generator: Any = None) -> Tensor:
    """``input`` ← rrelu(input, lower, upper, training), in place; returns ``input``."""
    return _inplace(input, "rrelu_",
                    lambda x: rrelu(x, lower, upper, training, generator=generator))


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1, *, generator: Any = None) -> Tensor:
    """A differentiable sample from the categorical distribution softmax(logits) along ``dim``:
    y = softmax((logits + g)/tau) with g = −log(E), E ~ Exp(1), i.i.d. Gumbel noise.

    With ``hard=True`` the result is the one-hot vector of y's argmax in value, with y's
    gradient (the straight-through estimator: one_hot − y.detach() + y).

    Args:
        logits: unnormalised log-probabilities (floating point).
        tau: the temperature (> 0); small values give nearly one-hot samples.
        hard: return one-hot samples with the soft samples' gradient.
        eps: deprecated and unused, as in PyTorch (a value other than the default warns).
        dim: the categories' dimension.
        generator: (keyword) random generator for the noise (default: package generator).

    Shape: any (*) -> the same shape.

    Example:
        >>> import chainrule
        >>> y = gumbel_softmax(chainrule.randn(4, 5), hard=True)
        >>> y.sum(-1).tolist()
        [1.0, 1.0, 1.0, 1.0]
    """
    _require_floating("gumbel_softmax", logits)
    if eps != 1e-10:
        warnings.warn("gumbel_softmax: the eps parameter is deprecated and has no effect (as in "
                      "PyTorch)", UserWarning, stacklevel=2)
    if logits.ndim == 0:
        raise ValueError("gumbel_softmax: expected a tensor with a categories dimension, got a "
                         "0-D tensor")
    axis = normalize_dim(dim, logits.ndim)
    gumbels = -np.log(resolve(generator).exponential(size=logits.shape)).astype(logits.dtype)
    soft = softmax((logits + Tensor._const(gumbels)) / tau, axis)
    if not hard:
        return soft
    index = np.expand_dims(np.argmax(soft.data, axis=axis), axis)
    one_hot = np.zeros_like(soft.data)
    np.put_along_axis(one_hot, index, 1.0, axis=axis)
    return Tensor._const(one_hot) - soft.detach() + soft


def _alpha_dropout(name: str, x: Tensor, p: float, training: bool, feature: bool,
                   generator: Any, inplace: bool = False) -> Tensor:
    """y = a·(x·m + α′(m − 1)) + a·α′·p with m ~ Bernoulli(1 − p) and
    a = ((α′²p + 1)(1 − p))^(−1/2): dropped units take SELU's saturation value, and the affine
    correction keeps zero mean and unit variance (PyTorch's formula). ``feature`` draws one m
    per channel x[n, c, ...]."""
    _check_p(p)
    if not training or p == 0.0 or x.numel() == 0:
        return x
    _require_floating(name, x)
    if inplace:
        return _inplace(x, f"{name}(inplace=True)",
                        lambda t: _alpha_dropout(name, t, p, True, feature, generator))
    if feature and x.ndim < 2:
        raise ValueError(f"{name}: feature dropout needs an input of at least 2 dims (N, C, *), "
                         f"got shape {tuple(x.shape)}")
    if p == 1.0:
        return x * 0.0
    shape = tuple(x.shape[:2]) + (1,) * (x.ndim - 2) if feature else tuple(x.shape)
    keep = (resolve(generator).random(shape) >= p).astype(x.dtype)
    a = 1.0 / math.sqrt((_ALPHA_PRIME ** 2 * p + 1) * (1 - p))
    shift = (keep - 1) * (_ALPHA_PRIME * a) + _ALPHA_PRIME * a * p
    return x * Tensor._const(keep * a) + Tensor._const(shift.astype(x.dtype))


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False, *, generator: Any = None) -> Tensor:
    """Alpha dropout (for SELU networks): each element is dropped with probability ``p`` to
    SELU's saturation value, then all are scaled and shifted so that an input of zero mean and
    unit variance keeps them; the identity when not ``training`` (the default, as in PyTorch).

    Args:
        input: a floating-point tensor.
        p: probability of dropping an element, in [0, 1].
        training: apply dropout; otherwise return ``input`` unchanged.
        inplace: write the result over ``input`` and return ``input``.
        generator: (keyword) random generator for the mask (default: package generator).

    Shape: any (*) -> the same shape.

    Example:
        >>> import chainrule
        >>> y = alpha_dropout(chainrule.randn(100000), 0.2, training=True)
        >>> abs(y.mean().item()) < 0.02 and abs(y.std().item() - 1) < 0.02
        True
    """
    return _alpha_dropout("alpha_dropout", input, p, training, False, generator, inplace)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False, *, generator: Any = None) -> Tensor:
    """Alpha dropout of whole channels: one draw per x[n, c, ...] (see ``alpha_dropout``);
    the identity when not ``training`` (the default, as in PyTorch).

    Args as ``alpha_dropout``; ``input`` must have at least 2 dims (N, C, *).

    Example:
        >>> import chainrule
        >>> y = feature_alpha_dropout(chainrule.ones(2, 3, 4), 0.5, training=True)
        >>> bool((y == y[..., :1]).all())
        True
    """
    return _alpha_dropout("feature_alpha_dropout", input, p, training, True, generator,
                          inplace)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
              *, generator: Any = None) -> Tensor:
    """Zero each channel (a 3-D feature map x[n, c, :, :, :]) with probability ``p`` and scale
    the kept ones by 1/(1 − p); the identity when not ``training``.

    A 4-D input is one unbatched sample (C, D, H, W). As in PyTorch, other ranks are accepted
    with a warning and read as unbatched: one draw per index of their first dim.

    Args:
        input: (N, C, D, H, W) or (C, D, H, W).
        p: probability of zeroing a channel, in [0, 1].
        training: apply dropout; otherwise return ``input`` unchanged.
        inplace: write the result over ``input`` and return ``input``.
        generator: (keyword) random generator for the mask (default: package generator).

    Shape: the same shape as ``input``.

    Example:
        >>> import chainrule
        >>> y = dropout3d(chainrule.ones(2, 8, 2, 2, 2), 0.5)
        >>> bool(((y == 0).all((2, 3, 4)) | (y == 2).all((2, 3, 4))).all())
        True
    """
    _check_p(p)
    if input.ndim == 0:
        raise ValueError("dropout3d: expected a 4-D (C, D, H, W) or 5-D (N, C, D, H, W) input, "
                         "got a 0-D tensor")
    if input.ndim not in (4, 5):
        warnings.warn(f"dropout3d: received a {input.ndim}-D input; as in PyTorch it is read as "
                      "unbatched, one draw per index of its first dim. dropout3d is meant for "
                      "(N, C, D, H, W) or (C, D, H, W) inputs; use dropout for others.",
                      UserWarning, stacklevel=2)
    return _channel_dropout(input, p, training, 2 if input.ndim == 5 else 1, generator,
                            inplace)
