"""ONNX export and import (PyTorch's ``torch.onnx.export``; ``load`` has no PyTorch twin).

``export(model, args, f)`` traces one forward pass and writes an ONNX file that ONNX Runtime
runs; ``load(path)`` reads an ONNX file (written here or by ``torch.onnx.export``) back as a
trainable chainrule module. The ``onnx`` package (and ``onnxruntime`` to run the files) is an
optional dependency, imported only when these functions run.
"""

from __future__ import annotations

from .builder import UnsupportedOperatorError
from .export import export
from .importer import OnnxModule, load

__all__ = ["OnnxModule", "UnsupportedOperatorError", "export", "load"]
