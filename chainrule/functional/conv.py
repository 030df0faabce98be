"""Convolutions with PyTorch's signatures: ``conv1d``, ``conv2d``, ``conv_transpose1d``,
``conv_transpose2d``.

These check and normalise their arguments and call the fused Functions of ``ops.conv``
(where the derivations are). Inputs are batched (N, C, H, W) / (N, C, L), or unbatched
(C, H, W) / (C, L), which, as in PyTorch, are treated as a batch of one and returned without
the batch axis. Outputs may be NCHW views of channels-last memory (see ``ops.im2col``);
that is invisible except in ``.data.strides``.
"""

from __future__ import annotations

from typing import Any

from ..ops import conv as ops_conv
from ..tensor import Tensor

_LAYOUTS = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}


def tuple_of(value: Any, dims: int, name: str, minimum: int = 1) -> tuple[int, ...]:
    """``value`` (an int, or a tuple or list of ``dims`` ints or of one, which stands for all
    ``dims`` as in PyTorch's int-list arguments) as a tuple, each at least ``minimum``."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * dims
    if len(values) == 1:
        values *= dims
    if len(values) != dims or any(not isinstance(v, int) or v < minimum for v in values):
        raise ValueError(f"{name} must be an int or a tuple of {dims} ints ≥ {minimum}, "
                         f"got {value!r}")
    return values


def conv_padding(padding: Any, kernel, stride, dilation) -> list[tuple[int, int]]:
    """(before, after) zero padding per spatial dimension; 'same' pads d·(k − 1) in total,
    the odd one after (as PyTorch does for even kernels), and needs stride 1."""
    if padding == "valid":
        return [(0, 0)] * len(kernel)
    if padding == "same":
        if any(s != 1 for s in stride):
            raise ValueError("padding='same' is not supported for strided convolutions")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return [(t // 2, t - t // 2) for t in totals]
    if isinstance(padding, str):
        raise ValueError(f"padding must be an int, a tuple, 'same' or 'valid', got {padding!r}")
    return [(p, p) for p in tuple_of(padding, len(kernel), "padding", minimum=0)]


def check_input(name: str, x: Tensor, weight: Tensor, dims: int, channels: int,
                groups: int) -> None:
    """Raise ValueError/TypeError naming the layout, the expected channels and the shapes."""
    layout = _LAYOUTS[dims]
    if weight.ndim != dims + 2:
        raise ValueError(f"{name}: the weight must have {dims + 2} dimensions, got shape "
                         f"{tuple(weight.shape)}")
    if x.ndim != dims + 2:
        raise ValueError(f"{name}: expected a {dims + 2}-D input {layout} or an unbatched "
                         f"{dims + 1}-D input ({layout[4:]}, got shape {tuple(x.shape)}")
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"{name}: groups must be a positive int, got {groups!r}")
    if x.shape[1] != channels:
        raise ValueError(f"{name}: expected input with layout {layout} and C={channels} "
                         f"channels (weight {tuple(weight.shape)}, groups={groups}), but got "
                         f"input of shape {tuple(x.shape)} with C={x.shape[1]}")
    if x.dtype != weight.dtype:
        raise TypeError(f"{name}: the input is {x.dtype} but the weight is {weight.dtype}; "
                        f"convert the input with .to({weight.dtype.name})")


def check_size(name: str, x: Tensor, pads, kernel, dilation) -> None:
    """The padded input must hold at least one (dilated) kernel."""
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(x.shape[2:], pads))
    reach = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(p < r for p, r in zip(padded, reach)):
        raise ValueError(f"{name}: the input's spatial size {tuple(x.shape[2:])} (padded: "
                         f"{padded}) is smaller than the kernel size {reach} (dilated); use a "
                         "larger input, more padding or a smaller kernel")


def _conv(name: str, x: Tensor, weight: Tensor, bias: Tensor | None, stride: Any,
          padding: Any, dilation: Any, groups: int, dims: int, relu: bool = False) -> Tensor:
    """conv1d/conv2d: validate, make 1-D a height-1 2-D convolution, apply Conv2d (and with
    ``relu``, max(·, 0) after it: one ``Conv2dReLU`` node where Conv2d would run)."""
    if x.ndim == dims + 1:  # unbatched, as in PyTorch
        return _conv(name, x.unsqueeze(0), weight, bias, stride, padding, dilation, groups,
                     dims, relu).squeeze(0)
    check_input(name, x, weight, dims, weight.shape[1] * groups if weight.ndim else 0, groups)
    if weight.shape[0] % groups:
        raise ValueError(f"{name}: out_channels={weight.shape[0]} must be divisible by "
                         f"groups={groups}")
    kernel = tuple(weight.shape[2:])
    stride = tuple_of(stride, dims, "stride")
    dilation = tuple_of(dilation, dims, "dilation")
    pads = conv_padding(padding, kernel, stride, dilation)
    check_size(name, x, pads, kernel, dilation)
    if dims == 1:
        x, weight = x.unsqueeze(2), weight.unsqueeze(2)
        stride, dilation, pads = (1, *stride), (1, *dilation), [(0, 0), *pads]
    inputs = (x, weight) if bias is None else (x, weight, bias)
    geometry = {"stride": stride, "padding": (*pads[0], *pads[1]), "dilation": dilation}
    if groups > 1 and weight.shape[1] == 1:  # depthwise: one input channel per group
        y = ops_conv.DepthwiseConv2d.apply(*inputs, **geometry)
        y = y.relu() if relu else y
    else:
        y = (ops_conv.Conv2dReLU if relu else ops_conv.Conv2d).apply(*inputs, groups=groups,
                                                                      **geometry)
    return y.squeeze(2) if dims == 1 else y


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation: Y[n, o] = b[o] + Σ_c W[o, c] ⋆ X[n, c] (per group of channels).

    Args:
        input: (N, C, H, W), or (C, H, W) unbatched.
        weight: (O, C/groups, kh, kw).
        bias: (O,) or None.
        stride, dilation: int or (h, w).
        padding: int, (h, w), 'valid' (none) or 'same' (output size = input size; stride 1).
        groups: split channels into this many independent convolutions (groups = C:
            depthwise, computed by a dedicated Function).

    Shape:
        Ho = ⌊(H + 2·ph − dh·(kh − 1) − 1)/sh⌋ + 1, likewise Wo; output (N, O, Ho, Wo).

    Example:
        >>> import chainrule
        >>> x, w = chainrule.randn(2, 3, 8, 8), chainrule.randn(4, 3, 3, 3)
        >>> conv2d(x, w, padding=1, stride=2).shape
        (2, 4, 4, 4)
    """
    return _conv("conv2d", input, weight, bias, stride, padding, dilation, groups, 2)


def conv2d_relu(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """relu(conv2d(...)) as one graph node (``ops.conv.Conv2dReLU``, where the derivation
    is): the same values and gradients as the two calls, without the ReLU's array.
    ``nn.Sequential`` runs a Conv2d layer directly followed by a ReLU this way
    (``nn.fusion``). Not a PyTorch name."""
    return _conv("conv2d", input, weight, bias, stride, padding, dilation, groups, 2, True)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D cross-correlation over (N, C, L) sequences (conv2d of height-1 images).

    Args:
        input: (N, C, L), or (C, L) unbatched.
        weight: (O, C/groups, k).
        bias: (O,) or None.
        stride, padding, dilation, groups: as in ``conv2d``, one spatial dimension.

    Shape:
        Lo = ⌊(L + 2p − d·(k − 1) − 1)/s⌋ + 1; output (N, O, Lo).

    Example:
        >>> import chainrule
        >>> conv1d(chainrule.randn(2, 3, 10), chainrule.randn(5, 3, 4), padding="same").shape
        (2, 5, 10)
    """
    return _conv("conv1d", input, weight, bias, stride, padding, dilation, groups, 1)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """Transposed 2-D convolution (the gradient of conv2d with respect to its input).

    Args:
        input: (N, C, H, W), or (C, H, W) unbatched.
        weight: (C, O/groups, kh, kw) (note: in-channels first).
        bias: (O,) or None.
        stride, dilation: int or (h, w).
        padding: int or (h, w): rows/columns cut from each border of the full output.
        output_padding: int or (h, w), smaller than stride or dilation: rows/columns added
            at the bottom/right (resolves which input size a strided conv2d came from).
        groups: independent channel groups.

    Shape:
        Ho = (H − 1)·sh − 2·ph + dh·(kh − 1) + output_padding_h + 1; output (N, O, Ho, Wo).

    Example:
        >>> import chainrule
        >>> x, w = chainrule.randn(1, 4, 5, 5), chainrule.randn(4, 2, 3, 3)
        >>> conv_transpose2d(x, w, stride=2, padding=1, output_padding=1).shape
        (1, 2, 10, 10)
    """
    name = "conv_transpose2d"
    if input.ndim == 3:
        return conv_transpose2d(input.unsqueeze(0), weight, bias, stride, padding,
                                output_padding, groups, dilation).squeeze(0)
    check_input(name, input, weight, 2, weight.shape[0] if weight.ndim else 0, groups)
    if weight.shape[0] % groups:
        raise ValueError(f"{name}: in_channels={weight.shape[0]} must be divisible by "
                         f"groups={groups}")
    stride, dilation = tuple_of(stride, 2, "stride"), tuple_of(dilation, 2, "dilation")
    padding = tuple_of(padding, 2, "padding", minimum=0)
    output_padding = tuple_of(output_padding, 2, "output_padding", minimum=0)
    if any(op >= max(s, d) for op, s, d in zip(output_padding, stride, dilation)):
        raise ValueError(f"{name}: output_padding {output_padding} must be smaller than "
                         f"either stride {stride} or dilation {dilation}")
    _, out = ops_conv.transposed_size(input.shape[2:], weight.shape[2:], stride, padding,
                                      output_padding, dilation)
    if min(out) < 1:
        raise ValueError(f"{name}: the output size {tuple(out)} would be empty (input "
                         f"{tuple(input.shape)}, padding {padding}); use less padding")
    inputs = (input, weight) if bias is None else (input, weight, bias)
    return ops_conv.ConvTranspose2d.apply(*inputs, stride=stride, padding=padding,
                                          output_padding=output_padding, dilation=dilation,
                                          groups=groups)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """Transposed 1-D convolution over (N, C, L) sequences (``conv_transpose2d`` of height-1
    images; the gradient of conv1d with respect to its input).

    Args:
        input: (N, C, L), or (C, L) unbatched.
        weight: (C, O/groups, k) (in-channels first).
        bias: (O,) or None.
        stride, padding, output_padding, groups, dilation: as in ``conv_transpose2d``, one
            spatial dimension (ints or 1-tuples).

    Shape:
        Lo = (L − 1)·s − 2p + d·(k − 1) + output_padding + 1; output (N, O, Lo).

    Example:
        >>> import chainrule
        >>> x, w = chainrule.randn(2, 4, 5), chainrule.randn(4, 3, 3)
        >>> conv_transpose1d(x, w, stride=2, padding=1, output_padding=1).shape
        (2, 3, 10)
    """
    if input.ndim not in (2, 3) or weight.ndim != 3:
        raise ValueError(f"conv_transpose1d: expected a 3-D input (N, C, L) or an unbatched "
                         f"2-D one (C, L), and a 3-D weight (C, O/groups, k); got input "
                         f"{tuple(input.shape)} and weight {tuple(weight.shape)}")
    s, p, op, d = (tuple_of(value, 1, name, minimum)[0] for value, name, minimum in (
        (stride, "stride", 1), (padding, "padding", 0), (output_padding, "output_padding", 0),
        (dilation, "dilation", 1)))
    y = conv_transpose2d(input.unsqueeze(-2), weight.unsqueeze(2), bias, (1, s), (0, p),
                         (0, op), groups, (1, d))
    return y.squeeze(-2)


__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]
