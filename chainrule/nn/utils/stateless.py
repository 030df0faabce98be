"""Calling a module with other tensors in place of its parameters and buffers
(``torch.nn.utils.stateless``).

``functional_call`` here is PyTorch's deprecated spelling (it warns); ``chainrule.func
.functional_call``, which also takes a tuple of dicts, is the one to use. Both run
``_functional_call``: swap the given tensors in by dotted name, call the module, swap the
originals back, even when the call raises.
"""

from __future__ import annotations

import contextlib
import warnings
from typing import Any, Iterator

from ...tensor import Tensor

__all__ = ["functional_call"]

_MISSING = object()  # what a name held before the call when the module had no such attribute


def functional_call(module: Any, parameters_and_buffers: dict[str, Any], args: Any = None,
                    kwargs: dict[str, Any] | None = None, *, tie_weights: bool = True,
                    strict: bool = False) -> Any:
    """``module(*args, **kwargs)`` with ``parameters_and_buffers`` in place of the tensors of
    those names (deprecated in PyTorch 2.0: use ``chainrule.func.functional_call``, which
    this calls).

    Example:
        >>> import warnings, chainrule
        >>> lin = chainrule.nn.Linear(2, 1)
        >>> w = {"weight": chainrule.ones(1, 2), "bias": chainrule.zeros(1)}
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     functional_call(lin, w, chainrule.tensor([[1.0, 2.0]]))
        tensor([[3.]])
    """
    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 "
                  "and will be removed in a future version of PyTorch. Please use "
                  "`torch.func.functional_call` instead which is a drop-in replacement.",
                  FutureWarning, stacklevel=2)
    return _functional_call(module, parameters_and_buffers, args, kwargs,
                            tie_weights=tie_weights, strict=strict)


def _functional_call(module: Any, parameters_and_buffers: dict[str, Any], args: Any = None,
                     kwargs: dict[str, Any] | None = None, *, tie_weights: bool = True,
                     strict: bool = False) -> Any:
    """What both ``functional_call``s run (one dict, already merged)."""
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrized(module, parameters_and_buffers, tie_weights, strict):
        return module(*args, **(kwargs or {}))


@contextlib.contextmanager
def _reparametrized(module: Any, values: dict[str, Any], tie_weights: bool,
                    strict: bool) -> Iterator[None]:
    """``module`` holding ``values`` by dotted name for the ``with`` block. On exit the
    originals go back, and ``values`` takes what the module then held under its keys (a
    buffer the forward reassigned, as PyTorch does)."""
    swapped = _untied(module, values) if tie_weights else values
    if strict:
        _check_keys(module, swapped)
    originals: dict[str, Any] = {}
    try:
        for name, tensor in swapped.items():
            originals[name] = _swap(module, name, tensor)
        yield
    finally:
        found = {name: _swap(module, name, old) for name, old in reversed(originals.items())}
        values.update({k: found[k] for k in values if k in found and found[k] is not _MISSING})


def _swap(module: Any, dotted: str, tensor: Any) -> Any:
    """Put ``tensor`` (``_MISSING``: nothing) under ``dotted`` and return what was there."""
    path, _, name = dotted.rpartition(".")
    if tensor is not _MISSING and tensor is not None and not isinstance(tensor, Tensor):
        raise TypeError(f"{tensor} is not an instance of torch.Tensor")
    owner = module.get_submodule(path)
    for table in (owner._parameters, owner._buffers):
        if name in table:
            old = table[name]
            if tensor is _MISSING:
                del table[name]
            else:
                table[name] = tensor  # unchecked, as PyTorch: a plain tensor may stand in
            return old
    old = getattr(owner, name, _MISSING)
    if old is not _MISSING and old is not None and not isinstance(old, Tensor):
        raise TypeError(f"attribute `{name}`: {old} is not an instance of torch.Tensor")
    if tensor is not _MISSING:
        setattr(owner, name, tensor)
    elif old is not _MISSING:
        delattr(owner, name)
    return old


def _named_tensors(module: Any) -> list[tuple[str, Any]]:
    """Every (dotted name, tensor) of the module's parameters and buffers, a tied tensor under
    each of its names."""
    return [*module.named_parameters(remove_duplicate=False),
            *module.named_buffers(remove_duplicate=False)]


def _untied(module: Any, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with each given tensor also under the other names of a tied one; two
    different tensors given for one tied tensor raise ValueError (PyTorch's message)."""
    names_of: dict[int, list[str]] = {}
    for name, tensor in _named_tensors(module):
        names_of.setdefault(id(tensor), []).append(name)
    tied = {name: group for group in names_of.values() if len(group) > 1 for name in group}
    untied = dict(values)
    for given in [name for name in values if name in tied]:
        group = tied[given]
        if len({id(values[n]) for n in group if n in values}) > 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(group)}, "
                             "which are tied. Consider using tie_weights=False")
        untied.update({name: values[given] for name in group})
    return untied


def _check_keys(module: Any, values: dict[str, Any]) -> None:
    """``strict``: the keys must be exactly the module's parameter and buffer names."""
    valid = {name for name, _ in _named_tensors(module)}
    missing, unexpected = sorted(valid - set(values)), sorted(set(values) - valid)
    errors = []
    if unexpected:
        errors.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
    if missing:
        errors.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
    if errors:
        raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n\t"
                           + "\n\t".join(errors))
