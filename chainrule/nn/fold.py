"""``Unfold`` and ``Fold``: sliding blocks as columns and back, with PyTorch's names and
arguments; each calls one function of ``chainrule.functional``. No parameters."""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ..tensor import Tensor
from .module import Module


class Unfold(Module):
    """(N, C, H, W) -> (N, C·kh·kw, L): the blocks of a sliding window as columns; see
    ``functional.unfold``.

    Args:
        kernel_size, dilation (1), padding (0), stride (1): int or (h, w).

    Example:
        >>> import chainrule
        >>> chainrule.nn.Unfold(2, stride=2)(chainrule.randn(1, 3, 4, 6)).shape
        (1, 12, 6)
    """

    def __init__(self, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input: Tensor) -> Tensor:
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """(N, C·kh·kw, L) -> (N, C, H, W): blocks summed back into an image (overlaps add up);
    see ``functional.fold``.

    Args:
        output_size: (H, W) or an int.
        kernel_size, dilation (1), padding (0), stride (1): int or (h, w).

    Example:
        >>> import chainrule
        >>> chainrule.nn.Fold((4, 6), 2, stride=2)(chainrule.randn(1, 12, 6)).shape
        (1, 3, 4, 6)
    """

    def __init__(self, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")


__all__ = ["Fold", "Unfold"]
