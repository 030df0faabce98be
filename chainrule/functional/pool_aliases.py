"""PyTorch's other names for functions of ``pool``, ``pool3d`` and ``pool_more``, so that
scripts which call them run unchanged:

* the ``*_with_indices`` forms of the max pools, which always return (values, indices), the
  indices being flat positions within each (N, C) plane, as ``return_indices=True`` gives;
* the deprecated ``upsample``, ``upsample_nearest`` and ``upsample_bilinear``: ``interpolate``
  with PyTorch's ``UserWarning`` (``upsample_bilinear`` aligns corners, as PyTorch's does).

Each is one call of the function it names; none has a backward of its own.
"""

from __future__ import annotations

import warnings
from typing import Any

from ..tensor import Tensor
from .pool import adaptive_max_pool2d, interpolate, max_pool1d, max_pool2d
from .pool3d import adaptive_max_pool3d, max_pool3d
from .pool_more import adaptive_max_pool1d

# NOTE: PyTorch's *_with_indices functions take ``return_indices`` and ignore it (the
# indices always come back); so do these.


def max_pool1d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """``max_pool1d(..., return_indices=True)``: the maxima and their positions l (int64).

    Example:
        >>> import chainrule
        >>> y, i = max_pool1d_with_indices(chainrule.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2)
        >>> y.tolist(), i.tolist()
        ([[[3.0, 2.0]]], [[[1, 2]]])
    """
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """``max_pool2d(..., return_indices=True)``: the maxima and their positions h·W + w.

    Example:
        >>> import chainrule
        >>> y, i = max_pool2d_with_indices(chainrule.tensor([[[[1.0, 4.0], [3.0, 2.0]]]]), 2)
        >>> y.tolist(), i.tolist()
        ([[[[4.0]]]], [[[[1]]]])
    """
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """``max_pool3d(..., return_indices=True)``: the maxima and their positions
    d·H·W + h·W + w.

    Example:
        >>> import chainrule
        >>> y, i = max_pool3d_with_indices(chainrule.arange(8.0).reshape(1, 1, 2, 2, 2), 2)
        >>> y.tolist(), i.tolist()
        ([[[[[7.0]]]]], [[[[[7]]]]])
    """
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(input: Tensor, output_size: Any,
                                     return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """``adaptive_max_pool1d(..., return_indices=True)``: the maxima and their positions l.

    Example:
        >>> import chainrule
        >>> y, i = adaptive_max_pool1d_with_indices(chainrule.tensor([[[1.0, 3.0, 2.0]]]), 1)
        >>> y.tolist(), i.tolist()
        ([[[3.0]]], [[[1]]])
    """
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size: Any,
                                     return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """``adaptive_max_pool2d(..., return_indices=True)``: the maxima and their positions
    h·W + w.

    Example:
        >>> import chainrule
        >>> y, i = adaptive_max_pool2d_with_indices(chainrule.randn(2, 3, 7, 5), (2, 3))
        >>> y.shape, i.shape
        ((2, 3, 2, 3), (2, 3, 2, 3))
    """
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input: Tensor, output_size: Any,
                                     return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """``adaptive_max_pool3d(..., return_indices=True)``: the maxima and their positions
    d·H·W + h·W + w.

    Example:
        >>> import chainrule
        >>> y, i = adaptive_max_pool3d_with_indices(chainrule.randn(1, 2, 3, 4, 5), 2)
        >>> y.shape, i.shape
        ((1, 2, 2, 2, 2), (1, 2, 2, 2, 2))
    """
    return adaptive_max_pool3d(input, output_size, True)


def _deprecated(name: str) -> None:
    """PyTorch's warning for its deprecated resizing names, pointed at the caller's line."""
    warnings.warn(f"`nn.functional.{name}` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", UserWarning, stacklevel=3)


def upsample(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:
    """Deprecated, as in PyTorch (warns): ``interpolate(input, size, scale_factor, mode,
    align_corners)``.

    Example:
        >>> import chainrule
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     upsample(chainrule.tensor([[[1.0, 2.0]]]), scale_factor=2).tolist()
        [[[1.0, 1.0, 2.0, 2.0]]]
    """
    _deprecated("upsample")
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated, as in PyTorch (warns): ``interpolate(input, size, scale_factor,
    mode='nearest')``.

    Example:
        >>> import chainrule
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     upsample_nearest(chainrule.tensor([[[1.0, 2.0]]]), size=3).tolist()
        [[[1.0, 1.0, 2.0]]]
    """
    _deprecated("upsample_nearest")
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated, as in PyTorch (warns): ``interpolate(input, size, scale_factor,
    mode='bilinear', align_corners=True)`` of (N, C, H, W) input: the corner pixels' centres
    map onto each other.

    Example:
        >>> import chainrule
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     upsample_bilinear(chainrule.tensor([[[[0.0, 2.0]]]]), size=(1, 3)).tolist()
        [[[[0.0, 1.0, 2.0]]]]
    """
    _deprecated("upsample_bilinear")
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


__all__ = [
    "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d_with_indices", "max_pool1d_with_indices", "max_pool2d_with_indices",
    "max_pool3d_with_indices", "upsample", "upsample_bilinear", "upsample_nearest",
]
