"""ONNX nodes for single autograd Functions met outside a known layer (a model's own
``forward``: ``x + y``, ``cat``, ``permute``, ``relu`` ...): ``OPS[fn](b, ctx, inputs, out)``.

``ctx`` is the node's Context (its parents' shapes and the settings the Function saved), and
``inputs`` the ONNX names of its parents. Functions whose operands ONNX broadcasts itself
(``BROADCASTING``) are handed their operands before chainrule's ``BroadcastTo``.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .. import ops
from .builder import GraphBuilder, UnsupportedOperatorError
from .export_attention import attention
from .export_layers import gelu_nodes, reshape_to


def _same(op: str) -> Callable:
    def convert(b: GraphBuilder, ctx: Any, inputs: list[str], out: Any) -> str:
        return b.node(op, inputs)
    return convert


def _axes(axis: Any, ndim: int) -> list[int]:
    if axis is None:
        return list(range(ndim))
    return [int(a) for a in (axis if isinstance(axis, (tuple, list)) else (axis,))]


def reshape(b: GraphBuilder, ctx: Any, inputs: list[str], out: Any) -> str:
    return reshape_to(b, inputs[0], ctx.shape, out.shape)


def permute(b: GraphBuilder, ctx: Any, inputs: list[str], out: Any) -> str:
    return b.node("Transpose", inputs, perm=[int(p) for p in ctx.perm])


def concatenate(b: GraphBuilder, ctx: Any, inputs: list[str], out: Any) -> str:
    return b.node("Concat", inputs, axis=int(ctx.axis))


def broadcast_to(b: GraphBuilder, ctx: Any, inputs: list[str], out: Any) -> str:
    """Expand; where the input already has the target's size, 1 (so a dynamic batch stays
    dynamic)."""
    shape = list(out.shape)
    offset = len(shape) - len(ctx.shape)
    for i, n in enumerate(ctx.shape):
        if n == shape[offset + i]:
            shape[offset + i] = 1
    return b.node("Expand", [inputs[0], b.ints(shape)])


def linear(b: GraphBuilder, ctx: Any, inputs: list[str], out: Any) -> str:
    product = b.node("MatMul", [inputs[0], b.node("Transpose", [inputs[1]])])
    return b.node("Add", [product, inputs[2]]) if len(inputs) > 2 else product


def pow_scalar(b: GraphBuilder, ctx: Any, inputs: list[str], out: Any) -> str:
    return b.node("Pow", [inputs[0], b.floats(ctx.exponent)])


def clamp(b: GraphBuilder, ctx: Any, inputs: list[str], out: Any) -> str:
    low = b.floats(ctx.lo) if ctx.lo is not None else ""
    high = b.floats(ctx.hi) if ctx.hi is not None else ""
    return b.node("Clip", [inputs[0], low, high])


def _reduce(op: str) -> Callable:
    def convert(b: GraphBuilder, ctx: Any, inputs: list[str], out: Any) -> str:
        axes = _axes(ctx.axis, len(ctx.shape))
        if op == "ReduceSum":  # axes became an input in opset 13
            return b.node(op, [inputs[0], b.ints(axes)], keepdims=int(bool(ctx.keepdims)))
        return b.node(op, inputs, axes=axes, keepdims=int(bool(ctx.keepdims)))
    return convert


def _softmax(op: str) -> Callable:
    def convert(b: GraphBuilder, ctx: Any, inputs: list[str], out: Any) -> str:
        if isinstance(ctx.axis, (tuple, list)):
            raise UnsupportedOperatorError(f"export: {op} over several axes is not supported")
        return b.node(op, inputs, axis=int(ctx.axis))
    return convert


_BIG = np.iinfo(np.int64).max


def get_item(b: GraphBuilder, ctx: Any, inputs: list[str], out: Any) -> str:
    """x[index] for ints, slices, None and Ellipsis (Slice, Gather, Unsqueeze), or one integer
    array on one axis (Gather); negative ints and open slice ends stay relative to the runtime
    size, so dynamic axes stay dynamic."""
    index = ctx.index if isinstance(ctx.index, tuple) else (ctx.index,)
    ndim = len(ctx.shape)
    if any(i is Ellipsis for i in index):
        at = next(k for k, i in enumerate(index) if i is Ellipsis)
        used = sum(1 for i in index if i is not None and i is not Ellipsis)
        index = index[:at] + (slice(None),) * (ndim - used) + index[at + 1:]
    arrays = [k for k, i in enumerate(index) if isinstance(i, (np.ndarray, list))]
    if arrays:
        return _gather_array(b, index, arrays, inputs[0])
    x, axis, gathered, new_axes, out_axis = inputs[0], 0, [], [], 0
    for item in index:
        if item is None:
            new_axes.append(out_axis)
            out_axis += 1
        elif isinstance(item, slice):
            x = _slice(b, x, item, axis)
            axis, out_axis = axis + 1, out_axis + 1
        else:
            gathered.append((axis, int(item)))
            axis += 1
    for axis, i in reversed(gathered):
        x = b.node("Gather", [x, b.ints(i)], axis=axis)
    return b.node("Unsqueeze", [x, b.ints(new_axes)]) if new_axes else x


def _slice(b: GraphBuilder, x: str, item: slice, axis: int) -> str:
    step = 1 if item.step is None else int(item.step)
    if item.start is None and item.stop is None and step == 1:
        return x
    start = item.start if item.start is not None else (0 if step > 0 else _BIG)
    stop = item.stop if item.stop is not None else (_BIG if step > 0 else -_BIG - 1)
    return b.node("Slice", [x, b.ints([start]), b.ints([stop]), b.ints([axis]),
                            b.ints([step])])


def _gather_array(b: GraphBuilder, index: tuple, arrays: list[int], x: str) -> str:
    whole = all(isinstance(i, slice) and i == slice(None) for k, i in enumerate(index)
                if k not in arrays)
    chosen = np.asarray(index[arrays[0]]) if len(arrays) == 1 else None
    if chosen is None or not whole or chosen.dtype.kind not in "iu":
        raise UnsupportedOperatorError(f"export: indexing with {index!r} is not supported "
                                       "(ints, slices, None, or one integer array on one axis)")
    return b.node("Gather", [x, b.ints(chosen)], axis=arrays[0])


def gelu(b: GraphBuilder, ctx: Any, inputs: list[str], out: Any) -> str:
    return gelu_nodes(b, inputs[0], "none")


OPS: dict[type, Callable] = {
    ops.Add: _same("Add"), ops.Sub: _same("Sub"), ops.Mul: _same("Mul"),
    ops.Div: _same("Div"), ops.Pow: _same("Pow"), ops.Maximum: _same("Max"),
    ops.Minimum: _same("Min"), ops.MatMul: _same("MatMul"),
    ops.Neg: _same("Neg"), ops.Exp: _same("Exp"), ops.Log: _same("Log"),
    ops.Sqrt: _same("Sqrt"), ops.Abs: _same("Abs"), ops.Tanh: _same("Tanh"),
    ops.Sigmoid: _same("Sigmoid"), ops.Relu: _same("Relu"), ops.Softplus: _same("Softplus"),
    ops.Sin: _same("Sin"), ops.Cos: _same("Cos"),
    ops.Reshape: reshape, ops.Permute: permute, ops.Concatenate: concatenate,
    ops.BroadcastTo: broadcast_to, ops.Linear: linear, ops.PowScalar: pow_scalar,
    ops.Clamp: clamp, ops.Gelu: gelu, ops.GetItem: get_item,
    ops.ScaledDotProductAttention: attention,
    ops.Sum: _reduce("ReduceSum"), ops.Mean: _reduce("ReduceMean"),
    ops.Softmax: _softmax("Softmax"), ops.LogSoftmax: _softmax("LogSoftmax"),
}
BROADCASTING = frozenset({ops.Add, ops.Sub, ops.Mul, ops.Div, ops.Pow, ops.Maximum,
                          ops.Minimum, ops.MatMul, ops.ScaledDotProductAttention})
