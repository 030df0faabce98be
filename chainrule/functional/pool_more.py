"""More pools with PyTorch's signatures: ``adaptive_max_pool1d``, the inverse of max pooling
``max_unpool1d/2d/3d``, and the power-average pools ``lp_pool1d/2d/3d``.

All are composites: the adaptive 1-D pool is the 2-D one over a height-1 image, unpooling is a
scatter into zeros (its gradient gathers the output gradient back at the indices), and the LP
pools are an average pool of xᵖ, times the window size, to the power 1/p (a max pool of |x|
for p = ∞). One helper serves each family at every rank.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import dtypes
from ..creation import zeros
from ..methods.math import where
from ..ops import pool as ops_pool
from ..tensor import Tensor
from .conv import tuple_of
from .pool import _adaptive_size, _as_2d, avg_pool1d, avg_pool2d, max_pool1d, max_pool2d
from .pool3d import avg_pool3d, max_pool3d

_AVG_POOLS = {1: avg_pool1d, 2: avg_pool2d, 3: avg_pool3d}
_MAX_POOLS = {1: max_pool1d, 2: max_pool2d, 3: max_pool3d}


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Maximum over PyTorch's adaptive bins of (N, C, L) sequences: output position i covers
    [⌊i·L/Lo⌋, ⌈(i + 1)·L/Lo⌉); with ``return_indices`` also the argmax positions (int64,
    the first maximum on ties).

    Args:
        input: (N, C, L) or unbatched (C, L).
        output_size: Lo (an int, a 1-tuple, or None to keep L).
        return_indices: also return the positions of the maxima.

    Example:
        >>> import chainrule
        >>> adaptive_max_pool1d(chainrule.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2).tolist()
        [[[3.0, 2.0]]]
    """
    x4, restore = _as_2d("adaptive_max_pool1d", input, 1)
    out = _adaptive_size("adaptive_max_pool1d", output_size, x4, 1)
    y = restore(ops_pool.AdaptiveMaxPool2d.apply(x4, out=out))
    if not return_indices:
        return y
    return y, restore(Tensor._const(ops_pool.adaptive_max_forward(x4.data, out)[1]))


def _unpool_size(name: str, spatial: tuple[int, ...], kernel: tuple, stride: tuple,
                 padding: tuple, output_size: Any) -> tuple[int, ...]:
    """PyTorch's default output size (i − 1)·s − 2p + k per dim, or ``output_size`` (its
    trailing dims) when given, which must lie strictly within a stride of the default."""
    default = tuple((i - 1) * s - 2 * p + k for i, s, p, k in zip(spatial, stride, padding,
                                                                  kernel))
    if output_size is None:
        return default
    sizes = tuple(int(v) for v in output_size)[-len(kernel):]
    if len(output_size) not in (len(kernel), len(kernel) + 1, len(kernel) + 2):
        raise ValueError(f"{name}: output_size should be a sequence of {len(kernel)} ints "
                         f"(optionally after N and C), got {tuple(output_size)}")
    for d, (size, base, s) in enumerate(zip(sizes, default, stride)):
        if not base - s < size < base + s:
            raise ValueError(f"{name}: invalid output_size {tuple(output_size)} (dim {d} must be "
                             f"between {base - s} and {base + s}, exclusive)")
    return sizes


def _max_unpool(name: str, input: Tensor, indices: Any, dims: int, kernel_size: Any,
                stride: Any, padding: Any, output_size: Any) -> Tensor:
    if input.ndim not in (dims + 1, dims + 2):
        raise ValueError(f"{name}: expected a {dims + 2}-D batched or {dims + 1}-D unbatched "
                         f"input, got shape {tuple(input.shape)}")
    index = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
    if index.dtype.kind not in "iu":
        raise TypeError(f"{name}: indices must be an int64 tensor (as max_pool{dims}d("
                        f"return_indices=True) gives), got {index.dtype}")
    if index.shape != tuple(input.shape):
        raise ValueError(f"{name}: indices have shape {index.shape} but the input has shape "
                         f"{tuple(input.shape)}; they must be equal")
    kernel = tuple_of(kernel_size, dims, "kernel_size")
    stride = kernel if stride is None else tuple_of(stride, dims, "stride")
    pads = tuple_of(padding, dims, "padding", minimum=0)
    spatial = tuple(input.shape[-dims:])
    out = _unpool_size(name, spatial, kernel, stride, pads, output_size)
    lead = tuple(input.shape[:-dims])
    volume = math.prod(out)
    flat_index = index.reshape(*lead, -1).astype(np.int64)
    if flat_index.size and (flat_index.min() < 0 or flat_index.max() >= volume):
        bad = flat_index[(flat_index < 0) | (flat_index >= volume)][0]
        raise IndexError(f"{name}: index {int(bad)} is out of range for an output of size "
                         f"{'x'.join(map(str, out))} ({volume} positions)")
    flat = zeros(*lead, volume, dtype=input.dtype)
    result = flat.scatter(-1, Tensor._const(flat_index), input.reshape(*lead, -1))
    return result.reshape(*lead, *out)


def max_unpool1d(input: Tensor, indices: Any, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """The inverse of ``max_pool1d``: each value goes back to the position its index names
    (as ``max_pool1d(..., return_indices=True)`` gives), every other position is 0.

    Args:
        input: pooled values (N, C, L) or (C, L).
        indices: their positions in the unpooled sequence, the same shape (int64).
        kernel_size, stride, padding: those of the max pool (stride defaults to kernel_size).
        output_size: the unpooled length (an int sequence, optionally with N and C), when the
            default (L − 1)·stride − 2·padding + kernel_size is not the right one.

    Shape: (N, C, L) -> (N, C, L_out).

    Example:
        >>> import chainrule
        >>> import chainrule.functional as F
        >>> y, i = F.max_pool1d(chainrule.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2,
        ...                     return_indices=True)
        >>> max_unpool1d(y, i, 2).tolist()
        [[[0.0, 3.0, 2.0, 0.0]]]
    """
    return _max_unpool("max_unpool1d", input, indices, 1, kernel_size, stride, padding,
                       output_size)


def max_unpool2d(input: Tensor, indices: Any, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """The inverse of ``max_pool2d``: each value goes back to the position h·W + w its index
    names, every other position is 0 (see ``max_unpool1d``).

    Shape: (N, C, H, W) -> (N, C, H_out, W_out), H_out = (H − 1)·s − 2p + k unless
    ``output_size`` says otherwise.

    Example:
        >>> import chainrule
        >>> import chainrule.functional as F
        >>> y, i = F.max_pool2d(chainrule.randn(1, 1, 4, 4), 2, return_indices=True)
        >>> max_unpool2d(y, i, 2).shape
        (1, 1, 4, 4)
    """
    return _max_unpool("max_unpool2d", input, indices, 2, kernel_size, stride, padding,
                       output_size)


def max_unpool3d(input: Tensor, indices: Any, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """The inverse of ``max_pool3d``: each value goes back to the position d·H·W + h·W + w its
    index names, every other position is 0 (see ``max_unpool1d``).

    Shape: (N, C, D, H, W) -> (N, C, D_out, H_out, W_out), D_out = (D − 1)·s − 2p + k
    (likewise H_out, W_out) unless ``output_size`` says otherwise; (C, D, H, W) unbatched.

    Example:
        >>> import chainrule
        >>> import chainrule.functional as F
        >>> y, i = F.max_pool3d(chainrule.randn(1, 1, 4, 4, 4), 2, return_indices=True)
        >>> max_unpool3d(y, i, 2).shape
        (1, 1, 4, 4, 4)
    """
    return _max_unpool("max_unpool3d", input, indices, 3, kernel_size, stride, padding,
                       output_size)


def _lp_pool(name: str, input: Tensor, norm_type: float, kernel_size: Any, stride: Any,
             ceil_mode: bool, dims: int) -> Tensor:
    """(Σ_window xᵖ)^(1/p): an average pool of xᵖ times the window size. As in PyTorch, a
    window whose sum is 0 gets gradient 0 (not the inf·0 of the power at 0), a negative
    sum (odd p, negative inputs) gives NaN, and p = ±∞ is the largest (smallest) |x|."""
    if not dtypes.is_floating(input.dtype):
        raise TypeError(f"{name}: expected a floating-point input, got {input.dtype}")
    if input.ndim not in (dims + 1, dims + 2):
        raise ValueError(f"{name}: expected a {dims + 2}-D input (N, C, *spatial) or an "
                         f"unbatched {dims + 1}-D one, got shape {tuple(input.shape)}")
    if not norm_type or math.isnan(norm_type):
        raise ValueError(f"{name}: norm_type must be a nonzero number, got {norm_type}")
    if norm_type == math.inf:
        return _MAX_POOLS[dims](input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -math.inf:
        return -_MAX_POOLS[dims](-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    kernel = tuple_of(kernel_size, dims, "kernel_size")
    mean = _AVG_POOLS[dims](input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    total = mean * float(math.prod(kernel))
    safe = where(Tensor._const(total.data != 0), total, 0.0)
    with np.errstate(invalid="ignore"):  # a negative sum's root: NaN, silently, as in PyTorch
        return safe.pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size: int, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """Power-average pooling of (N, C, L) sequences: y = (Σ_window xᵖ)^(1/p) with
    p = ``norm_type`` (p = 1 is sum pooling; large p nears max pooling of |x|).

    Args:
        input: (N, C, L) or (C, L), floating point.
        norm_type: p, nonzero; ±inf gives the largest (smallest) |x| of each window.
        kernel_size: the window length.
        stride: the step (default: kernel_size).
        ceil_mode: keep a last, partial window.

    Example:
        >>> import chainrule
        >>> lp_pool1d(chainrule.tensor([[[3.0, 4.0]]]), 2, 2).tolist()
        [[[5.0]]]
    """
    return _lp_pool("lp_pool1d", input, norm_type, kernel_size, stride, ceil_mode, 1)


def lp_pool2d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """Power-average pooling of (N, C, H, W) images: y = (Σ_window xᵖ)^(1/p) (see
    ``lp_pool1d``); ``kernel_size`` and ``stride`` are ints or (h, w) pairs.

    Example:
        >>> import chainrule
        >>> lp_pool2d(chainrule.ones(1, 1, 4, 4), 1, 2).tolist()
        [[[[4.0, 4.0], [4.0, 4.0]]]]
    """
    return _lp_pool("lp_pool2d", input, norm_type, kernel_size, stride, ceil_mode, 2)


def lp_pool3d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """Power-average pooling of (N, C, D, H, W) volumes: y = (Σ_window xᵖ)^(1/p) (see
    ``lp_pool1d``); ``kernel_size`` and ``stride`` are ints or (d, h, w) triples.

    Example:
        >>> import chainrule
        >>> lp_pool3d(chainrule.ones(1, 1, 2, 4, 4), 1, 2).tolist()
        [[[[[8.0, 8.0], [8.0, 8.0]]]]]
    """
    return _lp_pool("lp_pool3d", input, norm_type, kernel_size, stride, ceil_mode, 3)
