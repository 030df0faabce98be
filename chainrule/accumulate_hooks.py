"""Hooks that run when a leaf's gradient is complete (PyTorch's
``Tensor.register_post_accumulate_grad_hook``), for ``DistributedDataParallel``, which starts
reducing a bucket of gradients as soon as its parameters' gradients are in.

``autograd.run_backward`` asks ``hooked_leaf_uses`` how many edges of the pass lead to each
hooked leaf, and calls ``release_leaves`` after walking each node: when the last edge to a leaf is
walked, its ``.grad`` holds the pass's whole gradient and its hook runs. When no leaf has such
a hook, the engine pays one test of an empty dict per backward pass.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable, Sequence

# id(leaf) -> (weak reference to the leaf, hook): ``hook(leaf)`` runs once per backward pass,
# when the last gradient that pass sends the leaf has been added to its ``.grad`` (PyTorch's
# post-accumulate-grad hook). The leaf is held weakly: its entry goes when it does.
_POST_ACCUMULATE_HOOKS: dict[int, tuple[weakref.ref, Callable[[Any], None]]] = {}


class RemovableHandle:
    """What ``register_post_accumulate_grad_hook`` returns: ``remove()`` unregisters the hook."""

    def __init__(self, key: int, ref: weakref.ref) -> None:
        self.key, self.ref = key, ref

    def remove(self) -> None:
        entry = _POST_ACCUMULATE_HOOKS.get(self.key)
        if entry is not None and entry[0] is self.ref:
            del _POST_ACCUMULATE_HOOKS[self.key]


def register_post_accumulate_grad_hook(leaf: Any, hook: Callable[[Any], None]
                                       ) -> RemovableHandle:
    """PyTorch's ``Tensor.register_post_accumulate_grad_hook(hook)``, as a function: after a
    backward pass has added its last gradient into the leaf ``leaf``'s ``.grad``, call
    ``hook(leaf)`` (also when the pass reached the leaf without a gradient for it, in which case
    ``.grad`` is unchanged). One hook per leaf: a second registration replaces the first.
    ``autograd.grad`` (which writes no ``.grad``) runs no hook. The registry holds the leaf
    weakly and the hook strongly (as long as the leaf lives).

    Args:
        leaf: a tensor that requires grad and has no grad_fn.
        hook: called with the tensor; its return value is ignored.
    """
    if leaf._ctx is not None or not leaf.requires_grad:
        raise RuntimeError("post accumulate grad hooks can only be registered on leaf tensors "
                           "that require grad")
    key = id(leaf)

    def forget(ref: weakref.ref) -> None:
        RemovableHandle(key, ref).remove()

    ref = weakref.ref(leaf, forget)
    _POST_ACCUMULATE_HOOKS[key] = (ref, hook)
    return RemovableHandle(key, ref)


def hooked_leaf_uses(order: list[Any]) -> dict[int, int] | None:
    """For each hooked leaf in the graph: how many of its edges the pass will still walk (None
    when no leaf has a hook)."""
    if not _POST_ACCUMULATE_HOOKS:
        return None
    uses: dict[int, int] = {}
    for node in order:
        for parent in node._ctx.parents:
            if parent._ctx is None and id(parent) in _POST_ACCUMULATE_HOOKS:
                uses[id(parent)] = uses.get(id(parent), 0) + 1
    return uses


def release_leaves(parents: Sequence[Any], waiting: dict[int, int],
                   deferred: Any = None) -> None:
    """Count the edges to ``parents`` as walked; run the hook of a leaf whose last edge this is,
    unless its id is in ``deferred`` (leaves whose ``.grad`` the engine writes only after the
    pass: it calls ``run_hook`` for them then)."""
    for parent in parents:
        key = id(parent)
        if key in waiting:
            waiting[key] -= 1
            if waiting[key] == 0:
                del waiting[key]
                if deferred is None or key not in deferred:
                    run_hook(parent)


def run_hook(leaf: Any) -> None:
    """Run ``leaf``'s post-accumulate-grad hook, if it has one."""
    entry = _POST_ACCUMULATE_HOOKS.get(id(leaf))
    if entry is not None and entry[0]() is leaf:
        entry[1](leaf)
