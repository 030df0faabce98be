"""``chainrule export``: a model file written by ``chainrule train`` as an ONNX file."""

from __future__ import annotations

import importlib.util

import numpy as np

from ..models import model_inputs
from ..onnx import export
from .model_file import load_model, read_architecture


def export_model(model_path: str, output: str, opset_version: int = 17) -> tuple[int, ...]:
    """Rebuild the model of ``model_path`` from its metadata and write it to ``output`` as
    ONNX, with input ``input`` and output ``output`` (the logits), the batch axis dynamic.

    Returns:
        The input shape of the ONNX graph for one sample.
    """
    if importlib.util.find_spec("onnx") is None:
        raise ImportError("chainrule export needs the 'onnx' package: pip install onnx")
    net, metadata = load_model(model_path)
    architecture = read_architecture(metadata, model_path)
    example = model_inputs(metadata["model"],
                           np.zeros((1, *architecture.input_shape), dtype=np.float32))
    export(net, example, output, opset_version=opset_version, input_names=["input"],
           output_names=["output"])
    shape = ", ".join(str(n) for n in example.shape[1:])
    print(f"wrote {output}: input 'input' (batch, {shape}) float32 -> output 'output' "
          f"(batch, {architecture.num_classes}) logits, opset {opset_version}")
    return tuple(example.shape[1:])
