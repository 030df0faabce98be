"""Model files written by ``chainrule train``: weights plus the architecture in the metadata.

The metadata is checked against the tensors' shapes before anything is built
(RELIABILITY R-SEC-7): a small file whose metadata names a huge network is refused, by
arithmetic, without allocating it.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from .. import io
from ..models import build_model, model_plan, parameter_shapes
from ..nn import Module
from ..tensor import Tensor


class Architecture:
    """What a model file's metadata says: the model spec, one input's shape, the classes."""

    def __init__(self, spec: str, input_shape: tuple[int, ...], class_names: list[str]) -> None:
        self.spec, self.input_shape, self.class_names = spec, input_shape, class_names

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def load_model(path: str) -> tuple[Module, dict[str, str]]:
    """Rebuild a model saved by ``chainrule train``; ValueError naming any mismatch.

    Returns:
        The model in eval mode, and the file's metadata.
    """
    arrays, metadata = io.load_file(path)  # validated; its size is bounded by the file's
    architecture = read_architecture(metadata, path)
    plan = model_plan(architecture.spec, architecture.input_shape, architecture.num_classes)
    _check_shapes(parameter_shapes(plan), arrays, architecture, path)
    broken = [name for name, array in arrays.items() if not np.all(np.isfinite(array))]
    if broken:
        raise ValueError(f"{path}: the weights hold NaN or infinite values ({broken[0]})")
    net = build_model(architecture.spec, architecture.input_shape, architecture.num_classes)
    net.load_state_dict({name: Tensor(array, dtype=array.dtype)
                         for name, array in arrays.items()})
    return net.eval(), metadata


def read_architecture(metadata: dict[str, str], path: str) -> Architecture:
    """The architecture in a model file's metadata, each field checked."""
    missing = [key for key in ("model", "input_shape", "num_classes") if key not in metadata]
    if missing:
        raise ValueError(f"{path}: no architecture in the file's metadata (missing "
                         f"{', '.join(missing)}; was it written by 'chainrule train'?)")
    input_shape = _json(metadata, "input_shape", path)
    num_classes = _json(metadata, "num_classes", path)
    if not isinstance(input_shape, list) or not isinstance(num_classes, int):
        raise ValueError(f"{path}: metadata input_shape must be a list and num_classes an "
                         f"integer, got {metadata['input_shape']!r} and "
                         f"{metadata['num_classes']!r}")
    names = _json(metadata, "class_names", path) if "class_names" in metadata else None
    if names is None:
        names = [str(c) for c in range(max(num_classes, 0))]
    if not isinstance(names, list) or len(names) != num_classes or \
            not all(isinstance(name, str) for name in names):
        raise ValueError(f"{path}: metadata class_names must be {num_classes} strings")
    try:
        model_plan(metadata["model"], input_shape, num_classes)  # arithmetic only
    except ValueError as err:
        raise ValueError(f"{path}: metadata: {err}") from None
    return Architecture(metadata["model"], tuple(input_shape), names)


def _json(metadata: dict[str, str], key: str, path: str) -> Any:
    try:
        return json.loads(metadata[key])
    except ValueError:
        raise ValueError(f"{path}: metadata {key} is not valid JSON: {metadata[key]!r}") \
            from None


def _check_shapes(expected: dict[str, tuple[int, ...]], arrays: dict[str, np.ndarray],
                  architecture: Architecture, path: str) -> None:
    got = {name: tuple(array.shape) for name, array in arrays.items()}
    if got == expected:
        return
    problems = [f"{name} missing" for name in expected if name not in got]
    problems += [f"unexpected {name}" for name in got if name not in expected]
    problems += [f"{name} is {got[name]}, not {shape}" for name, shape in expected.items()
                 if name in got and got[name] != shape]
    shown = "; ".join(problems[:3]) + ("; ..." if len(problems) > 3 else "")
    raise ValueError(f"{path}: the metadata describes model {architecture.spec!r} for inputs "
                     f"{architecture.input_shape} and {architecture.num_classes} classes, but "
                     f"the weights do not fit it ({shown})")
