"""Parametrizations (PyTorch's ``torch.nn.utils.parametrize``): a module's parameter or buffer
replaced by a function of unconstrained tensors, recomputed on every access.

``register_parametrization(module, "weight", p)`` moves ``module.weight`` to
``module.parametrizations.weight.original`` (state-dict key
``"parametrizations.weight.original"``, as PyTorch's) and gives the module a class of its own,
``Parametrized<Class>``, a subclass with a ``weight`` property: reading it computes
``p(original)`` through autograd, so the gradients reach ``original``; assigning to it calls
``p.right_inverse``. ``cached()`` computes each parametrized tensor once per block.
"""

from __future__ import annotations

import copy
from contextlib import contextmanager
from typing import Any, Iterator

from ...grad_mode import no_grad
from ...tensor import Tensor
from ..container import ModuleDict
from ..module import Module
from ..parameter import Buffer, Parameter
from .parametrization_list import ParametrizationList, register_parameter_or_buffer, set_data

__all__ = ["cached", "ParametrizationList", "register_parametrization", "is_parametrized",
           "remove_parametrizations", "type_before_parametrizations",
           "transfer_parametrizations_and_params"]

_cache_enabled = 0
_cache: dict[tuple[int, str], Tensor] = {}


@contextmanager
def cached() -> Iterator[None]:
    """Compute each parametrized tensor once, at its first use inside the block, and reuse
    it until the (outermost) block ends: for a parametrized weight read several times in one
    forward (a recurrent kernel, tied weights).

    Example:
        >>> import chainrule
        >>> from chainrule import nn
        >>> class Double(nn.Module):
        ...     def forward(self, x):
        ...         return 2 * x
        >>> m = register_parametrization(nn.Linear(2, 2), "weight", Double())
        >>> with cached():
        ...     m.weight is m.weight
        True
    """
    global _cache, _cache_enabled
    _cache_enabled += 1
    try:
        yield
    finally:
        _cache_enabled -= 1
        if not _cache_enabled:
            _cache = {}


def _inject_new_class(module: Module) -> None:
    """Give ``module`` a class of its own, ``Parametrized<Class>``, to hold the properties.

    The class refuses pickling (PyTorch's rule: parametrized modules are saved through
    ``state_dict``) but deep-copies, and refuses a Parameter, buffer or module assigned to a
    parametrized name (PyTorch raises the same KeyError)."""
    cls = module.__class__

    def __getstate__(self: Module) -> Any:
        raise RuntimeError("Serialization of parametrized modules is only supported through "
                           "state_dict(): save module.state_dict() and load it into a "
                           "module parametrized the same way")

    def __deepcopy__(self: Module, memo: dict) -> Module:
        replica = memo.get(id(self))
        if replica is None:
            replica = memo[id(self)] = self.__class__.__new__(self.__class__)
            replica.__setstate__(copy.deepcopy(self.__dict__, memo))
        return replica

    def __setattr__(self: Module, name: str, value: Any) -> None:
        if isinstance(value, (Parameter, Buffer, Module)) and is_parametrized(self, name):
            raise KeyError(f"attribute '{name}' already exists")
        cls.__setattr__(self, name, value)

    namespace = {"__getstate__": __getstate__, "__setattr__": __setattr__}
    if not hasattr(cls, "__deepcopy__"):
        namespace["__deepcopy__"] = __deepcopy__
    module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), namespace)


def _inject_property(module: Module, tensor_name: str) -> None:
    """Add the property ``tensor_name`` to ``module``'s own class: reading it computes the
    parametrization (once per ``cached()`` block), assigning to it calls its
    ``right_inverse``."""

    def get_parametrized(self: Module) -> Tensor:
        parametrization = self.parametrizations[tensor_name]
        if not _cache_enabled:
            return parametrization()
        key = (id(self), tensor_name)
        if key not in _cache:
            _cache[key] = parametrization()
        return _cache[key]

    def set_original(self: Module, value: Tensor) -> None:
        self.parametrizations[tensor_name].right_inverse(value)

    setattr(module.__class__, tensor_name, property(get_parametrized, set_original))


def register_parametrization(module: Module, tensor_name: str, parametrization: Module, *,
                             unsafe: bool = False) -> Module:
    """Replace ``module.<tensor_name>`` by ``parametrization`` applied to it.

    The first time, the parameter or buffer becomes
    ``module.parametrizations.<tensor_name>.original`` (passed through the
    parametrization's ``right_inverse`` when it has one; a ``right_inverse`` that returns a
    sequence gives ``original0``, ``original1``, … instead, new Parameters to add to an
    optimizer). Registering again on the same name chains the new parametrization after the
    others. ``parametrization`` takes the module's training mode.

    Args:
        module: the module that holds the tensor.
        tensor_name: the name of a parameter, a buffer or an already parametrized tensor.
        parametrization: a Module whose ``forward`` maps the original tensor(s) to the
            parametrized one; it may have ``right_inverse(X)``.
        unsafe: (keyword) allow a parametrization that changes the tensor's shape or dtype
            (no consistency check is run).

    Returns:
        ``module``, whose class is now ``Parametrized<Class>``.

    Raises:
        ValueError: ``tensor_name`` names no parameter, buffer or parametrized tensor; or,
            unless ``unsafe``, the parametrization (or its ``right_inverse``) changes the
            shape or dtype, or returns no tensor.

    Example:
        >>> import chainrule
        >>> from chainrule import nn
        >>> class Symmetric(nn.Module):
        ...     def forward(self, X):
        ...         return X.triu() + X.triu(1).T
        >>> m = register_parametrization(nn.Linear(3, 3), "weight", Symmetric())
        >>> bool((m.weight == m.weight.T).all()), type(m).__name__
        (True, 'ParametrizedLinear')
        >>> list(m.state_dict())
        ['bias', 'parametrizations.weight.original']
    """
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        if not unsafe:
            _check_chained(module, tensor_name, parametrization)
        chain = module.parametrizations[tensor_name]
        chain.append(parametrization)
        chain.unsafe |= unsafe  # once unsafe, always unsafe
    elif tensor_name in module._buffers or tensor_name in module._parameters:
        original = getattr(module, tensor_name)
        chain = ParametrizationList([parametrization], original, unsafe=unsafe)
        delattr(module, tensor_name)
        if not is_parametrized(module):
            _inject_new_class(module)
            module.parametrizations = ModuleDict()
        _inject_property(module, tensor_name)
        module.parametrizations[tensor_name] = chain
    else:
        raise ValueError(f"Module '{module}' does not have a parameter, a buffer, or a "
                         f"parametrized element with name '{tensor_name}'")
    return module


def _check_chained(module: Module, tensor_name: str, parametrization: Module) -> None:
    """The check of a parametrization chained after others: it (and its ``right_inverse``,
    if any) maps tensors of ``module.<tensor_name>``'s shape and dtype to the same."""
    y = getattr(module, tensor_name)
    x = parametrization(y)
    if not isinstance(x, Tensor):
        raise ValueError(f"A parametrization must return a tensor. Got {type(x).__name__}.")
    _check_like(y, x, tensor_name, f"parametrization(module.{tensor_name})",
                "Registering a parametrization may not change the {what} of the tensor, "
                "unless the `unsafe` flag is enabled.")
    if hasattr(parametrization, "right_inverse"):
        try:
            z = parametrization.right_inverse(x)
        except NotImplementedError:
            return
        if not isinstance(z, Tensor):
            raise ValueError("parametrization.right_inverse must return a tensor. Got: "
                             f"{type(z).__name__}")
        _check_like(y, z, tensor_name, "returned",
                    "The tensor returned by parametrization.right_inverse must have the same "
                    f"{{what}} as module.{tensor_name}, unless the `unsafe` flag is enabled.")


def _check_like(y: Tensor, x: Tensor, tensor_name: str, label: str, message: str) -> None:
    for what in ("dtype", "shape"):
        if getattr(x, what) != getattr(y, what):
            raise ValueError(message.format(what=what) + f"\nmodule.{tensor_name}.{what}: "
                             f"{getattr(y, what)}\n{label}.{what}: {getattr(x, what)}")


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether ``module`` has a parametrization on ``tensor_name`` (on any tensor when
    None)."""
    parametrizations = module.__dict__.get("_modules", {}).get("parametrizations")
    if not isinstance(parametrizations, ModuleDict):
        return False
    if tensor_name is None:
        return len(parametrizations) > 0
    return tensor_name in parametrizations


def remove_parametrizations(module: Module, tensor_name: str,
                            leave_parametrized: bool = True) -> Module:
    """Take the parametrizations off ``module.<tensor_name>``, which becomes a plain parameter
    (or buffer) again.

    With ``leave_parametrized`` it holds the current parametrized value (in the original
    tensor object when there is one, so an optimizer holding it keeps working); otherwise it
    is the unparametrized ``original`` (possible only with a single original tensor). Once
    no tensor is parametrized the module gets its class back.

    Args:
        module: the parametrized module.
        tensor_name: the parametrized tensor.
        leave_parametrized: keep the parametrized value (default) or the original one.

    Returns:
        ``module``.

    Raises:
        ValueError: ``tensor_name`` is not parametrized; or ``leave_parametrized=False`` for
            a tensor computed from several originals.
    """
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    chain = module.parametrizations[tensor_name]
    if chain.is_tensor:
        original = chain.original
        if leave_parametrized:
            with no_grad():
                set_data(original, getattr(module, tensor_name))
    elif leave_parametrized:
        value = getattr(module, tensor_name)
        original = Parameter(value) if value.requires_grad else value.detach()
    else:
        raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a tensor "
                         "that is parametrized in terms of a sequence of tensors.")
    delattr(module.__class__, tensor_name)
    del module.parametrizations[tensor_name]
    register_parameter_or_buffer(module, tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = module.__class__.__bases__[0]
    return module


def type_before_parametrizations(module: Module) -> type:
    """``module``'s class before any parametrization was registered (its class if none)."""
    if is_parametrized(module):
        return module.__class__.__bases__[0]
    return type(module)


def transfer_parametrizations_and_params(from_module: Module, to_module: Module,
                                         tensor_name: str | None = None) -> Module:
    """Register ``from_module``'s parametrizations (of ``tensor_name``, or all of them) on
    ``to_module`` as well, with the same original tensors; a parametrized tensor that
    ``to_module`` lacks is created first as a Parameter. Nothing happens when
    ``from_module`` is not parametrized.

    Returns:
        ``to_module``.
    """
    if not is_parametrized(from_module):
        return to_module
    names = list(from_module.parametrizations) if tensor_name is None else [tensor_name]
    for name in names:
        source = from_module.parametrizations[name]
        if not hasattr(to_module, name):
            setattr(to_module, name, Parameter(getattr(from_module, name)))
        for parametrization in source:
            register_parametrization(to_module, name, parametrization)
        target = to_module.parametrizations[name]
        originals = ["original"] if source.is_tensor else \
            [f"original{i}" for i in range(source.ntensors)]
        for original in originals:
            setattr(target, original, getattr(source, original))
    return to_module
