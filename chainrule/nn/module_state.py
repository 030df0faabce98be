"""``Module``'s state dictionary: ``state_dict``, ``load_state_dict`` (with PyTorch's
``assign``), their hooks, the extra state, and the ``save``/``load`` shortcuts to files, as a
mixin ``Module`` inherits.

A state dict maps dotted names (``"0.weight"``, ``"encoder.layers.1.bias"``) to the
parameters and persistent buffers of a module and its descendants; a module or parameter
reachable under several names is listed under each, as in PyTorch. A module whose class
overrides ``get_extra_state`` adds ``"<prefix>_extra_state"``: whatever that returns, handed
to ``set_extra_state`` on loading (PyTorch's protocol). The walk of ``load_state_dict``, its
hooks and its key checks are in ``module_loading.py``.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Callable, Mapping

from .. import io
from .hooks import RemovableHandle, add_hook
from .module_loading import (
    EXTRA_STATE_KEY,
    IncompatibleKeys,
    LoadWalk,
    hooks_of,
    local_state,
    overrides,
)

if TYPE_CHECKING:
    from .module import Module

# The hook tables of every module (``Module.__init__`` makes them), as PyTorch names them.
STATE_DICT_HOOK_TABLES = ("_state_dict_pre_hooks", "_state_dict_hooks",
                          "_load_state_dict_pre_hooks", "_load_state_dict_post_hooks")


class StateDictMixin:
    """The state-dict methods of ``Module`` (which provides ``named_children``, the
    ``_parameters``/``_buffers``/``_non_persistent``/``_modules`` tables and the hook tables
    of ``STATE_DICT_HOOK_TABLES``)."""

    def state_dict(self, *args: Any, destination: Any = None, prefix: str = "",
                   keep_vars: bool = False) -> Any:
        """Parameters and persistent buffers by dotted name (``"0.weight"``), as in PyTorch.

        A module or parameter reachable under several names (``Sequential(layer, layer)``,
        tied weights) is saved under each of them. Each module's part is, in order: its
        state-dict pre-hooks, its own entries, its extra state (only when its class overrides
        ``get_extra_state``: ``prefix + "_extra_state"``, the object itself), its children's
        parts, its state-dict post-hooks.

        Args:
            *args: PyTorch's deprecated positional form ``state_dict(destination, prefix,
                keep_vars)``, read as PyTorch reads it (a keyword given as well wins), with
                PyTorch's ``FutureWarning``; more than three raise ``TypeError``.
            destination: a dict to add the entries to and return (default: a new
                ``OrderedDict``).
            prefix: put before every key as it is (children get ``prefix + name + "."``).
            keep_vars: False (default) stores detached tensors that share the data; True
                stores the Parameters and buffers themselves, still attached to autograd.

        Returns:
            ``destination``, filled.
        """
        if args:
            destination, prefix, keep_vars = _positional(args, destination, prefix, keep_vars)
        if destination is None:
            destination = OrderedDict()
        for hook in hooks_of(self, "_state_dict_pre_hooks"):
            hook(self, prefix, keep_vars)
        for name, value in local_state(self):
            destination[prefix + name] = value if keep_vars else value.detach()
        if overrides(self, "get_extra_state"):
            destination[prefix + EXTRA_STATE_KEY] = self.get_extra_state()
        for name, child in self.named_children():
            child.state_dict(destination=destination, prefix=f"{prefix}{name}.",
                             keep_vars=keep_vars)
        metadata = {"version": getattr(self, "_version", 1)}
        for hook in hooks_of(self, "_state_dict_hooks"):
            if hook(self, destination, prefix, metadata) is not None:
                raise RuntimeError("state_dict post-hook must return None")
        return destination

    def load_state_dict(self, state_dict: Any, strict: bool = True,
                        assign: bool = False) -> IncompatibleKeys:
        """Load ``state_dict``'s values into this module's parameters and persistent buffers.

        Every problem is reported at once, by name, before anything is changed (unless some
        module has load-state-dict post-hooks, below): shape mismatches (and messages a
        pre-hook adds to ``error_msgs``) always raise; missing and
        unexpected keys raise when ``strict`` (the default) and are returned otherwise. A lazy
        layer that has not run yet (``LazyLinear``, ``LazyConv2d``, ``LazyBatchNorm2d`` ...)
        takes its parameters' shapes from the checkpoint, as in PyTorch.

        Hooks, as in PyTorch (``register_load_state_dict_pre_hook`` and ``_post_hook``): each
        module's pre-hooks get the entries under its prefix, parents first, and may change
        them. With a post-hook anywhere in the module the load goes as PyTorch's does: each
        module is loaded when the walk reaches it (entries of a wrong shape left out), its
        post-hooks run after its children's, and may change the missing and unexpected lists
        in place; the problems, strict ones included, are raised at the end, after the rest
        was loaded.

        Args:
            state_dict: dotted names to tensors or arrays (``state_dict()``'s layout).
            strict: refuse missing and unexpected keys (default); False returns them.
            assign: False (default) copies each value into the tensor already there,
                converted to its dtype, so whoever holds the parameters (an optimizer) sees
                the new values. True puts the given objects in their places, as PyTorch does:
                a buffer becomes the given tensor itself, a parameter a ``Parameter`` sharing
                the given tensor's data (a given ``Parameter`` is used itself) with the
                ``requires_grad`` of the parameter it replaces; dtypes are the checkpoint's,
                arrays are wrapped without copying, and parameters tied before are separate
                after. Build optimizers after loading with ``assign=True``.

        Returns:
            ``(missing_keys, unexpected_keys)``, lists of names.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        # post-hooks may change the keys, so the strict check comes after them, as in PyTorch
        eager = any(hooks_of(m, "_load_state_dict_post_hooks") for m in self.modules())
        walk = LoadWalk(self, state_dict, assign, eager)  # runs the hooks, finds the problems
        problems = walk.problems + walk.errors
        if strict:
            problems += [f"missing key {k!r}" for k in walk.missing]
            problems += [f"unexpected key {k!r}" for k in walk.unexpected]
        if problems:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n  "
                               + "\n  ".join(problems))
        if not eager:
            walk.load()
        return IncompatibleKeys(walk.missing, walk.unexpected)

    # ------------------------------------------------------------ extra state

    def get_extra_state(self) -> Any:
        """What to save as this module's ``"_extra_state"`` entry, besides its tensors.

        Override it (with ``set_extra_state``) in a module that has more to save: once its
        class defines it, ``state_dict`` adds the entry, holding the object returned itself.
        Anything ``chainrule.save`` can write (numbers, strings, None, tensors, and dicts,
        lists and tuples of them) survives a file; PyTorch takes any picklable object.

        Raises:
            RuntimeError: called on a class that does not override it, as in PyTorch.
        """
        raise RuntimeError(f"{type(self).__name__}.get_extra_state(): this module has no extra "
                           "state; state_dict() calls get_extra_state only on a class that "
                           "overrides it")

    def set_extra_state(self, state: Any) -> None:
        """Take back what ``get_extra_state`` gave, from ``load_state_dict``: called after the
        module's own parameters and buffers are loaded, when its class overrides this method
        (then a state dict without the entry misses ``"<prefix>_extra_state"``).

        Raises:
            RuntimeError: called on a class that does not override it, as in PyTorch.
        """
        raise RuntimeError(f"{type(self).__name__}.set_extra_state(): this module has no extra "
                           "state; load_state_dict() calls set_extra_state only on a class "
                           "that overrides it")

    # ------------------------------------------------------------ hooks
    # NOTE: kept as the forward hooks are (nn/hooks.py: weakly held tables, the module as
    # owner), so they count in ``LIVE``: while one is registered, module calls take the path
    # that looks for forward hooks first, which costs a few dict lookups per call.

    def register_state_dict_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, prefix, keep_vars)`` when ``state_dict`` reaches this module,
        before its entries are added; what it returns is ignored. The handle's ``remove()``
        takes it off (likewise for the other state-dict hooks)."""
        return add_hook(self._state_dict_pre_hooks, hook, "register_state_dict_pre_hook",
                        owner=self)

    def register_state_dict_post_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, state_dict, prefix, local_metadata)`` once this module's part of
        ``state_dict`` (its children's included) is in ``state_dict``, which the hook may
        change in place; it must return None (else RuntimeError, as in PyTorch).
        ``local_metadata`` is ``{"version": 1}`` (chainrule modules keep no versions)."""
        return add_hook(self._state_dict_hooks, hook, "register_state_dict_post_hook",
                        owner=self)

    def register_load_state_dict_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` when ``load_state_dict`` reaches this module, before
        its keys are checked: ``state_dict`` holds the entries under ``prefix`` (a copy the
        hook may change: rename or convert entries); a message added to ``error_msgs`` makes
        the load raise. As in PyTorch, ``strict`` is always True and ``local_metadata`` is
        the state dict's ``_metadata`` entry for the module, or ``{}`` (with
        ``"assign_to_params_buffers": True`` under ``assign=True``)."""
        return add_hook(self._load_state_dict_pre_hooks, hook,
                        "register_load_state_dict_pre_hook", owner=self)

    def register_load_state_dict_post_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, incompatible_keys)`` once ``load_state_dict`` has loaded this
        module and its children; the hook may change ``incompatible_keys.missing_keys`` and
        ``.unexpected_keys`` in place (the strict check sees its changes) and must return
        None (else AssertionError, as in PyTorch)."""
        return add_hook(self._load_state_dict_post_hooks, hook,
                        "register_load_state_dict_post_hook", owner=self)

    # ------------------------------------------------------------ files

    def save(self, path: Any, metadata: dict[str, str] | None = None) -> None:
        """Write ``state_dict()`` to a safetensors file (atomically; see ``chainrule.io``)."""
        io.save(self, path, metadata=metadata)

    def load(self, path: Any, strict: bool = True) -> Module:
        """Load weights saved by ``save`` (or any safetensors file with matching names) into
        this module, with ``load_state_dict``'s checks; returns the module.

        The architecture is code: build the module first, then load its weights.
        """
        self.load_state_dict(io.load(path), strict=strict)
        return self


def _positional(args: tuple, destination: Any, prefix: str, keep_vars: bool) -> tuple:
    """PyTorch's deprecated ``state_dict(destination, prefix, keep_vars)``, read as PyTorch
    2.13 reads it: a positional value fills a parameter that its keyword left at the default."""
    if len(args) > 3:  # PyTorch ignores the extra ones; an error is kinder than that
        raise TypeError(f"state_dict() takes at most 3 positional arguments (destination, "
                        f"prefix, keep_vars), got {len(args)}")
    warnings.warn("state_dict(): positional arguments are deprecated, as in PyTorch; pass "
                  "destination=, prefix= and keep_vars= by keyword", FutureWarning,
                  stacklevel=3)
    args = args + (None, "", False)[len(args):]
    return (args[0] if destination is None else destination,
            args[1] if prefix == "" else prefix,
            args[2] if keep_vars is False else keep_vars)

