"""Pooling and resizing with PyTorch's signatures.

Window pools: ``max_pool1d/2d``, ``avg_pool1d/2d``; adaptive pools: ``adaptive_avg_pool1d/2d``,
``adaptive_max_pool2d``; ``interpolate`` (nearest here, the linear modes in ``sampling``).
Each checks its arguments and calls a Function of ``ops.pool`` (where the derivations are).
Inputs are (N, C, H, W) / (N, C, L), or unbatched (C, H, W) / (C, L), which are pooled as a
batch of one, as in PyTorch.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..ops import pool as ops_pool
from ..tensor import Tensor
from .conv import tuple_of
from .sampling import resample

_LAYOUTS = {1: "(N, C, L)", 2: "(N, C, H, W)"}


def _as_2d(name: str, x: Tensor, dims: int) -> tuple[Tensor, Any]:
    """(N, C, H, W) view of a batched or unbatched 1-D/2-D input, and the inverse reshape."""
    if x.ndim not in (dims + 1, dims + 2):
        raise ValueError(f"{name}: expected a {dims + 2}-D input {_LAYOUTS[dims]} or an "
                         f"unbatched {dims + 1}-D one, got shape {tuple(x.shape)}")
    batched = x.ndim == dims + 2
    x4 = x if batched else x.unsqueeze(0)
    x4 = x4.unsqueeze(2) if dims == 1 else x4

    def restore(y: Tensor) -> Tensor:
        y = y.squeeze(2) if dims == 1 else y
        return y if batched else y.squeeze(0)

    return x4, restore


def _window(name: str, x4: Tensor, dims: int, kernel_size: Any, stride: Any, padding: Any,
            dilation: Any, ceil_mode: bool) -> tuple[dict, tuple[int, int]]:
    """Validated window parameters as 2-D tuples (1-D ones get a height-1 window), and the
    output size."""
    kernel = tuple_of(kernel_size, dims, "kernel_size")
    stride = kernel if stride is None or stride == () else tuple_of(stride, dims, "stride")
    pads = tuple_of(padding, dims, "padding", minimum=0)
    dilation = tuple_of(dilation, dims, "dilation")
    if any(2 * p > k for p, k in zip(pads, kernel)):  # PyTorch's rule (the undilated kernel)
        raise ValueError(f"{name}: padding {pads} should be at most half of the kernel size "
                         f"{kernel}")
    window = {"kernel": kernel, "stride": stride, "padding": pads, "dilation": dilation}
    if dims == 1:
        window = {key: (1 if key != "padding" else 0, *v) for key, v in window.items()}
    out = tuple(ops_pool.pool_output_size(*args, ceil_mode) for args in
                zip(x4.shape[2:], *window.values()))
    if min(out) < 1:
        raise ValueError(f"{name}: the input's size {tuple(x4.shape[4 - dims:])} is too small "
                         f"for kernel_size={kernel_size}, padding={padding}, dilation="
                         f"{dilation} (output size {out[2 - dims:]}); use a larger input")
    return window, out


def _max_pool(name, x, dims, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    x4, restore = _as_2d(name, x, dims)
    window, out = _window(name, x4, dims, kernel_size, stride, padding, dilation, ceil_mode)
    y = ops_pool.MaxPool2d.apply(x4, ceil_mode=ceil_mode, **window)
    if not return_indices:
        return restore(y)
    indices = ops_pool.max_pool_indices(x4.data, out=out, **window)
    return restore(y), restore(Tensor._const(indices))


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """Y[n, c, i, j] = max of the (dilated) window at (i·s − p, j·s − p), padding = −∞.

    Args:
        input: (N, C, H, W) or (C, H, W).
        kernel_size, stride (default: kernel_size), padding (≤ half the kernel size),
            dilation: int or (h, w).
        ceil_mode: round the output size up (a last, partial window), as PyTorch.
        return_indices: also return the argmax positions h·W + w (int64), first maximum on
            ties.

    Shape:
        Ho = ⌊(H + 2p − d·(k − 1) − 1)/s⌋ + 1 (⌈ ⌉ with ceil_mode); output (N, C, Ho, Wo).

    Example:
        >>> import chainrule
        >>> max_pool2d(chainrule.randn(2, 3, 8, 8), 2).shape
        (2, 3, 4, 4)
    """
    return _max_pool("max_pool2d", input, 2, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """Max over windows of (N, C, L) sequences; arguments as ``max_pool2d``, one dimension.

    Example:
        >>> import chainrule
        >>> max_pool1d(chainrule.randn(2, 3, 9), 3, stride=2, padding=1).shape
        (2, 3, 5)
    """
    return _max_pool("max_pool1d", input, 1, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def _avg_pool(name, x, dims, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    x4, restore = _as_2d(name, x, dims)
    window, _ = _window(name, x4, dims, kernel_size, stride, padding, 1, ceil_mode)
    del window["dilation"]
    if divisor_override is not None and divisor_override <= 0:
        raise ValueError(f"{name}: divisor_override must be positive, got {divisor_override}")
    return restore(ops_pool.AvgPool2d.apply(x4, ceil_mode=ceil_mode,
                                            count_include_pad=count_include_pad,
                                            divisor_override=divisor_override, **window))


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Y[n, c, i, j] = (sum of the window at (i·s − p, j·s − p), zero padded) / D.

    Args:
        input: (N, C, H, W) or (C, H, W).
        kernel_size, stride (default: kernel_size), padding (≤ half the kernel): int or (h, w).
        ceil_mode: round the output size up, as PyTorch.
        count_include_pad: D counts padded zeros (kh·kw); if False only real pixels.
        divisor_override: use this D everywhere instead.

    Shape:
        Ho = ⌊(H + 2p − k)/s⌋ + 1 (⌈ ⌉ with ceil_mode); output (N, C, Ho, Wo).

    Example:
        >>> import chainrule
        >>> avg_pool2d(chainrule.ones(1, 1, 4, 4), 2).tolist()
        [[[[1.0, 1.0], [1.0, 1.0]]]]
    """
    return _avg_pool("avg_pool2d", input, 2, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """Mean over windows of (N, C, L) sequences; arguments as ``avg_pool2d``, one dimension.

    Example:
        >>> import chainrule
        >>> avg_pool1d(chainrule.tensor([[[1.0, 2.0, 3.0, 4.0]]]), 2).tolist()
        [[[1.5, 3.5]]]
    """
    return _avg_pool("avg_pool1d", input, 1, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None)


def _adaptive_size(name: str, output_size: Any, x4: Tensor, dims: int) -> tuple[int, int]:
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * dims
    if len(sizes) != dims:
        raise ValueError(f"{name}: output_size must be an int or a tuple of {dims}, got "
                         f"{output_size!r}")
    sizes = tuple(x4.shape[4 - dims + i] if s is None else s for i, s in enumerate(sizes))
    tuple_of(sizes, dims, "output_size")
    return (1, *sizes) if dims == 1 else sizes


def _adaptive_avg(name: str, x: Tensor, output_size: Any, dims: int) -> Tensor:
    x4, restore = _as_2d(name, x, dims)
    out = _adaptive_size(name, output_size, x4, dims)
    (h, w), (oh, ow) = x4.shape[2:], out
    if h % oh == 0 and w % ow == 0:  # equal, disjoint bins: a plain average pool
        kernel = (h // oh, w // ow)
        return restore(ops_pool.AvgPool2d.apply(
            x4, kernel=kernel, stride=kernel, padding=(0, 0), ceil_mode=False,
            count_include_pad=True, divisor_override=None))
    return restore(ops_pool.AdaptiveAvgPool2d.apply(x4, out=out))


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average over PyTorch's adaptive bins: output row i covers input rows
    [⌊i·H/Ho⌋, ⌈(i + 1)·H/Ho⌉), likewise columns.

    Args:
        input: (N, C, H, W) or (C, H, W).
        output_size: int or (Ho, Wo); None keeps that input size.

    Example:
        >>> import chainrule
        >>> adaptive_avg_pool2d(chainrule.randn(2, 3, 7, 9), (2, 4)).shape
        (2, 3, 2, 4)
    """
    return _adaptive_avg("adaptive_avg_pool2d", input, output_size, 2)


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """Average over adaptive bins of (N, C, L) sequences (see ``adaptive_avg_pool2d``).

    Example:
        >>> import chainrule
        >>> adaptive_avg_pool1d(chainrule.tensor([[[1.0, 2.0, 3.0]]]), 2).tolist()
        [[[1.5, 2.5]]]
    """
    return _adaptive_avg("adaptive_avg_pool1d", input, output_size, 1)


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Maximum over PyTorch's adaptive bins (as in ``adaptive_avg_pool2d``); with
    ``return_indices`` also the argmax positions h·W + w (int64, first maximum on ties).

    Example:
        >>> import chainrule
        >>> adaptive_max_pool2d(chainrule.randn(1, 2, 5, 5), 3).shape
        (1, 2, 3, 3)
    """
    x4, restore = _as_2d("adaptive_max_pool2d", input, 2)
    out = _adaptive_size("adaptive_max_pool2d", output_size, x4, 2)
    y = restore(ops_pool.AdaptiveMaxPool2d.apply(x4, out=out))
    if not return_indices:
        return y
    return y, restore(Tensor._const(ops_pool.adaptive_max_forward(x4.data, out)[1]))


def nearest_source(size: int, out: int, scale: float | None) -> np.ndarray:
    """PyTorch's nearest source index min(⌊o·r⌋, I − 1), r = 1/scale_factor if given else
    I/O, computed in float32 as PyTorch's CPU kernel does (so rounding matches)."""
    if out == size:
        return np.arange(out)
    ratio = np.float32(1.0 / scale) if scale else np.float32(size) / np.float32(out)
    index = np.floor(np.arange(out, dtype=np.float32) * ratio).astype(np.int64)
    return np.minimum(index, size - 1)


_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
_LINEAR_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None,
                mode: str = "nearest", align_corners: bool | None = None,
                recompute_scale_factor: bool | None = None, antialias: bool = False) -> Tensor:
    """Resize the spatial dimensions of (N, C, L), (N, C, H, W) or (N, C, D, H, W) input.

    Modes, per spatial dimension, with r = 1/scale_factor (or I/O when ``size`` is given or
    ``recompute_scale_factor``), PyTorch's rules:

    * 'nearest' (any of the three ranks): Y[..., o] = X[..., min(⌊o·r⌋, I − 1)].
    * 'linear' (3-D input), 'bilinear' (4-D), 'trilinear' (5-D): linear interpolation
      between the two inputs around the source position x = max((o + ½)·r − ½, 0), or
      x = o·(I − 1)/(O − 1) with ``align_corners=True`` (see ``sampling.linear_weights``).
    * 'bicubic' (4-D): cubic convolution (A = −0.75) over the four inputs around x (not
      clamped at 0), edge taps repeated (``sampling.cubic_weights``); not clamped to the
      input's range, as in PyTorch.

    Args:
        input: (N, C, *spatial) with 1 to 3 spatial dimensions.
        size: output spatial size (int or tuple); or
        scale_factor: multiplier(s); output size ⌊I·scale_factor⌋.
        mode: 'nearest', 'linear', 'bilinear', 'bicubic' or 'trilinear' ('area' and
            'nearest-exact' raise NotImplementedError).
        align_corners: for the linear modes only; None means False.
        recompute_scale_factor: pick source positions by I/O instead of 1/scale_factor.
        antialias: only False is implemented.

    Example:
        >>> import chainrule
        >>> interpolate(chainrule.tensor([[[1.0, 2.0]]]), scale_factor=2).tolist()
        [[[1.0, 1.0, 2.0, 2.0]]]
        >>> interpolate(chainrule.tensor([[[1.0, 2.0]]]), size=3, mode="linear",
        ...             align_corners=True).tolist()
        [[[1.0, 1.5, 2.0]]]
    """
    dims = _check_mode(input, mode, align_corners, antialias)
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor")
    spatial = input.shape[2:]
    if size is not None:
        out, scales = tuple_of(size, dims, "size"), (None,) * dims
    else:
        scales = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) else \
            (scale_factor,) * dims
        if len(scales) != dims or any(not s > 0 for s in scales):
            raise ValueError(f"interpolate: scale_factor must be positive, one per spatial "
                             f"dimension ({dims}), got {scale_factor!r}")
        out = tuple(math.floor(i * float(s)) for i, s in zip(spatial, scales))
        scales = (None,) * dims if recompute_scale_factor else scales
    if min(out) < 1:
        raise ValueError(f"interpolate: the output size {out} is empty (input {spatial})")
    if mode != "nearest":
        return resample(input, out, scales, bool(align_corners), cubic=mode == "bicubic")
    indices = tuple(nearest_source(i, o, s) for i, o, s in zip(spatial, out, scales))
    return ops_pool.UpsampleNearest.apply(input, indices=indices)


def _check_mode(input: Tensor, mode: str, align_corners: Any, antialias: bool) -> int:
    """The number of spatial dimensions, after PyTorch's checks of mode against rank."""
    dims = input.ndim - 2
    if mode not in _MODES or dims not in (1, 2, 3):
        raise NotImplementedError(f"interpolate: only 3-D, 4-D and 5-D inputs (N, C, *spatial) "
                                  f"are supported, for the modes {' | '.join(_MODES)} (got "
                                  f"{input.ndim}-D input and mode {mode!r})")
    if mode in ("area", "nearest-exact"):
        raise NotImplementedError(f"interpolate: mode={mode!r} is not implemented; 'nearest', "
                                  "'linear', 'bilinear', 'bicubic' and 'trilinear' are")
    if mode in _LINEAR_DIMS and _LINEAR_DIMS[mode] != dims:
        raise NotImplementedError(f"interpolate: got {input.ndim}-D input, but {mode} mode "
                                  f"needs {_LINEAR_DIMS[mode] + 2}-D input")
    if mode == "nearest" and align_corners is not None:
        raise ValueError("interpolate: align_corners option can only be set with the "
                         "interpolating modes: linear | bilinear | bicubic | trilinear")
    if antialias and (mode not in ("bilinear", "bicubic") or dims != 2):
        raise ValueError("interpolate: the anti-alias option is restricted to the bilinear "
                         "and bicubic modes and requires a 4-D input")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not implemented")
    return dims


__all__ = [
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool2d", "avg_pool1d",
    "avg_pool2d", "interpolate", "max_pool1d", "max_pool2d",
]
