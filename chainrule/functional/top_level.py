"""The ``torch.*`` forms of neural-network functions (``torch.conv2d``, ``torch.dropout``,
``torch.layer_norm`` ...), so that scripts which call them that way run unchanged.

Each is one call of the functional form (``chainrule.functional``), none has math or a
backward of its own. Where torch's top-level signature is the functional one (``conv2d``,
``bilinear``, ``pixel_shuffle`` ...), the name is the functional object itself. The others
differ from their ``F.`` form, and convert:

* the dropouts take ``(input, p, train)`` with ``train`` positional, required and a bool
  (torch refuses an int with TypeError); ``p`` outside [0, 1] is a RuntimeError, as in torch.
  The ``_`` forms write over ``input`` and return it (``methods.inplace``'s rules).
  ``feature_dropout`` drops whole channels x[n, c, ...] of an (N, C, *) input;
* ``batch_norm`` and ``instance_norm`` take ``weight, bias`` before the running statistics,
  every argument required; ``embedding`` takes ``weight`` first, and ``padding_idx=-1`` (any
  index outside [0, num_embeddings)) means none;
* ``max_pool*`` default ``stride=()`` (torch's ``[]``: the kernel size) and return values
  only; ``adaptive_max_pool1d`` returns (values, indices);
* ``convolution`` runs the conv or transposed conv that the weight's rank names;
* the losses take an integer ``reduction``, whose default is what torch does when it is left
  out (``top_level_losses``).

``native_channel_shuffle`` has a gradient here (``channel_shuffle``'s); torch's has none.

NOTE: torch's ``cudnn_enabled`` / ``cudnn_enable`` flags choose a GPU kernel; they are taken
and ignored (chainrule has one implementation).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..tensor import Tensor
from .activation import celu as _celu
from .activation import selu as _selu
from .basic import pad as _pad
from .channel_dropout import _channel_dropout
from .conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from .conv_3d import conv3d, conv_transpose3d
from .distance import cosine_similarity, pairwise_distance
from .inplace import celu_, selu_, threshold_
from .layers import bilinear
from .layers import dropout as _dropout
from .layers import embedding as _embedding
from .norm import batch_norm as _batch_norm
from .norm import group_norm as _group_norm
from .norm import instance_norm as _instance_norm
from .norm import layer_norm as _layer_norm
from .norm import rms_norm
from .piecewise import hardshrink, prelu
from .piecewise import threshold as _threshold
from .pool import adaptive_avg_pool1d, avg_pool1d
from .pool import max_pool1d as _max_pool1d
from .pool import max_pool2d as _max_pool2d
from .pool3d import max_pool3d as _max_pool3d
from .pool_aliases import max_pool1d_with_indices as _max_pool1d_with_indices
from .pool_more import adaptive_max_pool1d as _adaptive_max_pool1d
from .sampling import pixel_shuffle, pixel_unshuffle
from .shuffle import channel_shuffle
from .stochastic import alpha_dropout as _alpha_dropout
from .stochastic import feature_alpha_dropout as _feature_alpha_dropout
from .top_level_losses import (
    binary_cross_entropy_with_logits,
    cosine_embedding_loss,
    ctc_loss,
    hinge_embedding_loss,
    kl_div,
    margin_ranking_loss,
    poisson_nll_loss,
    triplet_margin_loss,
)

__all__ = [
    "adaptive_avg_pool1d", "adaptive_max_pool1d", "alpha_dropout", "alpha_dropout_",
    "avg_pool1d", "batch_norm", "bilinear", "binary_cross_entropy_with_logits", "celu",
    "celu_", "constant_pad_nd", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
    "conv_transpose2d", "conv_transpose3d", "convolution", "cosine_embedding_loss",
    "cosine_similarity", "ctc_loss", "dropout", "dropout_", "embedding", "feature_alpha_dropout",
    "feature_alpha_dropout_", "feature_dropout", "feature_dropout_", "group_norm", "hardshrink",
    "hinge_embedding_loss", "instance_norm", "kl_div", "layer_norm", "margin_ranking_loss",
    "max_pool1d", "max_pool1d_with_indices", "max_pool2d", "max_pool3d",
    "native_channel_shuffle", "pairwise_distance", "pixel_shuffle", "pixel_unshuffle",
    "poisson_nll_loss", "prelu", "rms_norm", "selu", "selu_", "threshold", "threshold_",
    "triplet_margin_loss",
]


def _check_bool(name: str, argument: str, position: int, value: Any) -> None:
    """TypeError unless ``value`` is a bool, as torch's argument parser says it."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}(): argument {argument!r} (position {position}) must be bool, "
                        f"not {type(value).__name__}")


# ---------------------------------------------------------------- dropout


def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool) -> Tensor:
    return _channel_dropout(input, p, training, 2, None, inplace)


def _run_dropout(name: str, form: Callable[..., Tensor], input: Tensor, p: float, train: bool,
                 inplace: bool, feature: bool = False) -> Tensor:
    """Torch's checks on (train, p), then ``form(input, p, train, inplace)``."""
    _check_bool(name, "train", 3, train)
    if not 0.0 <= p <= 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not train or p == 0.0 or input.numel() == 0:
        return input
    if p == 1.0:  # NOTE: every form multiplies by 0 here, before any rank check (as torch)
        return _dropout(input, 1.0, True, inplace)
    if feature and input.ndim < 2:
        raise RuntimeError(f"{name}: feature dropout requires at least 2 dimensions in the "
                           f"input (N, C, *), got shape {tuple(input.shape)}")
    return form(input, p, True, inplace)


def dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """``F.dropout(input, p, training=train)``: zero elements with probability p, scale the
    rest by 1/(1 − p); the identity when not ``train``.

    Example:
        >>> import chainrule
        >>> sorted(set(dropout(chainrule.ones(1000), 0.5, True).tolist()))
        [0.0, 2.0]
    """
    return _run_dropout("dropout", _dropout, input, p, train, False)


def dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    """``input`` ← dropout(input, p, train), in place; returns ``input``."""
    return _run_dropout("dropout_", _dropout, input, p, train, True)


def alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """``F.alpha_dropout(input, p, training=train)`` (dropped units take SELU's saturation
    value; mean and variance are kept)."""
    return _run_dropout("alpha_dropout", _alpha_dropout, input, p, train, False)


def alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    """``input`` ← alpha_dropout(input, p, train), in place; returns ``input``."""
    return _run_dropout("alpha_dropout_", _alpha_dropout, input, p, train, True)


def feature_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """Dropout of whole channels: each x[n, c, ...] of an (N, C, *) input is zeroed with
    probability p, the rest scaled by 1/(1 − p) (``F.dropout2d``'s rule, at any rank ≥ 2).

    Example:
        >>> import chainrule
        >>> y = feature_dropout(chainrule.ones(4, 8, 3), 0.5, True)
        >>> bool(((y == 0).all(-1) | (y == 2).all(-1)).all())
        True
    """
    return _run_dropout("feature_dropout", _feature_dropout, input, p, train, False, True)


def feature_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    """``input`` ← feature_dropout(input, p, train), in place; returns ``input``."""
    return _run_dropout("feature_dropout_", _feature_dropout, input, p, train, True, True)


def feature_alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """``F.feature_alpha_dropout(input, p, training=train)``: alpha dropout of whole
    channels x[n, c, ...]."""
    return _run_dropout("feature_alpha_dropout", _feature_alpha_dropout, input, p, train,
                        False, True)


def feature_alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    """``input`` ← feature_alpha_dropout(input, p, train), in place; returns ``input``."""
    return _run_dropout("feature_alpha_dropout_", _feature_alpha_dropout, input, p, train,
                        True, True)


# ---------------------------------------------------------------- convolution and pooling

_DIRECT = {1: conv1d, 2: conv2d, 3: conv3d}
_TRANSPOSED = {1: conv_transpose1d, 2: conv_transpose2d, 3: conv_transpose3d}


def _per_dim(value: Any, dims: int, name: str) -> Any:
    """A list of ``dims`` values (one value stands for all); torch's RuntimeError otherwise."""
    if not isinstance(value, (list, tuple)):
        return value
    values = tuple(value) * dims if len(value) == 1 else tuple(value)
    if len(values) != dims:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {dims} "
                           f"values to match the convolution dimensions, but got "
                           f"{name}={list(value)}")
    return values


def convolution(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Sequence[int],
                padding: Sequence[int], dilation: Sequence[int], transposed: bool,
                output_padding: Sequence[int], groups: int) -> Tensor:
    """The N-d convolution (``transposed=False``) or transposed convolution that the weight's
    rank names: a (C_out, C_in/groups, k...) weight of 1, 2 or 3 spatial dims and a batched
    input of the same rank. ``output_padding`` counts only when ``transposed``.

    Example:
        >>> import chainrule
        >>> x, w = chainrule.ones(1, 2, 5), chainrule.ones(3, 2, 2)
        >>> convolution(x, w, None, [1], [0], [1], False, [0], 1).shape
        (1, 3, 4)
    """
    _check_bool("convolution", "transposed", 7, transposed)
    dims = weight.ndim - 2
    if dims not in _DIRECT:
        raise RuntimeError(f"convolution: expected a weight with 1, 2 or 3 spatial dims "
                           f"(3-D to 5-D), got shape {tuple(weight.shape)}")
    if input.ndim != weight.ndim:
        raise RuntimeError(f"convolution: expected {weight.ndim}-dimensional input for "
                           f"{weight.ndim}-dimensional weight {tuple(weight.shape)}, but got "
                           f"input of shape {tuple(input.shape)}")
    stride, padding = _per_dim(stride, dims, "stride"), _per_dim(padding, dims, "padding")
    dilation = _per_dim(dilation, dims, "dilation")
    output_padding = _per_dim(output_padding, dims, "output_padding")
    if transposed:
        return _TRANSPOSED[dims](input, weight, bias, stride, padding, output_padding, groups,
                                 dilation)
    return _DIRECT[dims](input, weight, bias, stride, padding, dilation, groups)


def _stride(stride: Any) -> Any:
    """torch's ``stride=[]`` (or None) means the kernel size, F's ``stride=None``."""
    if isinstance(stride, (list, tuple)) and len(stride) == 0:
        return None
    return stride


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = (), padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False) -> Tensor:
    """``F.max_pool1d``'s maxima (an empty ``stride`` is the kernel size)."""
    return _max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = (), padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False) -> Tensor:
    """``F.max_pool2d``'s maxima (an empty ``stride`` is the kernel size)."""
    return _max_pool2d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool3d(input: Tensor, kernel_size: Any, stride: Any = (), padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False) -> Tensor:
    """``F.max_pool3d``'s maxima (an empty ``stride`` is the kernel size)."""
    return _max_pool3d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool1d_with_indices(input: Tensor, kernel_size: Any, stride: Any = (),
                            padding: Any = 0, dilation: Any = 1,
                            ceil_mode: bool = False) -> tuple[Tensor, Tensor]:
    """``F.max_pool1d_with_indices``: the maxima and their positions l (int64)."""
    return _max_pool1d_with_indices(input, kernel_size, _stride(stride), padding, dilation,
                                    ceil_mode)


def adaptive_max_pool1d(input: Tensor, output_size: Any) -> tuple[Tensor, Tensor]:
    """``F.adaptive_max_pool1d(..., return_indices=True)``: (maxima, their positions l)."""
    return _adaptive_max_pool1d(input, output_size, True)


# ---------------------------------------------------------------- normalisation, lookup, misc


def batch_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,
               running_mean: Tensor | None, running_var: Tensor | None, training: bool,
               momentum: float, eps: float, cudnn_enabled: bool) -> Tensor:
    """``F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum,
    eps)``: torch's top-level order, every argument required; ``cudnn_enabled`` is ignored."""
    return _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,
                  running_mean: Tensor | None, running_var: Tensor | None,
                  use_input_stats: bool, momentum: float, eps: float,
                  cudnn_enabled: bool) -> Tensor:
    """``F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
    momentum, eps)``: torch's top-level order; ``cudnn_enabled`` is ignored."""
    return _instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                          momentum, eps)


def layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5,
               cudnn_enable: bool = True) -> Tensor:
    """``F.layer_norm``; ``cudnn_enable`` is ignored."""
    return _layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5,
               cudnn_enabled: bool = True) -> Tensor:
    """``F.group_norm``; ``cudnn_enabled`` is ignored."""
    return _group_norm(input, num_groups, weight, bias, eps)


def embedding(weight: Tensor, indices: Tensor, padding_idx: int = -1,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """``F.embedding(indices, weight, ...)``, weight first; a ``padding_idx`` outside
    [0, num_embeddings) (the default −1) names no padding row, as in torch.

    Example:
        >>> import chainrule
        >>> embedding(chainrule.tensor([[0.0, 0.0], [3.0, 4.0]]), chainrule.tensor([1])).tolist()
        [[3.0, 4.0]]
    """
    rows = weight.shape[0] if weight.ndim == 2 else 0
    padding = padding_idx if 0 <= padding_idx < rows else None
    return _embedding(indices, weight, padding, None, 2.0, scale_grad_by_freq, sparse)


def celu(input: Tensor, alpha: float = 1.0) -> Tensor:
    """``F.celu``: max(0, x) + min(0, α·(exp(x/α) − 1))."""
    return _celu(input, alpha)


def selu(input: Tensor) -> Tensor:
    """``F.selu``: scale·(max(0, x) + min(0, α·(exp(x) − 1)))."""
    return _selu(input)


def threshold(input: Tensor, threshold: float, value: float) -> Tensor:
    """``F.threshold``: x where x > threshold, else ``value``."""
    return _threshold(input, threshold, value)


def native_channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """``F.channel_shuffle``: (N, g·k, *) channels reordered as (k, g) from (g, k)."""
    return channel_shuffle(input, groups)


def constant_pad_nd(input: Tensor, pad: Sequence[int], value: float = 0) -> Tensor:
    """``F.pad(input, pad, 'constant', value)``: pads (negative ones crop) the last dims,
    (left, right) pairs from the last dim backwards.

    Example:
        >>> import chainrule
        >>> constant_pad_nd(chainrule.ones(1, 2), [1, 0], 5.0).tolist()
        [[5.0, 1.0, 1.0]]
    """
    return _pad(input, pad, "constant", value)
