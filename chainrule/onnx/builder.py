"""``GraphBuilder``: collects ONNX nodes and initializers while a traced model is exported.

Values are named strings, as in ONNX. ``node`` appends one node and returns the name of its
(first) output; ``constant`` adds a Constant node, ``weight`` the initializer of a parameter or
buffer. The protobuf objects are made by
the ``onnx`` package's helper API, imported by the caller and handed in as ``onnx``.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class UnsupportedOperatorError(RuntimeError):
    """An operation that the ONNX exporter or importer cannot translate (PyTorch:
    ``torch.onnx.errors.UnsupportedOperatorError``)."""


class GraphBuilder:
    """Nodes and initializers of one ONNX graph under construction."""

    def __init__(self, onnx: Any, opset: int, float_dtype: np.dtype) -> None:
        self.onnx = onnx
        self.opset = opset
        self.float_dtype = np.dtype(float_dtype)
        self.nodes: list = []
        self.initializers: dict[str, Any] = {}
        self._weights: dict[int, str] = {}  # id(tensor) -> initializer name
        self.state_names: dict[int, str] = {}  # id(parameter or buffer) -> state_dict name
        self._used: set[str] = set()

    def fresh(self, hint: str) -> str:
        """A value name not used before, built from ``hint``."""
        name, count = hint, 0
        while name in self._used:
            count += 1
            name = f"{hint}_{count}"
        self._used.add(name)
        return name

    def node(self, op_type: str, inputs: list[str], n_outputs: int = 1, **attributes: Any) -> Any:
        """Append an ``op_type`` node; its output name (a list when ``n_outputs`` > 1)."""
        outputs = [self.fresh(f"{op_type}_out") for _ in range(n_outputs)]
        name = self.fresh(f"{op_type}_{len(self.nodes)}")
        self.nodes.append(self.onnx.helper.make_node(op_type, inputs, outputs, name=name,
                                                     **attributes))
        return outputs[0] if n_outputs == 1 else outputs

    def constant(self, value: Any, hint: str = "const", dtype: Any = None) -> str:
        """A Constant node holding ``value`` (in ``dtype``, default: the value's own).

        Fixed values (shapes, axes, the ½ of GELU, the unit scale of a norm without affine
        parameters) are Constant nodes; initializers are kept for the model's parameters and
        buffers, so that ``load`` can tell what to train.
        """
        array = np.asarray(value, dtype=dtype)
        return self.node("Constant", [], value=self.onnx.numpy_helper.from_array(array, hint))

    def initializer(self, array: np.ndarray, name: str) -> str:
        """A new initializer named ``name`` (made unique) holding ``array``."""
        name = self.fresh(name)
        self.initializers[name] = self.onnx.numpy_helper.from_array(array, name)
        return name

    def floats(self, value: Any, hint: str = "const") -> str:
        """A constant in the model's float dtype."""
        return self.constant(value, hint, self.float_dtype)

    def ints(self, value: Any, hint: str = "shape") -> str:
        """An int64 constant (shapes, axes)."""
        return self.constant(value, hint, np.int64)

    def weight(self, tensor: Any) -> str:
        """The initializer of a parameter or buffer, added once under its state_dict name."""
        key = id(tensor)
        if key not in self._weights:
            array = np.ascontiguousarray(tensor.data)
            self._weights[key] = self.initializer(array, self.state_names.get(key, "weight"))
        return self._weights[key]
