"""Tracing one forward pass for export: the autograd graph plus which module made what.

The forward runs with grad enabled on inputs that require grad, so every value computed from
them is a graph node whose ``_ctx`` names its Function and its input tensors. A light hook on
``Module.__call__``, installed for the duration of the trace only, records each module call:
its arguments and its output. The exporter translates a recorded call of a known layer as a
whole (Conv2d -> one Conv node, whatever ops its forward ran) and any other graph node op by
op; every node is also tagged with the innermost module whose call created it, so an error
can name the module an unsupported op came from.

NOTE: the hook replaces ``Module.__call__`` on the class while the traced forward runs, so
another thread calling modules at the same time would be recorded too; export is meant to run
on its own.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..autograd import enable_grad
from ..nn.module import Module
from ..tensor import Tensor

_LOCK = threading.Lock()  # one trace at a time: the hook is process-wide


@dataclass
class Call:
    """One recorded module call: its tensor arguments (positional, then keyword, tuples such
    as LSTM's ``(h_0, c_0)`` flattened), its tensor outputs flattened the same way, and which
    of those outputs the tensor it is filed under is."""

    module: Module
    args: list[Tensor]
    outputs: list[Tensor]
    index: int


@dataclass
class Trace:
    """What one traced forward left behind."""

    inputs: list[Tensor]
    outputs: list[Tensor]
    calls: dict[int, list[Call]] = field(default_factory=dict)
    owner: dict[int, str] = field(default_factory=dict)  # id(tensor) -> "'path' (Type)"
    keep: list = field(default_factory=list)  # holds recorded tensors so their ids stay unique


def traced_inputs(args: Any, float_dtype: np.dtype) -> list[Tensor]:
    """Fresh leaf tensors for ``args`` (a tensor, an array or a tuple of them); float ones,
    cast to the model's ``float_dtype``, require grad so that the forward records its graph."""
    items = args if isinstance(args, (tuple, list)) else (args,)
    tensors = []
    for item in items:
        array = item.data if isinstance(item, Tensor) else np.asarray(item)
        array = np.array(array)
        if np.issubdtype(array.dtype, np.floating):
            tensor = Tensor(array.astype(float_dtype)).requires_grad_(True)
        else:
            tensor = Tensor(array)
        tensors.append(tensor)
    return tensors


def run_traced(model: Module, inputs: list[Tensor]) -> Trace:
    """Run ``model(*inputs)`` once with the recording hook; the outputs must be tensors."""
    paths = {id(module): f"'{name}' ({type(module).__name__})" if name else
             f"the model ({type(module).__name__})" for name, module in model.named_modules()}
    trace = Trace(inputs, [])
    original = Module.__call__

    def recording_call(module: Module, *args: Any, **kwargs: Any) -> Any:
        out = original(module, *args, **kwargs)
        tensors, outs = flatten_tensors((args, kwargs)), flatten_tensors(out)
        for index, t in enumerate(outs):
            if not any(t is a for a in tensors):
                trace.calls.setdefault(id(t), []).append(Call(module, tensors, outs, index))
                trace.keep.append(t)
                _tag(trace.owner, t, tensors, paths.get(id(module), type(module).__name__))
        return out

    with _LOCK:
        Module.__call__ = recording_call
        try:
            with enable_grad():
                result = model(*inputs)
        finally:
            Module.__call__ = original
    outputs = flatten_tensors(result, keep_other=True)
    if not outputs or not all(isinstance(out, Tensor) for out in outputs):
        raise TypeError("export: the model must return a tensor or a tuple of tensors, got "
                        f"{type(result).__name__}")
    trace.outputs = outputs
    return trace


def flatten_tensors(value: Any, keep_other: bool = False) -> list:
    """The tensors in ``value`` (nested tuples, lists and dict values), in order; ``None``
    entries are skipped, and other objects too unless ``keep_other``."""
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in flatten_tensors(item, keep_other)]
    return [value] if keep_other and value is not None else []


def _tag(owner: dict[int, str], out: Tensor, args: tuple, path: str) -> None:
    """Mark the graph nodes between ``args`` and ``out`` not yet marked as made by ``path``."""
    stop = {id(a) for a in args}
    seen: set[int] = set()
    stack = [out]
    while stack:  # through nodes an inner module already owns, to those it left unmarked
        node = stack.pop()
        if id(node) in stop or id(node) in seen or node._ctx is None:
            continue
        seen.add(id(node))
        owner.setdefault(id(node), path)
        stack.extend(node._ctx.parents)
