"""Normalisation functions: batch norm, instance norm, layer norm, RMS norm, group norm and
local response norm.

``batch_norm`` in training mode is one fused node (``ops.norm.BatchNorm``) and updates the
running statistics in place; in eval mode it is an affine map with constant statistics, built
from ordinary tensor operations. ``group_norm`` normalises with the fused
``ops.norm.Normalize`` and applies its per-channel affine map as a composite; ``layer_norm``
is one node with its affine map (``ops.layer_norm.LayerNorm``), and ``rms_norm`` one node
(``ops.rms_norm.RMSNorm``).
"""

from __future__ import annotations

import math
import numbers
from typing import Sequence

import numpy as np

from .. import dtypes
from ..autograd import no_grad
from ..methods.shape import pad
from ..ops.layer_norm import LayerNorm
from ..ops.norm import BatchNorm, BatchNormReLU, Normalize, channel_moments, moments
from ..ops.rms_norm import RMSNorm
from ..tensor import Tensor


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalisation per channel: y = (x − μ)/√(σ² + ε) · γ + β.

    In training, μ and σ² are the batch mean and *biased* batch variance over (N, *) for
    each channel, and the running statistics (when given) are updated in place with the
    *unbiased* variance, as PyTorch does:
        running_mean ← (1 − momentum)·running_mean + momentum·μ
        running_var  ← (1 − momentum)·running_var + momentum·σ²·m/(m − 1),  m = N·Π(*).
    In eval (``training=False``) the running statistics are used instead.

    Args:
        input: (N, C, *) floating tensor.
        running_mean, running_var: (C,) buffers, or None to use batch statistics only (then
            ``training`` must be True).
        weight, bias: (C,) affine parameters γ and β, or None (γ = 1, β = 0).
        training: normalise with batch statistics and update the running ones.
        momentum: weight of the new batch in the running averages (a float; the modules turn
            ``momentum=None`` into a cumulative average 1/num_batches_tracked).
        eps: added to the variance, > 0 in training.

    Shape:
        input: (N, C, *)  ->  output: (N, C, *)

    Example:
        >>> import chainrule
        >>> x = chainrule.tensor([[1.0, 10.0], [3.0, 30.0]])
        >>> rm, rv = chainrule.zeros(2), chainrule.ones(2)
        >>> y = batch_norm(x, rm, rv, training=True)
        >>> [[round(v, 3) for v in row] for row in y.tolist()]
        [[-1.0, -1.0], [1.0, 1.0]]
        >>> [round(v, 3) for v in rm.tolist()], [round(v, 3) for v in rv.tolist()]
        ([0.2, 2.0], [1.1, 20.9])
    """
    return _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def batch_norm_relu(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
                    weight: Tensor | None = None, bias: Tensor | None = None,
                    training: bool = False, momentum: float = 0.1,
                    eps: float = 1e-5) -> Tensor:
    """relu(batch_norm(...)): in training one graph node (``ops.norm.BatchNormReLU``, where
    the derivation is), the same values and gradients as the two calls without the ReLU's
    array; in eval the two calls. ``nn.Sequential`` runs a batch norm layer directly followed
    by a ReLU this way (``nn.fusion``). Not a PyTorch name."""
    return _batch_norm(input, running_mean, running_var, weight, bias, training, momentum,
                       eps, relu=True)


def _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps,
                relu: bool = False) -> Tensor:
    _check_batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)
    if not training:
        y = _batch_norm_eval(input, running_mean, running_var, weight, bias, float(eps))
        return y.relu() if relu else y
    stats = channel_moments(input.data)
    if running_mean is not None:
        count = input.data.size // max(input.shape[1], 1)
        _update_running_stats(running_mean, running_var, stats, count, float(momentum))
    weight = _constant_or(weight, np.ones, input)
    bias = _constant_or(bias, np.zeros, input)
    function = BatchNormReLU if relu else BatchNorm
    return function.apply(input, weight, bias, eps=float(eps), stats=stats)


def _check_batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps):
    _check_floating("batch_norm", input, weight, bias)
    if input.ndim < 2:
        raise ValueError(f"batch_norm expects an input of layout (N, C, *) with at least 2 "
                         f"dimensions, got shape {tuple(input.shape)}")
    channels = input.shape[1]
    named = {"running_mean": running_mean, "running_var": running_var, "weight": weight,
             "bias": bias}
    for name, t in named.items():
        if t is not None and tuple(t.shape) != (channels,):
            raise ValueError(f"batch_norm: {name} has shape {tuple(t.shape)} but the input of "
                             f"layout (N, C, *) has C={channels} (shape {tuple(input.shape)})")
    if (running_mean is None) != (running_var is None):
        raise ValueError("batch_norm: pass both running_mean and running_var, or neither")
    if not training and running_mean is None:
        raise ValueError("batch_norm: running_mean and running_var must be given in evaluation "
                         "mode (training=False); pass training=True to use batch statistics")
    if training and momentum is None:
        raise TypeError("batch_norm: momentum must be a float; momentum=None (a cumulative "
                        "average) needs the batch count, which nn.BatchNorm1d/2d keep")
    if training and math.prod(input.shape[:1] + input.shape[2:]) == 1:
        raise ValueError("Expected more than 1 value per channel when training, got input "
                         f"size {tuple(input.shape)}")
    if eps < 0 or (training and eps <= 0):
        raise ValueError(f"batch_norm eps must be positive (non-negative in eval), got {eps}")


def _update_running_stats(running_mean: Tensor, running_var: Tensor,
                          stats: tuple[np.ndarray, np.ndarray], count: int,
                          momentum: float) -> None:
    """The in-place exponential moving average, with the unbiased variance (PyTorch's rule).

    Python floats throughout, so float32 buffers stay float32 (NumPy 2 would widen them
    with a NumPy float64 scalar).
    """
    mean, var = (s.reshape(-1) for s in stats)
    unbiased = var * (count / (count - 1))
    keep = 1.0 - momentum
    with no_grad():
        running_mean.copy_(running_mean.data * keep + mean * momentum)
        running_var.copy_(running_var.data * keep + unbiased * momentum)


def _batch_norm_eval(input: Tensor, running_mean: Tensor, running_var: Tensor,
                     weight: Tensor | None, bias: Tensor | None, eps: float) -> Tensor:
    """y = x·a + b with a = γ/√(running_var + ε) and b = β − running_mean·a, both (C,).

    A composite: the statistics are constants, so the gradient is that of an affine map.
    """
    scale = (running_var + eps).rsqrt()
    if weight is not None:
        scale = scale * weight
    shift = -(running_mean * scale)
    if bias is not None:
        shift = shift + bias
    shape = (input.shape[1],) + (1,) * (input.ndim - 2)
    return input * scale.reshape(shape) + shift.reshape(shape)


def layer_norm(input: Tensor, normalized_shape: int | Sequence[int],
               weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Layer normalisation over the trailing dims: y = (x − μ)/√(σ² + ε) · γ + β.

    μ and σ² (biased) are taken per sample over the last ``len(normalized_shape)`` dims;
    γ and β, if given, have shape ``normalized_shape`` and act elementwise.

    Args:
        input: (*, *normalized_shape) floating tensor.
        normalized_shape: the trailing shape to normalise over (an int means one dim).
        weight, bias: elementwise γ and β of shape ``normalized_shape``, or None.
        eps: added to the variance.

    Shape:
        input: (*, *normalized_shape)  ->  output: the same shape

    Example:
        >>> import chainrule
        >>> layer_norm(chainrule.tensor([[1.0, 3.0], [2.0, 8.0]]), (2,), eps=0.0).tolist()
        [[-1.0, 1.0], [-1.0, 1.0]]
    """
    _check_floating("layer_norm", input, weight, bias)
    k = len(_trailing_shape("layer_norm", input, normalized_shape, weight=weight, bias=bias))
    params = [t for t in (weight, bias) if t is not None]
    return LayerNorm.apply(input, *params, dims=k, eps=float(eps), has_weight=weight is not None,
                           has_bias=bias is not None)


def rms_norm(input: Tensor, normalized_shape: int | Sequence[int],
             weight: Tensor | None = None, eps: float | None = None) -> Tensor:
    """Root-mean-square normalisation over the trailing dims: y = x / √(mean(x²) + ε) · γ.

    The mean of squares is taken per sample over the last ``len(normalized_shape)`` dims; no
    mean is subtracted and there is no shift (``ops.rms_norm.RMSNorm`` derives the backward).

    Args:
        input: (*, *normalized_shape) floating tensor.
        normalized_shape: the trailing shape to normalise over (an int means one dim).
        weight: elementwise γ of shape ``normalized_shape``, or None.
        eps: added to the mean of squares; None (PyTorch's default) means the machine epsilon
            of the input's dtype (``numpy.finfo(dtype).eps``).

    Shape:
        input: (*, *normalized_shape)  ->  output: the same shape

    Example:
        >>> import chainrule
        >>> rms_norm(chainrule.tensor([[3.0, 4.0]]), (2,), eps=0.0).tolist()
        [[0.8485281467437744, 1.1313709020614624]]
    """
    _check_floating("rms_norm", input, weight)
    k = len(_trailing_shape("rms_norm", input, normalized_shape, weight=weight))
    eps = float(np.finfo(input.dtype).eps) if eps is None else float(eps)
    return RMSNorm.apply(input, *([] if weight is None else [weight]), dims=k, eps=eps)


def _trailing_shape(name: str, input: Tensor, normalized_shape: int | Sequence[int],
                    **params: Tensor | None) -> tuple[int, ...]:
    """``normalized_shape`` as a tuple, after checking that it is the input's trailing shape
    and every given parameter's shape (a ValueError naming the function otherwise)."""
    integral = isinstance(normalized_shape, numbers.Integral)
    shape = (int(normalized_shape),) if integral else tuple(int(n) for n in normalized_shape)
    k = len(shape)
    if input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise ValueError(f"{name}: normalized_shape={shape} expects an input of shape "
                         f"(*, {', '.join(map(str, shape))}), got {tuple(input.shape)}")
    for param, t in params.items():
        if t is not None and tuple(t.shape) != shape:
            raise ValueError(f"{name}: {param} has shape {tuple(t.shape)}, expected the "
                             f"normalized_shape {shape}")
    return shape


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Group normalisation: split the C channels into ``num_groups`` groups and normalise
    each sample's group over its channels and positions, then y = x̂·γ + β per channel.

    Args:
        input: (N, C, *) floating tensor, C divisible by ``num_groups``.
        num_groups: number of groups G.
        weight, bias: per-channel γ and β of shape (C,), or None.
        eps: added to the variance.

    Shape:
        input: (N, C, *)  ->  output: (N, C, *)

    Example:
        >>> import chainrule
        >>> x = chainrule.tensor([[1.0, 3.0, 0.0, 10.0]])
        >>> group_norm(x, 2, eps=0.0).tolist()
        [[-1.0, 1.0, -1.0, 1.0]]
    """
    _check_floating("group_norm", input, weight, bias)
    if input.ndim < 2:
        raise ValueError(f"group_norm expects an input of layout (N, C, *) with at least 2 "
                         f"dimensions, got shape {tuple(input.shape)}")
    n, channels = input.shape[:2]
    if num_groups <= 0 or channels % num_groups:
        raise ValueError(f"group_norm: the number of channels C={channels} of the input "
                         f"(N, C, *) of shape {tuple(input.shape)} must be divisible by "
                         f"num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (channels,):
            raise ValueError(f"group_norm: {name} has shape {tuple(t.shape)} but the input "
                             f"of layout (N, C, *) has C={channels}")
    per_group = (channels // num_groups) * math.prod(input.shape[2:])
    grouped = input.reshape(n, num_groups, per_group)
    x_hat = Normalize.apply(grouped, axes=(2,), eps=float(eps)).reshape(input.shape)
    return _affine(x_hat, weight, bias, (channels,) + (1,) * (input.ndim - 2))


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Instance normalisation: y = (x − μ)/√(σ² + ε) · γ + β, with μ and σ² (biased) taken
    per sample and per channel over the spatial positions.

    With ``use_input_stats`` and running statistics given, these are updated in place with
    the batch average of the per-instance statistics (the variance unbiased), PyTorch's rule:
        running_mean ← (1 − momentum)·running_mean + momentum·mean_n μ[n, c]
        running_var  ← (1 − momentum)·running_var + momentum·mean_n σ²[n, c]·m/(m − 1),
    m the number of spatial positions. Without ``use_input_stats`` the running statistics
    normalise instead (the modules' eval mode when they track them).

    Args:
        input: (N, C, *) floating tensor with at least one spatial dimension.
        running_mean, running_var: (C,) buffers or None.
        weight, bias: per-channel γ and β of shape (C,), or None.
        use_input_stats: normalise with each instance's statistics.
        momentum: weight of the new statistics in the running averages.
        eps: added to the variance.

    Shape:
        input: (N, C, *)  ->  output: (N, C, *)

    Example:
        >>> import chainrule
        >>> instance_norm(chainrule.tensor([[[1.0, 3.0], [0.0, 10.0]]]), eps=0.0).tolist()
        [[[-1.0, 1.0], [-1.0, 1.0]]]
    """
    _check_instance_norm(input, running_mean, running_var, weight, bias, use_input_stats)
    shape = (input.shape[1],) + (1,) * (input.ndim - 2)
    if not use_input_stats:
        return _batch_norm_eval(input, running_mean, running_var, weight, bias, float(eps))
    axes = tuple(range(2, input.ndim))
    if running_mean is not None:
        mean, var = (s.mean(axis=0).reshape(-1) for s in moments(input.data, axes))
        count = math.prod(input.shape[2:])
        with no_grad():
            keep = 1.0 - float(momentum)
            running_mean.copy_(running_mean.data * keep + mean * float(momentum))
            running_var.copy_(running_var.data * keep +
                              var * (count / (count - 1)) * float(momentum))
    return _affine(Normalize.apply(input, axes=axes, eps=float(eps)), weight, bias, shape)


def _check_instance_norm(input, running_mean, running_var, weight, bias, use_input_stats):
    _check_floating("instance_norm", input, weight, bias)
    if input.ndim < 3:
        raise ValueError(f"instance_norm expects an input of layout (N, C, *) with at least "
                         f"one spatial dimension, got shape {tuple(input.shape)}")
    channels = input.shape[1]
    named = {"running_mean": running_mean, "running_var": running_var, "weight": weight,
             "bias": bias}
    for name, t in named.items():
        if t is not None and tuple(t.shape) != (channels,):
            raise ValueError(f"instance_norm: {name} has shape {tuple(t.shape)} but the input "
                             f"of layout (N, C, *) has C={channels} (shape "
                             f"{tuple(input.shape)})")
    if (running_mean is None) != (running_var is None):
        raise ValueError("instance_norm: pass both running_mean and running_var, or neither")
    if not use_input_stats and running_mean is None:
        raise ValueError("instance_norm: use_input_stats=False needs running_mean and "
                         "running_var")
    if use_input_stats and math.prod(input.shape[2:]) == 1:
        raise ValueError("Expected more than 1 spatial element when training, got input size "
                         f"{tuple(input.shape)}")


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """Local response normalisation across channels:
    b[n, c] = a[n, c] / (k + α/size · Σ_{c'} a[n, c']²)^β, the sum over the window
    c − ⌊size/2⌋ … c + ⌊(size − 1)/2⌋ (channels outside count as 0), PyTorch's rule.

    A composite (square, zero padding, a sum of ``size`` shifted slices, power, division),
    so its gradient needs no code of its own.

    Args:
        input: (N, C, *) with at least 3 dimensions.
        size: number of neighbouring channels in the window.
        alpha, beta, k: the formula's constants.

    Example:
        >>> import chainrule
        >>> y = local_response_norm(chainrule.ones(1, 4, 1), 2, alpha=1.0, beta=1.0)
        >>> [round(v, 4) for v in y.flatten().tolist()]
        [0.6667, 0.5, 0.5, 0.5]
    """
    if input.ndim < 3:
        raise ValueError(f"local_response_norm: expected 3D or higher dimensionality input "
                         f"(N, C, *), got {input.ndim} dimensions (shape {tuple(input.shape)})")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"local_response_norm: size must be a positive int, got {size!r}")
    channels = input.shape[1]
    widths = (0, 0) * (input.ndim - 2) + (size // 2, (size - 1) // 2)
    padded = pad(input * input, widths)
    window = padded[:, :channels]
    for shift in range(1, size):
        window = window + padded[:, shift:shift + channels]
    return input / (window * (alpha / size) + k).pow(beta)


def _affine(x_hat: Tensor, weight: Tensor | None, bias: Tensor | None,
            shape: tuple[int, ...]) -> Tensor:
    """x̂·γ + β with γ and β reshaped to ``shape`` (broadcast; the engine sums them back)."""
    y = x_hat if weight is None else x_hat * weight.reshape(shape)
    return y if bias is None else y + bias.reshape(shape)


def _constant_or(t: Tensor | None, fill, like: Tensor) -> Tensor:
    """``t``, or a constant (C,) tensor of ones/zeros in ``like``'s dtype standing in for it."""
    if t is not None:
        return t
    return Tensor._const(fill(like.shape[1], dtype=like.dtype))


def _check_floating(name: str, input: Tensor, *params: Tensor | None) -> None:
    """TypeError unless the input is floating and every given parameter has its dtype."""
    if not dtypes.is_floating(input.dtype):
        raise TypeError(f"{name} needs a floating-point input, got {input.dtype}; convert it "
                        "with .float()")
    for p in params:
        if p is not None and p.dtype != input.dtype:
            raise TypeError(f"{name}: the input is {input.dtype} but a parameter is {p.dtype}; "
                            f"convert the input (.to({p.dtype.name})) or the layer "
                            f"(.to({input.dtype.name}))")
