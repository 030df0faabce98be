"""The walk of ``Module.load_state_dict`` (``module_state.py``), in PyTorch's order.

Each module, parents first, gets the entries of the state dict under its prefix (the root a
copy of the whole dict, a child the entries of its parent's, after the parent's hooks ran), its
load-state-dict pre-hooks run on them, and its keys are checked as PyTorch checks them: its
parameters, persistent buffers and (when its class overrides ``set_extra_state``) extra state
that the entries lack are missing; an entry at its own level (not under a child's name) that
names none of those is unexpected; entries whose shapes differ from the module's are
problems. Without load-state-dict post-hooks nothing is loaded until the whole walk has found
nothing wrong (``Module.load_state_dict``); with them, the walk loads each module as it
reaches it and runs its post-hooks after its children, as PyTorch does.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np

from ..autograd import no_grad
from ..creation import as_tensor
from ..tensor import Tensor
from .parameter import Parameter

if TYPE_CHECKING:
    from .module import Module

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])

EXTRA_STATE_KEY = "_extra_state"


class LoadWalk:
    """One ``load_state_dict`` call: the modules visited with their entries, the problems,
    and the missing and unexpected keys and error messages found (the lists the hooks get).

    Args:
        root: the module loaded into.
        state_dict: the mapping given to ``load_state_dict`` (not changed: hooks change a copy).
        assign: ``load_state_dict``'s ``assign``.
        eager: load each module when the walk reaches it and run its post-hooks after its
            children, as PyTorch does (``Module.load_state_dict`` asks for it when some module
            has post-hooks); otherwise nothing is loaded until ``load()``.
    """

    def __init__(self, root: Module, state_dict: Any, assign: bool, eager: bool) -> None:
        self.assign, self.eager = assign, eager
        self.metadata = getattr(state_dict, "_metadata", None)
        self.missing: list[str] = []
        self.unexpected: list[str] = []
        self.errors: list[str] = []  # the pre-hooks' messages
        self.problems: list[str] = []  # shape mismatches
        self.visits: list[tuple[Module, str, dict, dict]] = []  # module, prefix, entries, lazy
        entries = OrderedDict(state_dict)
        if self.metadata is not None:
            entries._metadata = self.metadata  # type: ignore[attr-defined]  # as PyTorch's copy
        self._visit(root, entries, "")

    def _visit(self, module: Module, entries: dict, prefix: str) -> None:
        for hook in hooks_of(module, "_load_state_dict_pre_hooks"):
            # NOTE: PyTorch passes strict=True here whatever load_state_dict was given
            hook(module, entries, prefix, self._local_metadata(prefix), True, self.missing,
                 self.unexpected, self.errors)
        self._check_keys(module, entries, prefix)
        lazy_shapes, problems, wrong = self._check_shapes(module, entries, prefix)
        self.problems += problems
        self.visits.append((module, prefix, entries, lazy_shapes))
        if self.eager and not (lazy_shapes and problems):  # PyTorch leaves out wrong shapes
            self._load_module(module, prefix, {key: value for key, value in entries.items()
                                               if key not in wrong}, lazy_shapes)
        for name, child in module.named_children():
            child_prefix = f"{prefix}{name}."
            self._visit(child, {key: value for key, value in entries.items()
                                if isinstance(key, str) and key.startswith(child_prefix)},
                        child_prefix)
        if self.eager:
            self._run_post_hooks(module)

    def _local_metadata(self, prefix: str) -> dict:
        local = {} if self.metadata is None else dict(self.metadata.get(prefix[:-1], {}))
        if self.assign:
            local["assign_to_params_buffers"] = True
        return local

    def _check_keys(self, module: Module, entries: dict, prefix: str) -> None:
        own = [name for name, _ in local_state(module)]
        self.missing += [prefix + name for name in own if prefix + name not in entries]
        extra = prefix + EXTRA_STATE_KEY
        if overrides(module, "set_extra_state"):
            if extra not in entries:
                self.missing.append(extra)
        elif extra in entries:
            self.unexpected.append(extra)
        self.unexpected += [key for key in entries
                            if _unexpected_here(key, prefix, module, own)]

    @staticmethod
    def _check_shapes(module: Module, entries: dict, prefix: str) -> tuple[dict, list, set]:
        """({parameter name: checkpoint shape} of a lazy layer's uninitialised parameters,
        [shape problems, as messages], {keys of the entries whose shapes are wrong})."""
        lazy_shapes, problems, wrong = {}, [], set()
        if hasattr(module, "_lazy_shapes"):
            lazy_shapes, problems = module._lazy_shapes(entries, prefix)
        for name, target in local_state(module):
            key = prefix + name
            if key in entries and name not in lazy_shapes and \
                    tuple(np.shape(_array(entries[key]))) != target.shape:
                wrong.add(key)
                problems.append(f"size mismatch for {key}: checkpoint has shape "
                                f"{tuple(np.shape(_array(entries[key])))}, model has "
                                f"{target.shape}")
        return lazy_shapes, problems, wrong

    def load(self) -> None:
        """Load every module visited (after the checks; see ``Module.load_state_dict``)."""
        for visit in self.visits:
            self._load_module(*visit)

    def _load_module(self, module: Module, prefix: str, entries: dict,
                     lazy_shapes: dict) -> None:
        """Put the module's own entries in their places, then hand it its extra state."""
        if lazy_shapes:  # a lazy layer takes the checkpoint's shapes
            module._materialize_loaded(lazy_shapes)
        with no_grad():
            for name, target in list(local_state(module)):
                if prefix + name in entries:
                    _load_into(module, name, target, entries[prefix + name], self.assign)
        extra = prefix + EXTRA_STATE_KEY
        if extra in entries and overrides(module, "set_extra_state"):
            module.set_extra_state(entries[extra])

    def _run_post_hooks(self, module: Module) -> None:
        keys = IncompatibleKeys(self.missing, self.unexpected)  # changed in place by hooks
        for hook in hooks_of(module, "_load_state_dict_post_hooks"):
            if hook(module, keys) is not None:
                raise AssertionError(
                    "Hooks registered with ``register_load_state_dict_post_hook`` are not "
                    "expected to return new values, if incompatible_keys need to be "
                    "modified, it should be done inplace.")


def _unexpected_here(key: Any, prefix: str, module: Module, own: list[str]) -> bool:
    """Whether ``key`` is at ``module``'s own level (not under a child's name, not its extra
    state) and names none of its parameters and persistent buffers: PyTorch's rule."""
    if not isinstance(key, str):
        return prefix == ""  # a key PyTorch could not even compare: unexpected, at the root
    if not key.startswith(prefix) or key == prefix + EXTRA_STATE_KEY:
        return False
    head, dot, _ = key[len(prefix):].partition(".")
    return head not in module._modules if dot else head not in own


def hooks_of(module: Module, table: str) -> list:
    """The hooks in one of ``module``'s tables, in order (none for a module without it)."""
    return list(module.__dict__.get(table, {}).values())


def overrides(module: Module, method: str) -> bool:
    """Whether ``module``'s class defines its own ``get_extra_state``/``set_extra_state``
    (PyTorch asks the class, not the instance)."""
    from .module_state import StateDictMixin  # here, as module_state imports this file

    return getattr(type(module), method, None) is not getattr(StateDictMixin, method)


def local_state(module: Module) -> Iterator[tuple[str, Tensor]]:
    """(name, tensor) for a module's own parameters and persistent buffers, None left out."""
    for name, param in module._parameters.items():
        if param is not None:
            yield name, param
    for name, buffer in module._buffers.items():
        if buffer is not None and name not in module._non_persistent:
            yield name, buffer


def _array(value: Any) -> Any:
    return value.data if isinstance(value, Tensor) else value


def _load_into(module: Module, name: str, target: Tensor, value: Any, assign: bool) -> None:
    """Load one checkpoint value into ``module.<name>`` (now ``target``): copied into it, or
    with ``assign`` put in its place (see ``Module.load_state_dict``)."""
    if not assign:
        target.data[...] = np.asarray(_array(value), dtype=target.dtype)
        return
    value = value if isinstance(value, Tensor) else as_tensor(value)
    if isinstance(target, Parameter):
        if isinstance(value, Parameter):
            value.requires_grad_(target.requires_grad)
        else:
            value = Parameter(value, requires_grad=target.requires_grad)
    setattr(module, name, value)
