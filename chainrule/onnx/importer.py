"""``load``: an ONNX file as a trainable chainrule module (``OnnxModule``).

The graph is kept as a list of nodes and run node by node in ``forward`` with chainrule's
differentiable ops (``import_ops.IMPORTS``), so gradients flow to the initializers: float
initializers become Parameters (batch-norm running statistics become buffers), named by their
ONNX names split at the dots (``0.weight`` is the parameter ``weight`` of child ``0``, so a
model exported by chainrule keeps its ``state_dict`` keys). Integer and 0-d initializers and
Constant nodes (shapes, axes, scalar factors) stay NumPy arrays. Unknown operators are all
reported at once when the file is loaded, never half-way through a forward.
"""

from __future__ import annotations

import os
import re
from typing import Any

import numpy as np

from ..nn.module import Module
from ..nn.parameter import Parameter
from ..tensor import Tensor
from .builder import UnsupportedOperatorError
from .import_ops import IMPORTS, fuse_gelu
from .import_sequence import CHECKS

# Inputs of these operators that are running statistics, not trainable weights.
_BUFFER_INPUTS = {"BatchNormalization": (3, 4)}


class _Holder(Module):
    """A node of the parameter tree (no forward of its own)."""


class OnnxModule(Module):
    """A module that runs an ONNX graph with chainrule ops (made by ``load``).

    ``forward(*inputs)`` takes the graph's inputs in order and returns its output (a tuple
    when there are several). Dropout nodes are the identity in both modes, and
    BatchNormalization always uses the file's running statistics: fine-tuning trains the
    weights of an inference graph, as ONNX stores one.

    Args:
        model_proto: an ``onnx.ModelProto``.
    """

    def __init__(self, model_proto: Any) -> None:
        super().__init__()
        from onnx import numpy_helper

        graph = model_proto.graph
        self.opset = max((o.version for o in model_proto.opset_import if o.domain in ("",
                          "ai.onnx")), default=17)
        if self.opset < 13:  # Softmax, Unsqueeze, ReduceSum ... changed meaning at 13
            raise UnsupportedOperatorError(f"load: ONNX opset {self.opset} is not supported; "
                                           "export the model with opset 13 or later")
        self._nodes = fuse_gelu([_node_record(n, numpy_helper) for n in graph.node])
        _check_known(self._nodes)
        buffers = {node[1][i] for node in self._nodes for i in _BUFFER_INPUTS.get(node[0], ())
                   if i < len(node[1])}
        self._constants: dict[str, np.ndarray] = {}
        self._paths: dict[str, tuple[str, ...]] = {}
        used = {name for node in self._nodes for name in node[1]}
        used.update(o.name for o in graph.output)
        for init in graph.initializer:
            if init.name in used:
                self._add_initializer(init.name, numpy_helper.to_array(init),
                                      init.name in buffers)
        known = set(self._constants) | set(self._paths)
        self.input_names = [i.name for i in graph.input if i.name not in known]
        self.output_names = [o.name for o in graph.output]

    def _add_initializer(self, name: str, array: np.ndarray, is_buffer: bool) -> None:
        if not np.issubdtype(array.dtype, np.floating) or array.ndim == 0:
            self._constants[name] = array  # shapes, axes, and scalars such as GELU's ½
            return
        parts = tuple(_identifier(p) for p in name.split(".") if p) or ("weight",)
        owner: Module = self
        for part in parts[:-1]:
            if part not in owner._modules:
                owner.add_module(part, _Holder())
            owner = owner._modules[part]
        leaf = parts[-1]
        while leaf in owner._parameters or leaf in owner._buffers or leaf in owner._modules \
                or hasattr(type(owner), leaf):
            leaf += "_"
        array = np.array(array)
        if is_buffer:
            owner.register_buffer(leaf, Tensor(array))
        else:
            owner.register_parameter(leaf, Parameter(array))
        self._paths[name] = (*parts[:-1], leaf)

    def _resolve(self, path: tuple[str, ...]) -> Tensor:
        owner: Module = self
        for part in path[:-1]:
            owner = owner._modules[part]
        leaf = path[-1]
        return owner._parameters[leaf] if leaf in owner._parameters else owner._buffers[leaf]

    def forward(self, *inputs: Any) -> Any:
        if len(inputs) != len(self.input_names):
            raise TypeError(f"OnnxModule: the graph takes {len(self.input_names)} inputs "
                            f"({', '.join(self.input_names)}), got {len(inputs)}")
        values: dict[str, Any] = dict(self._constants)
        values.update({name: self._resolve(path) for name, path in self._paths.items()})
        values.update({n: x if isinstance(x, Tensor) else Tensor(np.asarray(x))
                       for n, x in zip(self.input_names, inputs)})
        values[""] = None  # an omitted optional input
        for op_type, names, outputs, attrs, _ in self._nodes:
            result = IMPORTS[op_type](attrs, *[values[n] for n in names])
            results = result if isinstance(result, tuple) else (result,)
            values.update(zip(outputs, results))
        outs = [values[n] for n in self.output_names]
        return outs[0] if len(outs) == 1 else tuple(outs)

    def extra_repr(self) -> str:
        ops = sorted({node[0] for node in self._nodes})
        return f"inputs={self.input_names}, outputs={self.output_names}, ops={ops}"


def load(path: Any) -> OnnxModule:
    """Read the ONNX file ``path`` (or an ``onnx.ModelProto``) as a trainable module.

    Args:
        path: a file path, or a ModelProto already loaded.

    Returns:
        An ``OnnxModule`` whose ``forward(*inputs)`` takes the graph's inputs in order.

    Raises:
        UnsupportedOperatorError: the graph uses operators with no chainrule translation;
            the message lists every one, with the nodes that use it.
    """
    import onnx

    proto = path if isinstance(path, onnx.ModelProto) else onnx.load(os.fspath(path))
    return OnnxModule(proto)


def _node_record(node: Any, numpy_helper: Any) -> tuple:
    from onnx import helper

    attrs = {}
    for attr in node.attribute:
        value = helper.get_attribute_value(attr)
        if attr.type == attr.TENSOR:
            value = numpy_helper.to_array(value)
        elif isinstance(value, bytes):
            value = value.decode()
        elif isinstance(value, list) and value and isinstance(value[0], bytes):
            value = [v.decode() for v in value]  # RNN's activations
        attrs[attr.name] = value
    op_type = node.op_type if node.domain in ("", "ai.onnx") else \
        f"{node.domain}::{node.op_type}"  # a custom domain: never one of IMPORTS
    return op_type, list(node.input), list(node.output), attrs, node.name or f"#{op_type}"


def _check_known(nodes: list[tuple]) -> None:
    unknown: dict[str, list[str]] = {}
    for op_type, _, _, attrs, name in nodes:
        why = CHECKS[op_type](attrs) if op_type in CHECKS else None
        if op_type not in IMPORTS or why:
            key = f"{op_type} with {why}" if why else op_type
            unknown.setdefault(key, []).append(name)
    if unknown:
        listed = "; ".join(f"{op} (nodes {', '.join(repr(n) for n in names)})"
                           for op, names in sorted(unknown.items()))
        raise UnsupportedOperatorError(f"load: {sum(map(len, unknown.values()))} nodes use "
                                       f"operators chainrule cannot run: {listed}")


def _identifier(part: str) -> str:
    cleaned = re.sub(r"\W", "_", part)
    return cleaned if cleaned and not cleaned[0].isdigit() or cleaned.isdigit() else \
        f"_{cleaned}"
