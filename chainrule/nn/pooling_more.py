"""More pooling layers (PyTorch's names, arguments, defaults and reprs): ``AdaptiveMaxPool1d``,
``MaxUnpool1d/2d/3d``, ``LPPool1d/2d/3d``. Each holds its settings and calls one function of
``chainrule.functional``; none has parameters.
"""

from __future__ import annotations

from typing import Any

from ..functional.pool_more import (
    adaptive_max_pool1d,
    lp_pool1d,
    lp_pool2d,
    lp_pool3d,
    max_unpool1d,
    max_unpool2d,
    max_unpool3d,
)
from ..tensor import Tensor
from .module import Module


class AdaptiveMaxPool1d(Module):
    """Max over PyTorch's adaptive bins of (N, C, L) sequences; ``return_indices`` also
    returns the argmax positions. See ``functional.adaptive_max_pool1d``.

    Args:
        output_size: Lo (None keeps L).
        return_indices: also return the positions of the maxima.

    Shape: (N, C, L) -> (N, C, Lo); (C, L) unbatched.

    Example:
        >>> import chainrule
        >>> chainrule.nn.AdaptiveMaxPool1d(3)(chainrule.randn(2, 4, 10)).shape
        (2, 4, 3)
    """

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input: Tensor) -> Any:
        return adaptive_max_pool1d(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


def _as_tuple(value: Any, dims: int) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * dims


class _MaxUnpoolNd(Module):
    dims = 1

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size = _as_tuple(kernel_size, self.dims)
        self.stride = _as_tuple(kernel_size if stride is None else stride, self.dims)
        self.padding = _as_tuple(padding, self.dims)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """The inverse of ``MaxPool1d``: values go back to the positions that
    ``MaxPool1d(return_indices=True)`` gives, zeros elsewhere. See ``functional.max_unpool1d``.

    Args:
        kernel_size, stride (default: kernel_size), padding: those of the max pool.

    Shape: (N, C, L) and indices of that shape -> (N, C, (L − 1)·s − 2p + k), or
    ``output_size`` given to forward.

    Example:
        >>> import chainrule
        >>> chainrule.nn.MaxUnpool1d(2)
        MaxUnpool1d(kernel_size=(2,), stride=(2,), padding=(0,))
    """

    dims = 1

    def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:
        return max_unpool1d(input, indices, self.kernel_size, self.stride, self.padding,
                            output_size)


class MaxUnpool2d(_MaxUnpoolNd):
    """The inverse of ``MaxPool2d``: values go back to the positions h·W + w that
    ``MaxPool2d(return_indices=True)`` gives, zeros elsewhere. See ``functional.max_unpool2d``.

    Args:
        kernel_size, stride (default: kernel_size), padding: ints or (h, w) pairs.

    Shape: (N, C, H, W) and indices of that shape -> (N, C, Ho, Wo),
    Ho = (H − 1)·s − 2p + k unless ``output_size`` is given to forward.

    Example:
        >>> import chainrule
        >>> pool = chainrule.nn.MaxPool2d(2, return_indices=True)
        >>> y, i = pool(chainrule.randn(1, 3, 4, 6))
        >>> chainrule.nn.MaxUnpool2d(2)(y, i).shape
        (1, 3, 4, 6)
    """

    dims = 2

    def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:
        return max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding,
                            output_size)


class MaxUnpool3d(_MaxUnpoolNd):
    """The inverse of ``MaxPool3d``: values go back to the positions d·H·W + h·W + w that
    ``MaxPool3d(return_indices=True)`` gives, zeros elsewhere. See ``functional.max_unpool3d``.

    Args:
        kernel_size, stride (default: kernel_size), padding: ints or (d, h, w) triples.

    Shape: (N, C, D, H, W) and indices of that shape -> (N, C, Do, Ho, Wo),
    Do = (D − 1)·s − 2p + k unless ``output_size`` is given to forward; (C, D, H, W) unbatched.

    Example:
        >>> import chainrule
        >>> pool = chainrule.nn.MaxPool3d(2, return_indices=True)
        >>> y, i = pool(chainrule.randn(1, 3, 4, 6, 2))
        >>> chainrule.nn.MaxUnpool3d(2)(y, i).shape
        (1, 3, 4, 6, 2)
    """

    dims = 3

    def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:
        return max_unpool3d(input, indices, self.kernel_size, self.stride, self.padding,
                            output_size)


class _LPPoolNd(Module):
    def __init__(self, norm_type: float, kernel_size: Any, stride: Any = None,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, ceil_mode

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """Power-average pooling (Σ_window xᵖ)^(1/p) of (N, C, L) sequences; see
    ``functional.lp_pool1d``.

    Args:
        norm_type: p (±inf: the largest, smallest |x|). kernel_size: the window.
        stride: the step (default: kernel_size).
        ceil_mode: keep a last, partial window.

    Shape: (N, C, L) -> (N, C, ⌊(L − k)/s⌋ + 1); (C, L) unbatched.

    Example:
        >>> import chainrule
        >>> chainrule.nn.LPPool1d(2, 3)
        LPPool1d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)
    """

    def forward(self, input: Tensor) -> Tensor:
        return lp_pool1d(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)


class LPPool2d(_LPPoolNd):
    """Power-average pooling (Σ_window xᵖ)^(1/p) of (N, C, H, W) images; see
    ``functional.lp_pool2d``.

    Args as ``LPPool1d``, with ints or (h, w) pairs.

    Shape: (N, C, H, W) -> (N, C, Ho, Wo); (C, H, W) unbatched.

    Example:
        >>> import chainrule
        >>> chainrule.nn.LPPool2d(2, 2)(chainrule.ones(1, 1, 4, 4)).tolist()
        [[[[2.0, 2.0], [2.0, 2.0]]]]
    """

    def forward(self, input: Tensor) -> Tensor:
        return lp_pool2d(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)


class LPPool3d(_LPPoolNd):
    """Power-average pooling (Σ_window xᵖ)^(1/p) of (N, C, D, H, W) volumes; see
    ``functional.lp_pool3d``.

    Args as ``LPPool1d``, with ints or (d, h, w) triples.

    Shape: (N, C, D, H, W) -> (N, C, Do, Ho, Wo), Do = ⌊(D − k)/s⌋ + 1; (C, D, H, W)
    unbatched.

    Example:
        >>> import chainrule
        >>> chainrule.nn.LPPool3d(1, 2)(chainrule.ones(1, 1, 2, 2, 4)).tolist()
        [[[[[8.0, 8.0]]]]]
    """

    def forward(self, input: Tensor) -> Tensor:
        return lp_pool3d(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)
