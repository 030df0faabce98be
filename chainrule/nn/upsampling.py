"""Upsampling layers with PyTorch's names: ``PixelShuffle``, ``PixelUnshuffle``,
``UpsamplingNearest2d``, ``UpsamplingBilinear2d`` (``Upsample`` itself is in ``pooling``).
None has parameters.
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ..tensor import Tensor
from .module import Module
from .pooling import Upsample


class PixelShuffle(Module):
    """(*, C·r², H, W) -> (*, C, H·r, W·r); see ``functional.pixel_shuffle``.

    Args:
        upscale_factor: r.

    Example:
        >>> import chainrule
        >>> chainrule.nn.PixelShuffle(3)(chainrule.randn(1, 18, 4, 4)).shape
        (1, 2, 12, 12)
    """

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(*, C, H·r, W·r) -> (*, C·r², H, W), the inverse of ``PixelShuffle``; see
    ``functional.pixel_unshuffle``.

    Args:
        downscale_factor: r.

    Example:
        >>> import chainrule
        >>> chainrule.nn.PixelUnshuffle(2)(chainrule.randn(1, 3, 4, 6)).shape
        (1, 12, 2, 3)
    """

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


class UpsamplingNearest2d(Upsample):
    """Nearest-neighbour upsampling of (N, C, H, W) images: ``Upsample(mode='nearest')``.

    Args:
        size: output (H, W) (or an int); or
        scale_factor: multiplier(s).

    Example:
        >>> import chainrule
        >>> chainrule.nn.UpsamplingNearest2d(scale_factor=2)(chainrule.randn(1, 1, 2, 3)).shape
        (1, 1, 4, 6)
    """

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear upsampling of (N, C, H, W) images with ``align_corners=True`` (PyTorch's
    choice for this layer): ``Upsample(mode='bilinear', align_corners=True)``.

    Args:
        size: output (H, W) (or an int); or
        scale_factor: multiplier(s).

    Example:
        >>> import chainrule
        >>> up = chainrule.nn.UpsamplingBilinear2d(size=3)
        >>> up(chainrule.tensor([[[[0.0, 2.0]]]])).tolist()[0][0][0]
        [0.0, 1.0, 2.0]
    """

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


__all__ = ["PixelShuffle", "PixelUnshuffle", "UpsamplingBilinear2d", "UpsamplingNearest2d"]
