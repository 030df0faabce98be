"""3-D pooling layers (PyTorch's names, arguments and defaults): ``MaxPool3d``,
``AvgPool3d``, ``AdaptiveAvgPool3d``, ``AdaptiveMaxPool3d``. Each holds its settings and calls
one function of ``chainrule.functional`` (``functional.pool3d``). None has parameters.
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ..tensor import Tensor
from .pooling import AdaptiveMaxPool2d, AvgPool2d, _AdaptivePool, _MaxPoolNd


class MaxPool3d(_MaxPoolNd):
    """Max over (dilated) windows of (N, C, D, H, W) volumes; see ``functional.max_pool3d``.

    Args:
        kernel_size, stride (default: kernel_size), padding (−∞, at most half the kernel
            size), dilation: int or (d, h, w).
        return_indices: also return argmax positions d·H·W + h·W + w.
        ceil_mode: round the output size up.

    Shape:
        (N, C, D, H, W) -> (N, C, Do, Ho, Wo), Do = ⌊(D + 2p − d·(k − 1) − 1)/s⌋ + 1 (⌈ ⌉
        with ceil_mode); (C, D, H, W) unbatched.

    Example:
        >>> import chainrule
        >>> chainrule.nn.MaxPool3d(2)(chainrule.randn(1, 3, 4, 6, 6)).shape
        (1, 3, 2, 3, 3)
    """

    def forward(self, input: Tensor) -> Any:
        return F.max_pool3d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode, self.return_indices)


class AvgPool3d(AvgPool2d):
    """Mean over windows of (N, C, D, H, W) volumes; arguments as ``AvgPool2d`` with (d, h, w)
    tuples; see ``functional.avg_pool3d``.

    Example:
        >>> import chainrule
        >>> chainrule.nn.AvgPool3d(2)(chainrule.randn(1, 2, 4, 4, 4)).shape
        (1, 2, 2, 2, 2)
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)


class AdaptiveAvgPool3d(_AdaptivePool):
    """Mean over PyTorch's adaptive bins, giving a fixed output size whatever the input's.

    Args:
        output_size: int or (Do, Ho, Wo); None keeps that input dimension.

    Shape:
        (N, C, D, H, W) -> (N, C, Do, Ho, Wo); (C, D, H, W) unbatched.

    Example:
        >>> import chainrule
        >>> chainrule.nn.AdaptiveAvgPool3d(1)(chainrule.randn(2, 8, 3, 7, 7)).shape
        (2, 8, 1, 1, 1)
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool3d(input, self.output_size)


class AdaptiveMaxPool3d(AdaptiveMaxPool2d):
    """Max over PyTorch's adaptive bins of (N, C, D, H, W) volumes; ``return_indices`` also
    returns the argmax positions d·H·W + h·W + w.

    Example:
        >>> import chainrule
        >>> chainrule.nn.AdaptiveMaxPool3d((1, 2, 3))(chainrule.randn(1, 4, 3, 7, 8)).shape
        (1, 4, 1, 2, 3)
    """

    def forward(self, input: Tensor) -> Any:
        return F.adaptive_max_pool3d(input, self.output_size, self.return_indices)
