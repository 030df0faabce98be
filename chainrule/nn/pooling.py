"""Pooling and upsampling layers (PyTorch's names, arguments and defaults); each holds its
settings and calls one function of ``chainrule.functional``. None has parameters.
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ..tensor import Tensor
from .module import Module


class _MaxPoolNd(Module):
    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool2d(_MaxPoolNd):
    """Max over (dilated) windows of (N, C, H, W) images; see ``functional.max_pool2d``.

    Args:
        kernel_size, stride (default: kernel_size), padding (−∞, at most half the
            kernel size), dilation: int or (h, w).
        return_indices: also return argmax positions h·W + w.
        ceil_mode: round the output size up.

    Shape:
        (N, C, H, W) -> (N, C, Ho, Wo), Ho = ⌊(H + 2p − d·(k − 1) − 1)/s⌋ + 1 (⌈ ⌉ with
        ceil_mode); (C, H, W) unbatched.

    Example:
        >>> import chainrule
        >>> chainrule.nn.MaxPool2d(2)(chainrule.randn(1, 3, 6, 6)).shape
        (1, 3, 3, 3)
    """

    def forward(self, input: Tensor) -> Any:
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode, self.return_indices)


class MaxPool1d(_MaxPoolNd):
    """Max over windows of (N, C, L) sequences; arguments as ``MaxPool2d``.

    Example:
        >>> import chainrule
        >>> chainrule.nn.MaxPool1d(3, stride=2)(chainrule.randn(2, 4, 9)).shape
        (2, 4, 4)
    """

    def forward(self, input: Tensor) -> Any:
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode, self.return_indices)


class AvgPool2d(Module):
    """Mean over windows of (N, C, H, W) images; see ``functional.avg_pool2d``.

    Args:
        kernel_size, stride (default: kernel_size), padding (zeros, at most half the kernel).
        ceil_mode: round the output size up.
        count_include_pad: count padded zeros in the divisor.
        divisor_override: divide every window sum by this instead.

    Shape:
        (N, C, H, W) -> (N, C, Ho, Wo), Ho = ⌊(H + 2p − k)/s⌋ + 1; (C, H, W) unbatched.

    Example:
        >>> import chainrule
        >>> chainrule.nn.AvgPool2d(3, stride=1, padding=1)(chainrule.randn(1, 2, 5, 5)).shape
        (1, 2, 5, 5)
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(Module):
    """Mean over windows of (N, C, L) sequences; arguments as ``AvgPool2d`` (no
    divisor_override, as in PyTorch).

    Example:
        >>> import chainrule
        >>> chainrule.nn.AvgPool1d(2)(chainrule.randn(2, 3, 8)).shape
        (2, 3, 4)
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptivePool(Module):
    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(_AdaptivePool):
    """Mean over PyTorch's adaptive bins, giving a fixed output size whatever the input's.

    Args:
        output_size: int or (Ho, Wo); None keeps that input dimension.

    Shape:
        (N, C, H, W) -> (N, C, Ho, Wo); (C, H, W) unbatched.

    Example:
        >>> import chainrule
        >>> chainrule.nn.AdaptiveAvgPool2d(1)(chainrule.randn(2, 8, 7, 7)).shape
        (2, 8, 1, 1)
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(input, self.output_size)


class AdaptiveAvgPool1d(_AdaptivePool):
    """Mean over adaptive bins of (N, C, L) sequences: (N, C, L) -> (N, C, output_size).

    Example:
        >>> import chainrule
        >>> chainrule.nn.AdaptiveAvgPool1d(4)(chainrule.randn(2, 3, 10)).shape
        (2, 3, 4)
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveMaxPool2d(_AdaptivePool):
    """Max over PyTorch's adaptive bins; ``return_indices`` also returns the argmax positions.

    Shape:
        (N, C, H, W) -> (N, C, Ho, Wo); (C, H, W) unbatched.

    Example:
        >>> import chainrule
        >>> chainrule.nn.AdaptiveMaxPool2d((2, 3))(chainrule.randn(1, 4, 7, 8)).shape
        (1, 4, 2, 3)
    """

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input: Tensor) -> Any:
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)


class Upsample(Module):
    """Resize (N, C, L), (N, C, H, W) or (N, C, D, H, W) input: nearest-neighbour copying or
    linear interpolation; see ``functional.interpolate``.

    Args:
        size: output spatial size; or
        scale_factor: multiplier(s) (stored as floats), output size ⌊I·scale_factor⌋.
        mode: 'nearest' (default), 'linear' (3-D input), 'bilinear' or 'bicubic' (4-D),
            'trilinear' (5-D).
        align_corners: linear modes only: map the corner pixels' centres onto each other.
        recompute_scale_factor: pick source pixels by I/O instead of 1/scale_factor.

    Example:
        >>> import chainrule
        >>> chainrule.nn.Upsample(scale_factor=2)(chainrule.randn(1, 3, 4, 5)).shape
        (1, 3, 8, 10)
    """

    def __init__(self, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                 align_corners: bool | None = None,
                 recompute_scale_factor: bool | None = None) -> None:
        super().__init__()
        if isinstance(scale_factor, (tuple, list)):
            scale_factor = tuple(float(s) for s in scale_factor)
        elif scale_factor:
            scale_factor = float(scale_factor)
        self.size, self.scale_factor, self.mode = size, scale_factor or None, mode
        self.align_corners, self.recompute_scale_factor = align_corners, recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             self.recompute_scale_factor)

    def extra_repr(self) -> str:
        detail = f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None else \
            f"size={self.size!r}"
        return f"{detail}, mode={self.mode!r}"
