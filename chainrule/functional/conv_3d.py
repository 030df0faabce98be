"""3-D convolutions with PyTorch's signatures: ``conv3d`` and ``conv_transpose3d`` (the file is
not named conv3d.py, which would shadow the function ``functional.conv3d`` on import).

Both are composites of the 2-D Functions (no backward of their own): a kernel of depth kd is
kd planar kernels, one per depth offset a, so

    conv3d:           Y[:, :, z] = b + Σ_a conv2d(Xpad[:, :, z·sd + a·dd], W[:, :, a])
    conv_transpose3d: Y[:, :, i·sd + a·dd − pd] += conv_transpose2d(X[:, :, i], W[:, :, a])

Each depth offset is one batched 2-D call over all N·D' slices at once (the slices are moved
into the batch axis), so Python loops over kd only, never over voxels; the gradients are
those of the 2-D Functions, the slicing, the padding and the sums.
Inputs are (N, C, D, H, W), or unbatched (C, D, H, W), treated as a batch of one and
returned without the batch axis, as in PyTorch.
"""

from __future__ import annotations

from typing import Any

from ..creation import zeros
from ..tensor import Tensor
from .basic import cat, pad
from .conv import (
    check_input,
    check_size,
    conv2d,
    conv_padding,
    conv_transpose2d,
    tuple_of,
)


def _check(name: str, x: Tensor, weight: Tensor, channels: int, groups: int) -> None:
    """``conv.check_input``'s checks for 3-D layouts, and: the weight's first dimension
    (out-channels of conv3d, in-channels of conv_transpose3d) must divide by ``groups``."""
    check_input(name, x, weight, 3, channels, groups)
    if weight.shape[0] % groups:
        kind = "out_channels" if name == "conv3d" else "in_channels"
        raise ValueError(f"{name}: {kind}={weight.shape[0]} must be divisible by "
                         f"groups={groups}")


def _slices_to_batch(x: Tensor) -> Tensor:
    """(N, C, D, H, W) -> (N·D, C, H, W): each depth slice an image of the batch."""
    n, c, d, h, w = x.shape
    return x.permute(0, 2, 1, 3, 4).reshape(n * d, c, h, w)


def _batch_to_slices(y: Tensor, n: int, d: int) -> Tensor:
    """(N·D, O, H, W) -> (N, O, D, H, W), the inverse of ``_slices_to_batch``."""
    _, o, h, w = y.shape
    return y.reshape(n, d, o, h, w).permute(0, 2, 1, 3, 4)


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """3-D cross-correlation: Y[n, o] = b[o] + Σ_c W[o, c] ⋆ X[n, c] (per group of channels).

    Args:
        input: (N, C, D, H, W), or (C, D, H, W) unbatched.
        weight: (O, C/groups, kd, kh, kw).
        bias: (O,) or None.
        stride, dilation: int or (d, h, w).
        padding: int, (d, h, w), 'valid' (none) or 'same' (output size = input size; stride
            1; an even kernel pads one more after).
        groups: split channels into this many independent convolutions.

    Shape:
        Do = ⌊(D + 2·pd − dd·(kd − 1) − 1)/sd⌋ + 1, likewise Ho, Wo; output (N, O, Do, Ho, Wo).

    Example:
        >>> import chainrule
        >>> x, w = chainrule.randn(2, 3, 6, 8, 8), chainrule.randn(4, 3, 3, 3, 3)
        >>> conv3d(x, w, padding=1, stride=2).shape
        (2, 4, 3, 4, 4)
    """
    if input.ndim == 4:  # unbatched, as in PyTorch
        return conv3d(input.unsqueeze(0), weight, bias, stride, padding, dilation,
                      groups).squeeze(0)
    _check("conv3d", input, weight, weight.shape[1] * groups if weight.ndim == 5 else 0,
           groups)
    kernel = tuple(weight.shape[2:])
    stride, dilation = tuple_of(stride, 3, "stride"), tuple_of(dilation, 3, "dilation")
    pads = conv_padding(padding, kernel, stride, dilation)
    check_size("conv3d", input, pads, kernel, dilation)
    x = input
    if any(lo or hi for lo, hi in pads):  # F.pad's order: last dimension first
        x = pad(x, tuple(v for pair in reversed(pads) for v in pair))
    n, depth = x.shape[0], x.shape[2]
    out_depth = (depth - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
    y = None
    for a in range(kernel[0]):
        start = a * dilation[0]
        planes = x[:, :, start:start + (out_depth - 1) * stride[0] + 1:stride[0]]
        term = conv2d(_slices_to_batch(planes), weight[:, :, a], None, stride[1:], 0,
                      dilation[1:], groups)
        y = term if y is None else y + term
    y = _batch_to_slices(y, n, out_depth)
    return y if bias is None else y + bias.reshape(-1, 1, 1, 1)


def _spread(y: Tensor, stride: int, before: int, length: int) -> Tensor:
    """(N, O, D, H, W) -> (N, O, length, H, W) with slice i at depth before + i·stride and
    zeros elsewhere (built by stacking zeros beside each slice, so it stays differentiable)."""
    n, o, d, h, w = y.shape
    if stride > 1:
        gap = zeros(n, o, d, stride - 1, h, w, dtype=y.dtype)
        y = cat([y.unsqueeze(3), gap], 3)
        y = y.reshape(n, o, d * stride, h, w)[:, :, :(d - 1) * stride + 1]
    return pad(y, (0, 0, 0, 0, before, length - before - y.shape[2]))


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """Transposed 3-D convolution (the gradient of conv3d with respect to its input).

    Args:
        input: (N, C, D, H, W), or (C, D, H, W) unbatched.
        weight: (C, O/groups, kd, kh, kw) (in-channels first).
        bias: (O,) or None.
        stride, dilation: int or (d, h, w).
        padding: int or (d, h, w): slices cut from each border of the full output.
        output_padding: int or (d, h, w), smaller than stride or dilation: slices added at
            the end of each spatial dimension.
        groups: independent channel groups.

    Shape:
        Do = (D − 1)·sd − 2·pd + dd·(kd − 1) + output_padding_d + 1, likewise Ho, Wo;
        output (N, O, Do, Ho, Wo).

    Example:
        >>> import chainrule
        >>> x, w = chainrule.randn(1, 4, 3, 5, 5), chainrule.randn(4, 2, 3, 3, 3)
        >>> conv_transpose3d(x, w, stride=2, padding=1, output_padding=1).shape
        (1, 2, 6, 10, 10)
    """
    name = "conv_transpose3d"
    if input.ndim == 4:
        return conv_transpose3d(input.unsqueeze(0), weight, bias, stride, padding,
                                output_padding, groups, dilation).squeeze(0)
    _check(name, input, weight, weight.shape[0] if weight.ndim == 5 else 0, groups)
    stride, dilation = tuple_of(stride, 3, "stride"), tuple_of(dilation, 3, "dilation")
    padding = tuple_of(padding, 3, "padding", minimum=0)
    output_padding = tuple_of(output_padding, 3, "output_padding", minimum=0)
    if any(op >= max(s, d) for op, s, d in zip(output_padding, stride, dilation)):
        raise ValueError(f"{name}: output_padding {output_padding} must be smaller than "
                         f"either stride {stride} or dilation {dilation}")
    kernel = tuple(weight.shape[2:])
    out = tuple((i - 1) * s - 2 * p + d * (k - 1) + op + 1 for i, s, p, d, k, op in zip(
        input.shape[2:], stride, padding, dilation, kernel, output_padding))
    if min(out) < 1:
        raise ValueError(f"{name}: the output size {out} would be empty (input "
                         f"{tuple(input.shape)}, padding {padding}); use less padding")
    n = input.shape[0]
    planes = _slices_to_batch(input)
    full = out[0] + 2 * padding[0]  # the depth before the padding is cut
    y = None
    for a in range(kernel[0]):
        term = conv_transpose2d(planes, weight[:, :, a], None, stride[1:], padding[1:],
                                output_padding[1:], groups, dilation[1:])
        term = _batch_to_slices(term, n, input.shape[2])
        term = _spread(term, stride[0], a * dilation[0], full)
        y = term if y is None else y + term
    y = y[:, :, padding[0]:padding[0] + out[0]]
    return y if bias is None else y + bias.reshape(-1, 1, 1, 1)


__all__ = ["conv3d", "conv_transpose3d"]
