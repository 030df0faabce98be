"""``Module``: the base class of layers and models (PyTorch's semantics and names).

Assigning a ``Parameter`` or a ``Module`` to an attribute registers it; buffers (state that is
saved but not trained, such as running statistics) are registered with ``register_buffer``.
From those three dictionaries everything else is derived: ``parameters()``, ``state_dict()``
with dotted keys (``"0.weight"``, ``"encoder.layers.1.bias"``), ``train()``/``eval()``.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Iterator

import numpy as np

from .. import legacy
from ..tensor import Tensor
from . import hooks as _hooks
from .hooks import LIVE, RemovableHandle, add_hook, call_with_hooks
from .module_conversion import ConversionMixin
from .module_state import (  # noqa: F401 (IncompatibleKeys: re-exported)
    STATE_DICT_HOOK_TABLES,
    IncompatibleKeys,
    StateDictMixin,
)
from .parameter import Buffer, Parameter

_HOOK_TABLES = _hooks.HOOK_TABLES + STATE_DICT_HOOK_TABLES


class Module(StateDictMixin, ConversionMixin):
    """Base class for all layers and models.

    Subclasses call ``super().__init__()`` first, assign their Parameters and sub-modules as
    attributes, and define ``forward``. Calling the module calls ``forward``.

    Example:
        >>> import chainrule
        >>> from chainrule import nn
        >>> class TwoLayer(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.hidden = nn.Linear(2, 4)
        ...         self.out = nn.Linear(4, 1)
        ...     def forward(self, x):
        ...         return self.out(self.hidden(x).relu())
        >>> [name for name, _ in TwoLayer().named_parameters()]
        ['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        for table in _HOOK_TABLES:
            object.__setattr__(self, table, OrderedDict())

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no forward() method")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if LIVE[0]:  # some hook may be registered, here or globally (chainrule.nn.hooks)
            return call_with_hooks(self, args, kwargs)
        return self.forward(*args, **kwargs)

    def compile(self, *args: Any, **kwargs: Any) -> None:
        """PyTorch compiles the module's calls in place; chainrule runs every op eagerly, so
        this checks torch.compile's arguments (as ``chainrule.compile``) and returns None."""
        legacy.compile(self, *args, **kwargs)

    # ------------------------------------------------------------ hooks (see nn/hooks.py)

    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """Call ``hook(module, args)`` before each ``forward`` (``hook(module, args, kwargs)``
        when ``with_kwargs``). A non-None result replaces the positional arguments (a single
        value is taken as a 1-tuple); with ``with_kwargs`` it must be ``(args, kwargs)``.
        Hooks run in the order registered, after the global ones; ``prepend`` puts this one
        first. The handle's ``remove()`` takes it off."""
        flags = (self._forward_pre_hooks_with_kwargs,) if with_kwargs else ()
        return add_hook(self._forward_pre_hooks, hook, "register_forward_pre_hook", prepend,
                        flags, owner=self)

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False,
                              with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after each ``forward`` (``hook(module, args,
        kwargs, output)`` when ``with_kwargs``); a non-None result replaces the output. With
        ``always_call`` the hook also runs (with output None) when ``forward`` raised."""
        flags = ((self._forward_hooks_with_kwargs,) if with_kwargs else ()) + \
            ((self._forward_hooks_always_called,) if always_call else ())
        return add_hook(self._forward_hooks, hook, "register_forward_hook", prepend, flags,
                        owner=self)

    def register_full_backward_pre_hook(self, hook: Callable,
                                        prepend: bool = False) -> RemovableHandle:
        """Call ``hook(module, grad_output)`` when the gradients of the module's tensor outputs
        are computed, before they flow into the module; a non-None result (a tuple, one entry
        per output) replaces them."""
        return add_hook(self._backward_pre_hooks, hook, "register_full_backward_pre_hook",
                        prepend, owner=self)

    def register_full_backward_hook(self, hook: Callable,
                                    prepend: bool = False) -> RemovableHandle:
        """Call ``hook(module, grad_input, grad_output)`` once per backward, when the gradients
        of the module's positional inputs are computed: ``grad_input`` has one entry per
        positional argument (None for a non-tensor, zeros for a tensor that does not require
        grad), ``grad_output`` one per output. A non-None result (same length) replaces
        ``grad_input`` in what flows on. No input requires grad: the hook runs when the output
        gradients are known, with None for every input, and must return None."""
        return add_hook(self._backward_hooks, hook, "register_full_backward_hook", prepend,
                        owner=self)

    def register_backward_hook(self, hook: Callable) -> RemovableHandle:
        """PyTorch's deprecated backward hook, here the same as ``register_full_backward_hook``.

        NOTE: PyTorch 2.x still runs the old hook on the last autograd node of ``forward``,
        whose inputs are not the module's when ``forward`` has several operations; chainrule
        gives the well-defined gradients of the full hook instead."""
        return self.register_full_backward_hook(hook)

    def __setstate__(self, state: dict) -> None:
        # copy.deepcopy and pickle: the copy's hooks are live ones as well
        self.__dict__.update(state)
        for table in _HOOK_TABLES:
            self.__dict__.setdefault(table, OrderedDict())
        _hooks.brought_along(self)

    # ------------------------------------------------------------ registration

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() is called: call "
                f"super().__init__() first in {type(self).__name__}.__init__"
            )
        params, modules, buffers = self._parameters, self._modules, self._buffers
        if isinstance(value, Parameter):
            self._forget(name, keep=params)
            params[name] = value
        elif isinstance(value, Buffer):
            self.register_buffer(name, value, persistent=value.persistent)
        elif isinstance(value, Module):
            self._forget(name, keep=modules)
            modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} to parameter {name!r}: "
                                "use nn.Parameter(...) or None")
            params[name] = None
        elif name in modules and value is None:
            modules[name] = None
        elif name in buffers:
            buffers[name] = value if value is None or isinstance(value, Tensor) else Tensor(value)
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str, keep: OrderedDict | None = None) -> None:
        """Drop ``name`` from the registries other than ``keep`` (where a re-registered name
        keeps its place, as in PyTorch) and from the instance's attributes."""
        for table in (self._parameters, self._modules, self._buffers):
            if table is not keep:
                table.pop(name, None)
        if keep is not self._buffers:
            self._non_persistent.discard(name)
        self.__dict__.pop(name, None)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: look in the registries.
        for table in ("_parameters", "_buffers", "_modules"):
            registry = self.__dict__.get(table)
            if registry is not None and name in registry:
                return registry[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for table in (self._parameters, self._buffers, self._modules):
            if name in table:
                del table[name]
                self._non_persistent.discard(name)
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or None, a declared but absent parameter) under ``name``."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter({name!r}): expected a Parameter or None, got "
                            f"{type(param).__name__}")
        self._forget(name, keep=self._parameters)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """Register non-trainable state (saved in ``state_dict`` unless not persistent)."""
        self._forget(name, keep=self._buffers)
        self._buffers[name] = tensor if tensor is None or isinstance(tensor, Tensor) \
            else Tensor(tensor)
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` as a child called ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module({name!r}): {type(module).__name__} is not a Module")
        self._forget(name, keep=self._modules)
        self._modules[name] = module

    register_module = add_module

    # ------------------------------------------------------------ traversal

    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple]:
        """(dotted name, module) for this module and every descendant, parents first.

        Args:
            memo: modules to leave out; with ``remove_duplicate`` each module listed is added
                to it (a new set by default).
            prefix: put before every name, joined by a dot.
            remove_duplicate: list a module reachable under several names once (the first
                name); False lists it under each name.
        """
        memo = set() if memo is None else memo
        if self in memo:
            return
        if remove_duplicate:
            memo.add(self)
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name,
                                               remove_duplicate)

    def modules(self, remove_duplicate: bool = True) -> Iterator[Module]:
        """This module and every descendant; ``remove_duplicate`` as in ``named_modules``."""
        for _, module in self.named_modules(remove_duplicate=remove_duplicate):
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, child in self._modules.items():
            if child is not None:
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def _named_members(self, table: str, prefix: str, recurse: bool,
                       remove_duplicate: bool) -> Iterator[tuple]:
        seen: set[int] = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, table).items():
                if value is None or id(value) in seen:
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple]:
        """(dotted name, Parameter) pairs.

        Args:
            prefix: put before every name, joined by a dot.
            recurse: include the parameters of every descendant (False: this module's own).
            remove_duplicate: list a parameter held under several names (tied weights, a
                shared layer) once, under the first name; False lists it under each name.
        """
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple]:
        """(dotted name, buffer) pairs; the arguments are those of ``named_parameters``."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def get_submodule(self, target: str) -> Module:
        """The descendant called ``target`` (a dotted path such as ``"encoder.0"``; ``""`` is
        self). A name on the path that is missing, or not a module, raises AttributeError
        with PyTorch's message."""
        module = self
        for part in target.split(".") if target else []:
            if not hasattr(module, part):
                raise AttributeError(f"{type(module).__name__} has no attribute `{part}`")
            module = getattr(module, part)
            if not isinstance(module, Module):
                raise AttributeError(f"`{part}` is not an nn.Module")
        return module

    def get_parameter(self, target: str) -> Parameter:
        """The parameter called ``target`` (``"encoder.0.weight"``); AttributeError, with
        PyTorch's message, when the path is wrong or names no parameter."""
        module, name = self._owner_of(target)
        param = getattr(module, name)
        if not isinstance(param, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return param

    def get_buffer(self, target: str) -> Tensor:
        """The buffer called ``target`` (``"norm.running_mean"``), persistent or not (None for
        one registered as None); AttributeError, with PyTorch's message, when the path is
        wrong or names no buffer."""
        module, name = self._owner_of(target)
        if name not in module._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return module._buffers[name]

    def _owner_of(self, target: str) -> tuple[Module, str]:
        """(the module that holds the attribute ``target`` names, its name there)."""
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if not hasattr(module, name):
            raise AttributeError(f"{type(module).__name__} has no attribute `{name}`")
        return module, name

    def set_submodule(self, target: str, module: Module, strict: bool = False) -> None:
        """Put ``module`` at the dotted path ``target``, replacing the submodule there or,
        unless ``strict``, adding it to the parent the path names. As in PyTorch, an empty
        ``target`` or a ``module`` that is no Module raises ValueError; a name on the path
        that is missing or no module, a last name that is an attribute other than a module,
        or (``strict``) a missing last name raise AttributeError."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        path, _, name = target.rpartition(".")
        parent = self.get_submodule(path)
        if strict and not hasattr(parent, name):
            raise AttributeError(f"{type(parent).__name__} has no attribute `{name}`")
        if hasattr(parent, name) and not isinstance(getattr(parent, name), Module):
            raise AttributeError(f"`{name}` is not an nn.Module")
        setattr(parent, name, module)

    # ------------------------------------------------------------ modes and state

    def train(self, mode: bool = True) -> Module:
        """Set training mode (dropout active, batch statistics) on this module and below."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Set evaluation mode: the same as ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of all parameters (to None by default, as in PyTorch)."""
        for param in self.parameters():
            if set_to_none or param._grad is None:
                param._grad = None
            else:
                param._grad = np.zeros_like(param._grad)

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every sub-module (children first) and then on self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------ printing

    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr (layer settings)."""
        return ""

    def __repr__(self) -> str:
        lines = [f"({name}): " + _indent(repr(child)) for name, child in self._modules.items()]
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        body = ([extra] if extra else []) + lines
        return f"{type(self).__name__}(\n  " + "\n  ".join(body) + "\n)"

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))


def _indent(text: str) -> str:
    return text.replace("\n", "\n  ")
