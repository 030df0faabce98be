"""3-D pools with PyTorch's signatures: ``max_pool3d``, ``avg_pool3d``,
``adaptive_avg_pool3d``, ``adaptive_max_pool3d``.

Each is a composite of two 2-D pools of ``functional.pool`` (no backward of its own), because
a pooling window is a box, and a box pools one dimension after another:

1. pool over (H, W) every depth slice: (N, C, D, H, W) seen as (N, C·D, H, W);
2. pool over D: the result seen as (N, C, D, Ho·Wo), with a (kd, 1) window.

This holds for every setting PyTorch has. A maximum of maxima is the maximum, and the first
maximum in scan order (d, h, w) is the first in the earliest depth slice holding the maximum,
so the gradient goes where PyTorch sends it. An average pool's divisor is a product over the
dimensions of each dimension's count (the window size, the real elements with
``count_include_pad=False``, or the window clipped at the padded edge with ``ceil_mode``), so
two averages give it; ``divisor_override`` is a sum (divisor 1) and then a division.
Adaptive bins are boxes too. Inputs are (N, C, D, H, W) or unbatched (C, D, H, W).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .conv import tuple_of
from .pool import adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool2d, max_pool2d


def _batched(name: str, x: Tensor) -> tuple[Tensor, bool]:
    if x.ndim not in (4, 5):
        raise ValueError(f"{name}: expected a 5-D input (N, C, D, H, W) or an unbatched 4-D "
                         f"one (C, D, H, W), got shape {tuple(x.shape)}")
    return (x, True) if x.ndim == 5 else (x.unsqueeze(0), False)


def _window(name: str, x: Tensor, kernel_size, stride, padding, dilation, ceil_mode) -> tuple:
    """Validated (kernel, stride, padding, dilation) 3-tuples, with PyTorch's checks."""
    kernel = tuple_of(kernel_size, 3, "kernel_size")
    stride = kernel if stride is None or stride == () else tuple_of(stride, 3, "stride")
    pads = tuple_of(padding, 3, "padding", minimum=0)
    dilation = tuple_of(dilation, 3, "dilation")
    if any(2 * p > k for p, k in zip(pads, kernel)):
        raise ValueError(f"{name}: padding {pads} should be at most half of the kernel size "
                         f"{kernel}")
    out = []
    for size, k, s, p, d in zip(x.shape[2:], kernel, stride, pads, dilation):
        span = size + 2 * p - d * (k - 1) - 1
        count = (span + (s - 1 if ceil_mode else 0)) // s + 1
        out.append(count - 1 if ceil_mode and (count - 1) * s >= size + p else count)
    if min(out) < 1:
        raise ValueError(f"{name}: the input's size {tuple(x.shape[2:])} is too small for "
                         f"kernel_size={kernel_size}, padding={padding}, dilation={dilation} "
                         f"(output size {tuple(out)}); use a larger input")
    return kernel, stride, pads, dilation


def _planes(x: Tensor) -> Tensor:
    """(N, C, D, H, W) -> (N, C·D, H, W)."""
    n, c, d, h, w = x.shape
    return x.reshape(n, c * d, h, w)


def _columns(y: Tensor, channels: int) -> Tensor:
    """(N, C·D, Ho, Wo) -> (N, C, D, Ho·Wo): the depth axis as rows of one image."""
    n, cd, h, w = y.shape
    return y.reshape(n, channels, cd // channels, h * w)


def _volume(y: Tensor, plane: tuple[int, int], batched: bool) -> Tensor:
    """(N, C, Do, Ho·Wo) -> (N, C, Do, Ho, Wo), without N if the input had none."""
    y = y.reshape(*y.shape[:3], *plane)
    return y if batched else y.squeeze(0)


def _flat_indices(first: Tensor, second: Tensor, x: Tensor) -> np.ndarray:
    """Positions d·H·W + h·W + w of the maxima, from the two stages' indices: ``second``
    (N, C, Do, Ho·Wo) holds d·(Ho·Wo) + j, ``first`` (N, C·D, Ho, Wo) holds h·W + w."""
    n, c, depth, h, w = x.shape
    plane = first.shape[2] * first.shape[3]
    d = second.numpy() // plane
    within = first.numpy().reshape(n, c, depth, plane)
    hw = np.take_along_axis(within, d, axis=2)
    return d * (h * w) + hw


def max_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """Y[n, c, i, j, k] = max of the (dilated) window at (i·s − p, j·s − p, k·s − p), padded
    with −∞.

    Args:
        input: (N, C, D, H, W) or (C, D, H, W).
        kernel_size, stride (default: kernel_size), padding (≤ half the kernel size),
            dilation: int or (d, h, w).
        ceil_mode: round the output size up (a last, partial window), as PyTorch.
        return_indices: also return the argmax positions d·H·W + h·W + w (int64), first
            maximum on ties.

    Shape:
        Do = ⌊(D + 2p − d·(k − 1) − 1)/s⌋ + 1 (⌈ ⌉ with ceil_mode), likewise Ho, Wo.

    Example:
        >>> import chainrule
        >>> max_pool3d(chainrule.randn(2, 3, 4, 8, 8), 2).shape
        (2, 3, 2, 4, 4)
    """
    x, batched = _batched("max_pool3d", input)
    k, s, p, d = _window("max_pool3d", x, kernel_size, stride, padding, dilation, ceil_mode)
    first = max_pool2d(_planes(x), k[1:], s[1:], p[1:], d[1:], ceil_mode, return_indices)
    plane = first[0].shape[2:] if return_indices else first.shape[2:]
    columns = _columns(first[0] if return_indices else first, x.shape[1])
    second = max_pool2d(columns, (k[0], 1), (s[0], 1), (p[0], 0), (d[0], 1), ceil_mode,
                        return_indices)
    if not return_indices:
        return _volume(second, plane, batched)
    indices = _flat_indices(first[1], second[1], x)
    return _volume(second[0], plane, batched), \
        _volume(Tensor._const(indices), plane, batched)


def avg_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Y[n, c, i, j, k] = (sum of the window at (i·s − p, j·s − p, k·s − p), zero padded) / D.

    Args:
        input: (N, C, D, H, W) or (C, D, H, W).
        kernel_size, stride (default: kernel_size), padding (≤ half the kernel): int or
            (d, h, w).
        ceil_mode: round the output size up, as PyTorch.
        count_include_pad: D counts padded zeros (kd·kh·kw); if False only real voxels.
        divisor_override: use this D everywhere instead.

    Shape:
        Do = ⌊(D + 2p − k)/s⌋ + 1 (⌈ ⌉ with ceil_mode), likewise Ho, Wo.

    Example:
        >>> import chainrule
        >>> avg_pool3d(chainrule.ones(1, 1, 2, 4, 4), 2).shape
        (1, 1, 1, 2, 2)
    """
    x, batched = _batched("avg_pool3d", input)
    k, s, p, _ = _window("avg_pool3d", x, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None and divisor_override <= 0:
        raise ValueError(f"avg_pool3d: divisor_override must be positive, got "
                         f"{divisor_override}")
    override = None if divisor_override is None else 1  # sum first, divide once at the end
    first = avg_pool2d(_planes(x), k[1:], s[1:], p[1:], ceil_mode, count_include_pad, override)
    second = avg_pool2d(_columns(first, x.shape[1]), (k[0], 1), (s[0], 1), (p[0], 0),
                        ceil_mode, count_include_pad, divisor_override)
    return _volume(second, first.shape[2:], batched)


def _adaptive_size(name: str, output_size: Any, x: Tensor) -> tuple[int, int, int]:
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * 3
    if len(sizes) != 3:
        raise ValueError(f"{name}: output_size must be an int or a tuple of 3, got "
                         f"{output_size!r}")
    sizes = tuple(x.shape[2 + i] if v is None else v for i, v in enumerate(sizes))
    return tuple_of(sizes, 3, "output_size")


def adaptive_avg_pool3d(input: Tensor, output_size: Any) -> Tensor:
    """Average over PyTorch's adaptive bins: output slice i covers input slices
    [⌊i·D/Do⌋, ⌈(i + 1)·D/Do⌉), likewise rows and columns.

    Args:
        input: (N, C, D, H, W) or (C, D, H, W).
        output_size: int or (Do, Ho, Wo); None keeps that input size.

    Example:
        >>> import chainrule
        >>> adaptive_avg_pool3d(chainrule.randn(2, 3, 5, 7, 9), (1, 2, 4)).shape
        (2, 3, 1, 2, 4)
    """
    x, batched = _batched("adaptive_avg_pool3d", input)
    out = _adaptive_size("adaptive_avg_pool3d", output_size, x)
    first = adaptive_avg_pool2d(_planes(x), out[1:])
    second = adaptive_avg_pool2d(_columns(first, x.shape[1]), (out[0], out[1] * out[2]))
    return _volume(second, out[1:], batched)


def adaptive_max_pool3d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Maximum over PyTorch's adaptive bins (as in ``adaptive_avg_pool3d``); with
    ``return_indices`` also the argmax positions d·H·W + h·W + w (int64, first maximum on
    ties).

    Example:
        >>> import chainrule
        >>> adaptive_max_pool3d(chainrule.randn(1, 2, 5, 5, 5), 3).shape
        (1, 2, 3, 3, 3)
    """
    x, batched = _batched("adaptive_max_pool3d", input)
    out = _adaptive_size("adaptive_max_pool3d", output_size, x)
    first = adaptive_max_pool2d(_planes(x), out[1:], return_indices)
    columns = _columns(first[0] if return_indices else first, x.shape[1])
    second = adaptive_max_pool2d(columns, (out[0], out[1] * out[2]), return_indices)
    if not return_indices:
        return _volume(second, out[1:], batched)
    indices = _flat_indices(first[1], second[1], x)
    return _volume(second[0], out[1:], batched), \
        _volume(Tensor._const(indices), out[1:], batched)


__all__ = ["adaptive_avg_pool3d", "adaptive_max_pool3d", "avg_pool3d", "max_pool3d"]
