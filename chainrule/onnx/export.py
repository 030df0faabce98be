"""``export``: a chainrule model as an ONNX file (PyTorch's ``torch.onnx.export``).

How it works: one forward pass is traced (``trace.py``): the autograd graph links every
output to its inputs through each node's Function and parent tensors, and a hook records which
module call produced which tensor. Walking back from the outputs, a tensor that a known layer
produced becomes that layer's ONNX nodes (``export_layers.LAYERS``), any other graph node
becomes the nodes of its Function (``export_ops.OPS``); parameters and buffers become
initializers named by their ``state_dict`` keys, other constants become unnamed
initializers. Anything else raises ``UnsupportedOperatorError`` naming the Function and the
module it came from.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np

from .. import ops
from ..nn.module import Module
from ..tensor import Tensor
from .builder import GraphBuilder, UnsupportedOperatorError
from .export_layers import LAYERS, SHAPED
from .export_ops import BROADCASTING, OPS
from .export_sequence import SEQUENCE_LAYERS, check_call
from .trace import Call, Trace, run_traced, traced_inputs


def export(model: Module, args: Any, f: Any, export_params: bool = True,
           verbose: bool = False, input_names: Sequence[str] | None = None,
           output_names: Sequence[str] | None = None, opset_version: int = 17,
           do_constant_folding: bool = True,
           dynamic_axes: dict[str, Any] | None = None) -> None:
    """Export ``model`` to the ONNX file ``f`` by tracing ``model(*args)`` once.

    Args:
        model: the chainrule module; it is traced in eval mode (dropout off, batch norm on
            its running statistics) and its mode is restored afterwards.
        args: an example input: a tensor or array, or a tuple of them (integer arrays for
            Embedding indices). Only their shapes and dtypes matter.
        f: a path, or a binary file object.
        export_params: must be True (the weights are always stored in the file).
        verbose: print the graph that was written.
        input_names, output_names: names of the graph's inputs and outputs (default
            ``input``/``input_1``... and ``output``/``output_1``...).
        opset_version: the ONNX opset, 17 or later (LayerNormalization needs 17).
        do_constant_folding: accepted for PyTorch compatibility; the exporter writes no
            foldable subgraph of its own.
        dynamic_axes: ``{name: {axis: "symbol"}}`` or ``{name: [axis, ...]}`` for axes whose
            size may change. Differs from PyTorch: ``None`` (the default) makes axis 0 of
            every input and output dynamic, named ``batch``; pass ``{}`` for fixed shapes.
            Sequence models name their axes (time-major recurrent input: ``{0: "time",
            1: "batch"}``; h_n: ``{1: "batch"}``), since axis 0 is not always the batch.

    Raises:
        UnsupportedOperatorError (a RuntimeError): an operation with no ONNX translation, by
            Function name and the module that ran it.
    """
    import onnx

    if not export_params:
        raise ValueError("export: export_params=False is not supported; the weights are "
                         "always written")
    if opset_version < 17:
        raise ValueError(f"export: opset_version must be 17 or later, got {opset_version}")
    graph_model = build_model_proto(model, args, input_names, output_names, opset_version,
                                    dynamic_axes)
    onnx.checker.check_model(graph_model)
    if isinstance(f, (str, os.PathLike)):
        onnx.save_model(graph_model, os.fspath(f))
    else:
        f.write(graph_model.SerializeToString())
    if verbose:
        print(onnx.helper.printable_graph(graph_model.graph))


def build_model_proto(model: Module, args: Any, input_names: Sequence[str] | None,
                      output_names: Sequence[str] | None, opset_version: int,
                      dynamic_axes: dict[str, Any] | None) -> Any:
    """The ``onnx.ModelProto`` of ``model`` traced on ``args``."""
    import onnx

    modes = {id(m): m.training for m in model.modules()}
    float_dtype = next((p.data.dtype for p in model.parameters()), np.dtype(np.float32))
    model.eval()
    try:
        trace = run_traced(model, traced_inputs(args, float_dtype))
    finally:
        for m in model.modules():
            m.training = modes[id(m)]
    builder = GraphBuilder(onnx, opset_version, float_dtype)
    for name, tensor in [*model.named_parameters(), *model.named_buffers()]:
        builder.state_names.setdefault(id(tensor), name)
    in_names = _names(input_names, len(trace.inputs), "input")
    out_names = _names(output_names, len(trace.outputs), "output")
    walker = _Walker(builder, trace, in_names)
    results = [walker.value(t) for t in trace.outputs]
    for result, name in zip(results, out_names):
        builder.nodes.append(onnx.helper.make_node("Identity", [result], [name],
                                                   name=builder.fresh(f"{name}_identity")))
    _check_inputs_used(builder.nodes, in_names)
    axes = _dynamic_axes(dynamic_axes, in_names + out_names)
    graph = onnx.helper.make_graph(
        builder.nodes, type(model).__name__,
        [_value_info(onnx, n, t, axes) for n, t in zip(in_names, trace.inputs)],
        [_value_info(onnx, n, t, axes) for n, t in zip(out_names, trace.outputs)],
        list(builder.initializers.values()))
    proto = onnx.helper.make_model(graph, producer_name="chainrule",
                                   opset_imports=[onnx.helper.make_opsetid("", opset_version)])
    proto.ir_version = min(proto.ir_version, 8)  # readable by older runtimes too
    return proto


class _Walker:
    """Translates the traced graph from the outputs back, each tensor once."""

    def __init__(self, builder: GraphBuilder, trace: Trace, in_names: list[str]) -> None:
        self.b = builder
        self.trace = trace
        self.done: dict[int, str] = {id(t): n for t, n in zip(trace.inputs, in_names)}
        self.narrowed: dict[int, tuple[Tensor, Tensor]] = {}  # id -> (constant, its narrowing)
        for name in in_names:
            builder.fresh(name)

    def value(self, root: Tensor) -> str:
        """The ONNX name of ``root``, translating what produced it first (an iterative
        post-order walk: a chain of thousands of layers needs no recursion)."""
        stack = [root]
        while stack:
            t = stack[-1]
            if id(t) in self.done:
                stack.pop()
                continue
            missing = [d for d in self._dependencies(t) if id(d) not in self.done]
            if missing:
                stack.extend(missing)
                continue
            stack.pop()
            self.done[id(t)] = self._translate(t)
        return self.done[id(root)]

    def _dependencies(self, t: Tensor) -> list[Tensor]:
        """The tensors whose names ``_translate(t)`` reads."""
        call = self._layer_call(t)
        if call is not None:
            if type(call.module) in SEQUENCE_LAYERS:
                check_call(call.module, call.outputs)
            return list(call.args)
        ctx = t._ctx
        if ctx is None or ctx.fn not in OPS:
            return []
        if ctx.fn not in BROADCASTING:
            return list(ctx.parents)
        parents = [_unbroadcast(p) for p in ctx.parents]
        if ctx.fn is ops.ScaledDotProductAttention:  # the mask broadcasts against the scores
            reference = parents[0].shape[:-1] + parents[1].shape[-2:-1]
            return parents[:3] + [self._narrowed(m, parents[:1], reference) for m in parents[3:]]
        matrix = 2 if ctx.fn is ops.MatMul else 0  # MatMul broadcasts its batch axes only
        return [self._narrowed(p, parents, t.shape, matrix) for p in parents]

    def _narrowed(self, t: Tensor, parents: list[Tensor], shape: tuple,
                  matrix: int = 0) -> Tensor:
        """A constant operand of a broadcasting op cut to size 1 along the axes where it repeats
        one value and a computed operand has the full size: a mask or factor that was
        broadcast over the batch no longer fixes the batch size in the file."""
        if t._ctx is not None or t.requires_grad or id(t) in self.done or \
                id(t) in self.b.state_names:
            return t
        if id(t) not in self.narrowed:
            computed = [p for p in parents if p._ctx is not None or p.requires_grad]
            self.narrowed[id(t)] = (t, _narrow(t, computed, shape, matrix))
        return self.narrowed[id(t)][1]

    def _translate(self, t: Tensor) -> str:
        """The nodes that compute ``t``, once its dependencies have names."""
        call = self._layer_call(t)
        inputs = [self.done[id(d)] for d in self._dependencies(t)]
        if call is not None:
            module, args = call.module, call.args
            if type(module) in SEQUENCE_LAYERS:
                names = SEQUENCE_LAYERS[type(module)](self.b, module, inputs, args, call.outputs)
                for output, name in zip(call.outputs, names):
                    self.done.setdefault(id(output), name)
                return names[call.index]
            if type(module) in SHAPED:
                first = next(a for a in args if isinstance(a, Tensor))
                return SHAPED[type(module)](self.b, module, inputs, t, first.shape)
            return LAYERS[type(module)](self.b, module, inputs, t)
        ctx = t._ctx
        if ctx is None:
            return self._leaf(t)
        if ctx.fn not in OPS:
            where = self.trace.owner.get(id(t), "the model's own forward")
            raise UnsupportedOperatorError(
                f"export: the operation {ctx.fn.__name__} (a chainrule.ops Function) in module "
                f"{where} has no ONNX translation; supported: {_supported()}")
        return OPS[ctx.fn](self.b, ctx, inputs, t)

    def _layer_call(self, t: Tensor) -> Call | None:
        for call in self.trace.calls.get(id(t), ()):
            kind = type(call.module)
            if kind in LAYERS or kind in SHAPED or kind in SEQUENCE_LAYERS:
                return call
        return None

    def _leaf(self, t: Tensor) -> str:
        if id(t) in self.b.state_names or t.requires_grad:  # a parameter (maybe unregistered)
            return self.b.weight(t)
        array = t.data
        if np.issubdtype(array.dtype, np.floating):
            return self.b.floats(array)
        if np.issubdtype(array.dtype, np.integer) and array.ndim == 0:
            return self.b.floats(array)  # a Python number in arithmetic with a float tensor
        return self.b.constant(array)


def _unbroadcast(t: Tensor) -> Tensor:
    """``t`` before a BroadcastTo node (ONNX's binary ops broadcast themselves)."""
    ctx = t._ctx
    if ctx is not None and ctx.fn is ops.BroadcastTo and ctx.parents:
        return ctx.parents[0]
    return t


def _narrow(t: Tensor, computed: list[Tensor], shape: tuple, matrix: int) -> Tensor:
    array, changed = t.data, False
    for axis in range(array.ndim - matrix):
        place = len(shape) - array.ndim + axis  # right-aligned, as broadcasting aligns
        full = array.shape[axis] > 1 and any(
            p.ndim >= len(shape) - place and p.shape[p.ndim - len(shape) + place] ==
            array.shape[axis] for p in computed)
        if not full:
            continue
        first = array.take([0], axis=axis)
        if np.array_equal(array, np.broadcast_to(first, array.shape),
                          equal_nan=array.dtype.kind in "fc"):
            array, changed = first, True
    return Tensor(np.ascontiguousarray(array)) if changed else t


def _supported() -> str:
    names = sorted({c.__name__ for c in (*LAYERS, *SHAPED, *SEQUENCE_LAYERS)} |
                   {f.__name__ for f in OPS})
    return ", ".join(names)


def _check_inputs_used(nodes: list, in_names: list[str]) -> None:
    """An input the graph never reads was read by the forward outside the traced graph (a
    bool attention mask turned into 0/−inf by NumPy, a length used as a Python number): the
    file would silently keep the example's value."""
    used = {name for node in nodes for name in node.input}
    unused = [name for name in in_names if name not in used]
    if unused:
        raise UnsupportedOperatorError(
            f"export: the inputs {unused} do not reach the outputs through traced tensor ops "
            "(the forward read their values as constants, as it does with a bool attention "
            "mask); the file would keep the example's values. Pass such a mask as a float "
            "mask (0 where allowed, -inf where not)")


def _names(given: Sequence[str] | None, count: int, stem: str) -> list[str]:
    names = list(given or [])[:count]
    names += [stem if i == 0 else f"{stem}_{i}" for i in range(len(names), count)]
    if len(set(names)) != len(names):
        raise ValueError(f"export: the {stem} names must differ, got {names}")
    return names


def _dynamic_axes(dynamic_axes: dict[str, Any] | None, names: list[str]) -> dict:
    if dynamic_axes is None:
        return {name: {0: "batch"} for name in names}
    unknown = sorted(set(dynamic_axes) - set(names))
    if unknown:
        raise ValueError(f"export: dynamic_axes names {unknown} are not inputs or outputs "
                         f"(those are {names})")
    return {name: axes if isinstance(axes, dict) else {int(a): f"{name}_dim{a}" for a in axes}
            for name, axes in dynamic_axes.items()}


def _value_info(onnx: Any, name: str, t: Tensor, axes: dict) -> Any:
    dims = [axes.get(name, {}).get(i, n) for i, n in enumerate(t.shape)]
    elem = onnx.helper.np_dtype_to_tensor_dtype(t.data.dtype)
    return onnx.helper.make_tensor_value_info(name, elem, dims)
