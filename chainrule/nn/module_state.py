"""``Module``'s state dictionary: ``state_dict``, ``load_state_dict`` (with PyTorch's
``assign``), and the ``save``/``load`` shortcuts to files, as a mixin ``Module`` inherits.

A state dict maps dotted names (``"0.weight"``, ``"encoder.layers.1.bias"``) to the
parameters and persistent buffers of a module and its descendants; a module or parameter
reachable under several names is listed under each, as in PyTorch.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict, namedtuple
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np

from .. import io
from ..autograd import no_grad
from ..creation import as_tensor
from ..tensor import Tensor
from .parameter import Parameter

if TYPE_CHECKING:
    from .module import Module

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class StateDictMixin:
    """The state-dict methods of ``Module`` (which provides ``named_modules``,
    ``named_children`` and the ``_parameters``/``_buffers``/``_non_persistent`` tables)."""

    def state_dict(self, *args: Any, destination: Any = None, prefix: str = "",
                   keep_vars: bool = False) -> Any:
        """Parameters and persistent buffers by dotted name (``"0.weight"``), as in PyTorch.

        A module or parameter reachable under several names (``Sequential(layer, layer)``,
        tied weights) is saved under each of them.

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
        for name, value in _local_state(self):
            destination[prefix + name] = value if keep_vars else value.detach()
        for name, child in self.named_children():
            child.state_dict(destination=destination, prefix=f"{prefix}{name}.",
                             keep_vars=keep_vars)
        return destination

    def load_state_dict(self, state_dict: Any, strict: bool = True,
                        assign: bool = False) -> IncompatibleKeys:
        """Load ``state_dict``'s values into this module's parameters and persistent buffers.

        Every problem is reported at once, by name, before anything is changed: shape
        mismatches always raise; missing and unexpected keys raise when ``strict`` (the
        default) and are returned otherwise. A lazy layer that has not run yet (``LazyLinear``)
        takes its parameters' shapes from the checkpoint, as in PyTorch.

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
        own = self.state_dict()
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        lazy, problems = self._loading_problems(state_dict, own)
        if strict:
            problems += [f"missing key {k!r}" for k in missing]
            problems += [f"unexpected key {k!r}" for k in unexpected]
        if problems:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n  "
                               + "\n  ".join(problems))
        for module, shapes in lazy:  # lazy layers take the checkpoint's shapes
            if shapes:
                module._materialize_loaded(shapes)
        with no_grad():
            for module_name, module in self.named_modules(remove_duplicate=False):
                dot = f"{module_name}." if module_name else ""
                for name, target in list(_local_state(module)):
                    if dot + name in state_dict:
                        _load_into(module, name, target, state_dict[dot + name], assign)
        return IncompatibleKeys(missing, unexpected)

    def _loading_problems(self, state_dict: Any, own: OrderedDict) -> tuple[list, list]:
        """For ``load_state_dict``: ([(lazy layer, {parameter name: checkpoint shape})],
        [shape mismatches, as messages])."""
        lazy, problems, shaped_by_checkpoint = [], [], set()
        for name, module in self.named_modules():
            if hasattr(module, "_lazy_shapes"):
                prefix = f"{name}." if name else ""
                shapes, module_problems = module._lazy_shapes(state_dict, prefix)
                lazy.append((module, shapes))
                problems += module_problems
                shaped_by_checkpoint.update(prefix + key for key in shapes)
        for key, target in own.items():
            if key in state_dict and key not in shaped_by_checkpoint and \
                    tuple(np.shape(_array(state_dict[key]))) != target.shape:
                problems.append(f"size mismatch for {key}: checkpoint has shape "
                                f"{tuple(np.shape(_array(state_dict[key])))}, model has "
                                f"{target.shape}")
        return lazy, problems

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


def _array(value: Any) -> Any:
    return value.data if isinstance(value, Tensor) else value


def _local_state(module: Module) -> Iterator[tuple[str, Tensor]]:
    """(name, tensor) for a module's own parameters and persistent buffers, None left out."""
    for name, param in module._parameters.items():
        if param is not None:
            yield name, param
    for name, buffer in module._buffers.items():
        if buffer is not None and name not in module._non_persistent:
            yield name, buffer


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
