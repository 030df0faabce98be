"""Gradient hooks on tensors (PyTorch's ``Tensor.register_hook``): the registry that the engine
(``autograd.run_backward``) consults for every tensor whose gradient it finishes.

The engine calls a tensor's hooks once per backward pass with that tensor's total gradient: for
a graph tensor before the gradient flows on to its inputs (and into ``.grad`` if it retains
it), for a leaf before the gradient is added into ``.grad``. When no tensor has a hook, the
engine pays one test of an empty dict per node.
"""

from __future__ import annotations

import itertools
import weakref
from typing import Any, Callable

import numpy as np

# id(tensor) -> {handle id: hook}, for the tensors that have hooks; each entry is dropped when
# its tensor is collected (weakref.finalize), before its id can be reused. The hooks here take
# and return arrays; the tensor layer wraps the user's function.
tensor_hooks: dict[int, dict[int, Callable[[np.ndarray], Any]]] = {}
_next_handle = itertools.count()


class RemovableHandle:
    """What ``register_hook`` returns: ``remove()`` takes the hook off (twice is harmless)."""

    def __init__(self, key: int) -> None:
        self.key = key
        self.id = next(_next_handle)

    def remove(self) -> None:
        hooks = tensor_hooks.get(self.key)
        if hooks is not None:
            hooks.pop(self.id, None)
            if not hooks:
                del tensor_hooks[self.key]

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def register_hook(node: Any, hook: Callable[[np.ndarray], Any]) -> RemovableHandle:
    """Call ``hook(grad)`` with the total gradient of ``node`` in every backward pass (before
    it reaches ``node``'s inputs or ``.grad``); a non-None result replaces the gradient."""
    key = id(node)
    if key not in tensor_hooks:
        weakref.finalize(node, tensor_hooks.pop, key, None)
    handle = RemovableHandle(key)
    tensor_hooks.setdefault(key, {})[handle.id] = hook
    return handle


def run_hooks(node: Any, grad: np.ndarray) -> np.ndarray:
    """``grad`` passed through ``node``'s hooks in the order they were registered."""
    for hook in list(tensor_hooks.get(id(node), {}).values()):
        result = hook(grad)
        if result is None:
            continue
        result = np.asarray(result)
        if result.shape != tuple(node.shape):
            raise RuntimeError(f"a hook returned a gradient of shape {result.shape} for a "
                               f"tensor of shape {tuple(node.shape)}; it must keep the shape")
        grad = result if result.dtype == node.dtype else result.astype(node.dtype)
    return grad
