"""ONNX nodes for whole layers: ``LAYERS[type(module)](b, module, inputs, out) -> name``.

``inputs`` are the ONNX names of the call's tensor arguments and ``out`` the traced output
tensor (its shape is known). Each converter reads the layer's own settings, so Conv2d becomes
one Conv node whatever ops its forward ran. Shapes in Reshape nodes keep the batch axis
dynamic (0: copy the input's size).
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from .. import nn
from ..functional.conv import conv_padding
from .builder import GraphBuilder, UnsupportedOperatorError


def _pairs(value: Any, dims: int) -> list[int]:
    return [int(v) for v in value] if isinstance(value, (tuple, list)) else [int(value)] * dims


def _bias(b: GraphBuilder, module: Any, channels: int) -> str:
    return b.weight(module.bias) if module.bias is not None else b.floats(np.zeros(channels))


def _with_bias(b: GraphBuilder, module: Any, inputs: list[str]) -> list[str]:
    """``inputs`` and the bias, which Gemm, Conv and ConvTranspose take as optional."""
    return inputs + [b.weight(module.bias)] if module.bias is not None else inputs


def linear(b: GraphBuilder, m: nn.Linear, inputs: list[str], out: Any) -> str:
    """2-D input: Gemm(x, W, b, transB=1); more dimensions: MatMul(x, Wᵀ) + b."""
    if out.ndim == 2:
        return b.node("Gemm", _with_bias(b, m, [inputs[0], b.weight(m.weight)]), transB=1)
    product = b.node("MatMul", [inputs[0], b.node("Transpose", [b.weight(m.weight)])])
    return b.node("Add", [product, b.weight(m.bias)]) if m.bias is not None else product


def conv(b: GraphBuilder, m: Any, inputs: list[str], out: Any) -> str:
    """Conv1d/Conv2d: Conv, after a Pad node for a padding_mode other than 'zeros'."""
    dims = len(m.kernel_size)
    pads = conv_padding(m.padding, m.kernel_size, m.stride, m.dilation)
    x = inputs[0]
    if m.padding_mode != "zeros":
        mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[m.padding_mode]
        if mode == "wrap" and b.opset < 19:
            raise UnsupportedOperatorError(f"export: {type(m).__name__} with padding_mode="
                                           f"'circular' needs opset_version 19 or later")
        spatial = [lo for lo, _ in pads], [hi for _, hi in pads]
        x = b.node("Pad", [x, b.ints([0, 0, *spatial[0], 0, 0, *spatial[1]])], mode=mode)
        pads = [(0, 0)] * dims
    return b.node("Conv", _with_bias(b, m, [x, b.weight(m.weight)]),
                  strides=list(m.stride), dilations=list(m.dilation), group=m.groups,
                  pads=[lo for lo, _ in pads] + [hi for _, hi in pads],
                  kernel_shape=list(m.kernel_size))


def conv_transpose(b: GraphBuilder, m: Any, inputs: list[str], out: Any,
                   in_shape: tuple) -> str:
    """ConvTranspose1d/2d: ConvTranspose, with the output_padding that gives the traced size
    (a forward called with ``output_size`` chooses it per call)."""
    dims = len(m.kernel_size)
    extra = [int(size - ((n - 1) * s - 2 * p + d * (k - 1) + 1)) for size, n, s, p, d, k in
             zip(out.shape[-dims:], in_shape[-dims:], m.stride, m.padding, m.dilation,
                 m.kernel_size)]
    return b.node("ConvTranspose", _with_bias(b, m, [inputs[0], b.weight(m.weight)]),
                  strides=list(m.stride), dilations=list(m.dilation), group=m.groups,
                  pads=list(m.padding) * 2, kernel_shape=list(m.kernel_size),
                  output_padding=extra)


def max_pool(b: GraphBuilder, m: Any, inputs: list[str], out: Any) -> str:
    dims = out.ndim - 2
    if m.return_indices:
        raise UnsupportedOperatorError("export: MaxPool with return_indices=True is not "
                                       "supported")
    pads = _pairs(m.padding, dims)
    return b.node("MaxPool", [inputs[0]], kernel_shape=_pairs(m.kernel_size, dims),
                  strides=_pairs(m.stride, dims), pads=pads * 2,
                  dilations=_pairs(m.dilation, dims), ceil_mode=int(m.ceil_mode))


def avg_pool(b: GraphBuilder, m: Any, inputs: list[str], out: Any) -> str:
    dims = out.ndim - 2
    if getattr(m, "divisor_override", None):
        raise UnsupportedOperatorError("export: AvgPool2d with divisor_override is not "
                                       "supported")
    pads = _pairs(m.padding, dims)
    return b.node("AveragePool", [inputs[0]], kernel_shape=_pairs(m.kernel_size, dims),
                  strides=_pairs(m.stride, dims), pads=pads * 2,
                  count_include_pad=int(m.count_include_pad), ceil_mode=int(m.ceil_mode))


def adaptive_avg_pool(b: GraphBuilder, m: Any, inputs: list[str], out: Any,
                      in_shape: tuple) -> str:
    """GlobalAveragePool for a 1×1 output; AveragePool when the sizes divide evenly."""
    sizes, targets = in_shape[2:], out.shape[2:]
    if all(t == 1 for t in targets):
        return b.node("GlobalAveragePool", [inputs[0]])
    if any(s % t for s, t in zip(sizes, targets)):
        raise UnsupportedOperatorError(
            f"export: {type(m).__name__}({m.output_size}) on inputs of size {tuple(sizes)} "
            "has no ONNX equivalent (the input size must be a multiple of the output size)")
    kernel = [s // t for s, t in zip(sizes, targets)]
    return b.node("AveragePool", [inputs[0]], kernel_shape=kernel, strides=kernel)


def batch_norm(b: GraphBuilder, m: Any, inputs: list[str], out: Any) -> str:
    """BatchNormalization with the running statistics (eval mode)."""
    if m.running_mean is None:
        raise UnsupportedOperatorError(f"export: {type(m).__name__} with "
                                       "track_running_stats=False is not supported")
    c = m.num_features
    scale = b.weight(m.weight) if m.weight is not None else b.floats(np.ones(c))
    return b.node("BatchNormalization", [inputs[0], scale, _bias(b, m, c),
                                         b.weight(m.running_mean), b.weight(m.running_var)],
                  epsilon=float(m.eps))


def layer_norm(b: GraphBuilder, m: nn.LayerNorm, inputs: list[str], out: Any) -> str:
    shape = m.normalized_shape
    scale = b.weight(m.weight) if m.weight is not None else b.floats(np.ones(shape))
    bias = b.weight(m.bias) if getattr(m, "bias", None) is not None else \
        b.floats(np.zeros(shape))
    return b.node("LayerNormalization", [inputs[0], scale, bias], axis=-len(shape),
                  epsilon=float(m.eps))


def group_norm(b: GraphBuilder, m: nn.GroupNorm, inputs: list[str], out: Any) -> str:
    """(N, C, *) -> (N, G, -1) -> InstanceNormalization -> (N, C, *) -> affine (opset 17
    has no GroupNormalization)."""
    g = m.num_groups
    grouped = b.node("Reshape", [inputs[0], b.ints([0, g, -1])])
    normed = b.node("InstanceNormalization", [grouped, b.floats(np.ones(g)),
                                              b.floats(np.zeros(g))], epsilon=float(m.eps))
    y = b.node("Reshape", [normed, b.node("Shape", [inputs[0]])])
    if m.weight is None:
        return y
    channel_shape = b.ints([m.num_channels] + [1] * (out.ndim - 2))
    y = b.node("Mul", [y, b.node("Reshape", [b.weight(m.weight), channel_shape])])
    return b.node("Add", [y, b.node("Reshape", [b.weight(m.bias), channel_shape])])


def flatten(b: GraphBuilder, m: nn.Flatten, inputs: list[str], out: Any,
            in_shape: tuple) -> str:
    start = m.start_dim % len(in_shape)
    end = m.end_dim % len(in_shape)
    if start == 1 and end == len(in_shape) - 1:
        return b.node("Flatten", [inputs[0]], axis=1)
    return reshape_to(b, inputs[0], in_shape, out.shape)


def reshape_to(b: GraphBuilder, x: str, in_shape: tuple, out_shape: tuple) -> str:
    """Reshape to ``out_shape``, keeping axes that may change size dynamic: an axis that
    keeps its place and size is copied from the input (0), and the first other axis longer
    than 1 is inferred (−1); only a reshape that only adds or drops axes of size 1 becomes
    Unsqueeze/Squeeze, which keep every axis dynamic. All give ``out_shape`` on the traced
    sizes."""
    target = [int(n) for n in out_shape]
    kept_in = [n for n in in_shape if n != 1]
    if kept_in == [n for n in target if n != 1] and len(kept_in) > 0 and \
            0 not in target and len(target) != len(in_shape):
        return _squeeze_unsqueeze(b, x, in_shape, target)
    for i, n in enumerate(target):
        if i < len(in_shape) and in_shape[i] == n and (n != 1 or i == 0):
            target[i] = 0
    if 0 not in out_shape:
        free = [i for i, n in enumerate(target) if n > 1]
        if free:
            target[free[0]] = -1
    return b.node("Reshape", [x, b.ints(target)])


def _squeeze_unsqueeze(b: GraphBuilder, x: str, in_shape: tuple, target: list[int]) -> str:
    ones = [i for i, n in enumerate(in_shape) if n == 1]
    if ones:
        x = b.node("Squeeze", [x, b.ints(ones)])
    new = [i for i, n in enumerate(target) if n == 1]
    return b.node("Unsqueeze", [x, b.ints(new)]) if new else x


def embedding(b: GraphBuilder, m: nn.Embedding, inputs: list[str], out: Any) -> str:
    return b.node("Gather", [b.weight(m.weight), inputs[0]], axis=0)


def gelu(b: GraphBuilder, m: Any, inputs: list[str], out: Any) -> str:
    return gelu_nodes(b, inputs[0], getattr(m, "approximate", "none"))


def gelu_nodes(b: GraphBuilder, x: str, approximate: str) -> str:
    """x·½(1 + erf(x/√2)), or the tanh form (opset 17 has no Gelu node)."""
    if approximate == "tanh":
        cube = b.node("Mul", [b.node("Mul", [x, x]), x])
        inner = b.node("Add", [x, b.node("Mul", [cube, b.floats(0.044715)])])
        t = b.node("Tanh", [b.node("Mul", [inner, b.floats(math.sqrt(2 / math.pi))])])
        return b.node("Mul", [b.node("Mul", [x, b.node("Add", [t, b.floats(1.0)])]),
                              b.floats(0.5)])
    erf = b.node("Erf", [b.node("Div", [x, b.floats(math.sqrt(2.0))])])
    return b.node("Mul", [b.node("Mul", [x, b.node("Add", [erf, b.floats(1.0)])]),
                          b.floats(0.5)])


def _unary(op: str, **fixed: Any) -> Callable:
    def convert(b: GraphBuilder, m: Any, inputs: list[str], out: Any) -> str:
        return b.node(op, [inputs[0]], **{k: v(m) if callable(v) else v
                                          for k, v in fixed.items()})
    return convert


def _softmax(op: str) -> Callable:
    def convert(b: GraphBuilder, m: Any, inputs: list[str], out: Any) -> str:
        if m.dim is None:
            raise UnsupportedOperatorError(f"export: {type(m).__name__}(dim=None): give dim")
        return b.node(op, [inputs[0]], axis=int(m.dim))
    return convert


def hardtanh(b: GraphBuilder, m: Any, inputs: list[str], out: Any) -> str:
    return b.node("Clip", [inputs[0], b.floats(m.min_val), b.floats(m.max_val)])


def silu(b: GraphBuilder, m: Any, inputs: list[str], out: Any) -> str:
    return b.node("Mul", [inputs[0], b.node("Sigmoid", [inputs[0]])])


def softplus(b: GraphBuilder, m: Any, inputs: list[str], out: Any) -> str:
    """Softplus(βx)/β; above the threshold PyTorch returns x, which log(1 + eˣ) equals to
    float32 precision for the default threshold 20."""
    if m.beta == 1:
        return b.node("Softplus", [inputs[0]])
    scaled = b.node("Softplus", [b.node("Mul", [inputs[0], b.floats(m.beta)])])
    return b.node("Div", [scaled, b.floats(m.beta)])


def mish(b: GraphBuilder, m: Any, inputs: list[str], out: Any) -> str:
    return b.node("Mul", [inputs[0], b.node("Tanh", [b.node("Softplus", [inputs[0]])])])


def prelu(b: GraphBuilder, m: Any, inputs: list[str], out: Any) -> str:
    slope = b.weight(m.weight)
    if m.num_parameters > 1 and out.ndim > 2:
        slope = b.node("Reshape", [slope, b.ints([m.num_parameters] + [1] * (out.ndim - 2))])
    return b.node("PRelu", [inputs[0], slope])


def identity(b: GraphBuilder, m: Any, inputs: list[str], out: Any) -> str:
    return b.node("Identity", [inputs[0]])


# PyTorch's SELU constants (torch.nn.SELU), which ONNX's defaults round differently.
_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946

LAYERS: dict[type, Callable] = {
    nn.Linear: linear, nn.Conv1d: conv, nn.Conv2d: conv,
    nn.MaxPool1d: max_pool, nn.MaxPool2d: max_pool, nn.AvgPool1d: avg_pool,
    nn.AvgPool2d: avg_pool, nn.BatchNorm1d: batch_norm, nn.BatchNorm2d: batch_norm,
    nn.LayerNorm: layer_norm, nn.GroupNorm: group_norm, nn.Embedding: embedding,
    nn.Dropout: identity, nn.Identity: identity,
    nn.ReLU: _unary("Relu"), nn.Sigmoid: _unary("Sigmoid"), nn.Tanh: _unary("Tanh"),
    nn.LeakyReLU: _unary("LeakyRelu", alpha=lambda m: float(m.negative_slope)),
    nn.ELU: _unary("Elu", alpha=lambda m: float(m.alpha)),
    nn.CELU: _unary("Celu", alpha=lambda m: float(m.alpha)),
    nn.SELU: _unary("Selu", alpha=_SELU_ALPHA, gamma=_SELU_SCALE),
    nn.Softsign: _unary("Softsign"), nn.Hardswish: _unary("HardSwish"),
    nn.Hardsigmoid: _unary("HardSigmoid", alpha=1 / 6, beta=0.5),
    nn.GELU: gelu, nn.SiLU: silu, nn.Softplus: softplus, nn.Mish: mish, nn.PReLU: prelu,
    nn.Hardtanh: hardtanh, nn.ReLU6: hardtanh,
    nn.Softmax: _softmax("Softmax"), nn.LogSoftmax: _softmax("LogSoftmax"),
}
# Converters that also need the input's shape (the traced argument's).
SHAPED = {nn.AdaptiveAvgPool1d: adaptive_avg_pool, nn.AdaptiveAvgPool2d: adaptive_avg_pool,
          nn.Flatten: flatten, nn.ConvTranspose1d: conv_transpose,
          nn.ConvTranspose2d: conv_transpose}
