"""Nested containers of values (PyTorch's "pytrees"), as the transforms of ``chainrule.func``
read their inputs and outputs: tuples, lists, dicts and namedtuples are containers, anything
else (a Tensor, a number, None) is a leaf.

A ``Spec`` records the containers, so ``unflatten(flatten(tree)...)`` rebuilds the tree with
new leaves; two trees have the same structure exactly when their specs are equal.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class Spec(NamedTuple):
    """The shape of a tree: ``kind`` None for a leaf, else the container's type with its
    ``keys`` (a dict's keys, in order; None for sequences) and one Spec per child."""

    kind: type | None
    keys: tuple | None
    children: tuple

    def __repr__(self) -> str:
        if self.kind is None:
            return "*"
        inner = ", ".join(repr(c) for c in self.children)
        if self.keys is not None:
            inner = ", ".join(f"{k!r}: {c!r}" for k, c in zip(self.keys, self.children))
        return f"{self.kind.__name__}({inner})"


LEAF = Spec(None, None, ())


def _is_container(value: Any) -> bool:
    return isinstance(value, (tuple, list, dict))


def flatten(tree: Any) -> tuple[list, Spec]:
    """The leaves of ``tree`` in order (dicts in key order), and its spec."""
    if not _is_container(tree):
        return [tree], LEAF
    keys = tuple(tree) if isinstance(tree, dict) else None
    items = [tree[k] for k in keys] if keys is not None else list(tree)
    leaves: list = []
    children = []
    for item in items:
        sub, spec = flatten(item)
        leaves.extend(sub)
        children.append(spec)
    return leaves, Spec(type(tree), keys, tuple(children))


def count(spec: Spec) -> int:
    """How many leaves a tree of this spec has."""
    return 1 if spec.kind is None else sum(count(c) for c in spec.children)


def unflatten(leaves: list, spec: Spec) -> Any:
    """The tree of structure ``spec`` holding ``leaves`` in order."""
    return _build(iter(leaves), spec)


def _build(leaves: Any, spec: Spec) -> Any:
    if spec.kind is None:
        return next(leaves)
    items = [_build(leaves, child) for child in spec.children]
    if spec.keys is not None:
        return spec.kind(zip(spec.keys, items))
    if hasattr(spec.kind, "_fields"):  # a namedtuple
        return spec.kind(*items)
    return spec.kind(items)


def broadcast(prefix: Any, spec: Spec) -> list | None:
    """``prefix`` (``in_dims``, ``out_dims``) given to every leaf of a tree of structure
    ``spec``: a leaf of ``prefix`` applies to the whole subtree in its place. None when
    ``prefix`` is not a prefix of the tree (another container, length or keys)."""
    if not _is_container(prefix):
        return [prefix] * count(spec)
    if spec.kind is None or not isinstance(prefix, spec.kind) and not (
            isinstance(prefix, tuple) and issubclass(spec.kind, tuple)):
        return None
    keys = tuple(prefix) if isinstance(prefix, dict) else None
    if (keys is None) != (spec.keys is None) or len(prefix) != len(spec.children):
        return None
    if keys is not None and set(keys) != set(spec.keys):
        return None
    parts = [prefix[k] for k in spec.keys] if keys is not None else list(prefix)
    flat: list = []
    for part, child in zip(parts, spec.children):
        sub = broadcast(part, child)
        if sub is None:
            return None
        flat.extend(sub)
    return flat
