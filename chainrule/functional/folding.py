"""``unfold`` (sliding blocks as columns, im2col) and ``fold`` (their sum back into an image,
col2im), with PyTorch's signatures and layout; the derivations are in ``ops.fold``."""

from __future__ import annotations

from typing import Any

from ..ops import fold as ops_fold
from ..ops.im2col import output_size
from ..tensor import Tensor
from .conv import tuple_of


def _geometry(kernel_size, dilation, padding, stride, size) -> tuple:
    """(kernel, dilation, padding, stride, blocks) as pairs, and a RuntimeError naming the
    arguments when a dimension has no block."""
    kernel = tuple_of(kernel_size, 2, "kernel_size")
    dilation = tuple_of(dilation, 2, "dilation")
    padding = tuple_of(padding, 2, "padding", minimum=0)
    stride = tuple_of(stride, 2, "stride")
    blocks = tuple(output_size(i, k, s, p, p, d)
                   for i, k, s, p, d in zip(size, kernel, stride, padding, dilation))
    if min(blocks) < 1:
        raise RuntimeError(f"Given input with spatial size {tuple(size)}, kernel_size={kernel}, "
                           f"dilation={dilation}, padding={padding}, calculated shape of the "
                           f"array of sliding blocks as {blocks}, but its components must be "
                           "at least one")
    return kernel, dilation, padding, stride, blocks


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
           stride: Any = 1) -> Tensor:
    """Extract sliding blocks: (N, C, H, W) -> (N, C·kh·kw, L), column l holding block l's
    values (channel slowest, then kernel row, kernel column), L = Lh·Lw blocks row-major.

    Args:
        input: (N, C, H, W), or (C, H, W) unbatched.
        kernel_size, dilation, stride: int or (h, w).
        padding: int or (h, w) zeros on both sides of each spatial dimension.

    Shape:
        Lh = ⌊(H + 2·ph − dh·(kh − 1) − 1)/sh⌋ + 1, likewise Lw.

    Example:
        >>> import chainrule
        >>> unfold(chainrule.arange(9.0).reshape(1, 1, 3, 3), 2)[0].tolist()
        [[0.0, 1.0, 3.0, 4.0], [1.0, 2.0, 4.0, 5.0], [3.0, 4.0, 6.0, 7.0], [4.0, 5.0, 7.0, 8.0]]
    """
    if input.ndim == 3:
        return unfold(input.unsqueeze(0), kernel_size, dilation, padding, stride).squeeze(0)
    if input.ndim != 4:
        raise RuntimeError(f"unfold: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got "
                           f"shape {tuple(input.shape)}")
    geometry = _geometry(kernel_size, dilation, padding, stride, input.shape[2:])
    return ops_fold.Unfold.apply(input, geometry=geometry)


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1,
         padding: Any = 0, stride: Any = 1) -> Tensor:
    """Sum sliding blocks into an image: (N, C·kh·kw, L) -> (N, C, H, W), the inverse layout
    of ``unfold``; values of overlapping blocks add up (fold(unfold(x)) counts each pixel
    once per block that covers it).

    Args:
        input: (N, C·kh·kw, L), or (C·kh·kw, L) unbatched.
        output_size: (H, W) (or an int).
        kernel_size, dilation, padding, stride: as in ``unfold``; L must equal the number of
            blocks they give for ``output_size``.

    Example:
        >>> import chainrule
        >>> fold(chainrule.ones(1, 4, 4), 3, 2)[0, 0].tolist()
        [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]
    """
    if input.ndim == 2:
        return fold(input.unsqueeze(0), output_size, kernel_size, dilation, padding,
                    stride).squeeze(0)
    if input.ndim != 3:
        raise RuntimeError(f"fold: expected a 2-D (C·kh·kw, L) or 3-D (N, C·kh·kw, L) input, "
                           f"got shape {tuple(input.shape)}")
    size = tuple_of(output_size, 2, "output_size")
    geometry = _geometry(kernel_size, dilation, padding, stride, size)
    kernel, blocks = geometry[0], geometry[4]
    if input.shape[1] % (kernel[0] * kernel[1]):
        raise RuntimeError(f"fold: expected size of input's dimension 1 to be divisible by "
                           f"the product of kernel_size, but got input.size(1)="
                           f"{input.shape[1]} and kernel_size={kernel}")
    if input.shape[2] != blocks[0] * blocks[1]:
        raise RuntimeError(f"fold: given output_size={size}, kernel_size={kernel}, the "
                           f"calculated number of sliding blocks is {blocks[0]} * {blocks[1]} "
                           f"= {blocks[0] * blocks[1]}, but got input.size(2)={input.shape[2]}")
    return ops_fold.Fold.apply(input, size=size, geometry=geometry)


__all__ = ["fold", "unfold"]
