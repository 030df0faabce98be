"""``functional_call`` and ``stack_module_state``: a module as a function of its tensors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..methods.shape import stack
from ..nn.utils.stateless import _functional_call
from ..tensor import Tensor


def functional_call(module: Any, parameter_and_buffer_dicts: Any, args: Any = None,
                    kwargs: dict[str, Any] | None = None, *, tie_weights: bool = True,
                    strict: bool = False) -> Any:
    """``module(*args, **kwargs)`` run with the given tensors in place of its parameters and
    buffers, named as in ``state_dict`` (``"0.weight"``); the module's own tensors are back
    in place afterwards, also when the call raises.

    Gradients flow to the given tensors (the module's own parameters are not used), which is
    what ``grad`` and ``vmap`` of a model need.

    Args:
        module: the module to call.
        parameter_and_buffer_dicts: a dict of name → tensor, or a tuple/list of such dicts
            with distinct keys (a key in two of them raises ValueError). Names left out keep
            the module's tensor; a name the module lacks is set as an attribute for the call.
        args: the positional arguments (one that is not a tuple is the only one).
        kwargs: the keyword arguments.
        tie_weights: a tensor the module holds under several names (tied weights) takes
            the given value under all of them; different values for one raise ValueError.
        strict: the names must be exactly the module's parameter and buffer names
            (RuntimeError listing the missing and unexpected ones).

    Returns:
        What the module returns.

    Example:
        >>> import chainrule
        >>> from chainrule.func import functional_call
        >>> lin = chainrule.nn.Linear(2, 1)
        >>> new = {"weight": chainrule.ones(1, 2), "bias": chainrule.zeros(1)}
        >>> functional_call(lin, new, chainrule.tensor([[1.0, 2.0]]))
        tensor([[3.]])
    """
    return _functional_call(module, _merged(parameter_and_buffer_dicts), args, kwargs,
                            tie_weights=tie_weights, strict=strict)


def _merged(dicts: Any) -> dict[str, Any]:
    """One dict of name → tensor from a dict or a sequence of dicts with distinct keys."""
    if isinstance(dicts, dict):
        return dicts
    if not isinstance(dicts, Sequence) or isinstance(dicts, str):
        raise ValueError("Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of "
                         f"dicts, but got {type(dicts)}")
    if not all(isinstance(d, dict) for d in dicts):
        raise ValueError("Expected all elements of parameter_and_buffer_dicts to be "
                         "dictionaries")
    seen: dict[str, int] = {}
    for d in dicts:
        for key in d:
            seen[key] = seen.get(key, 0) + 1
    repeated = [key for key, n in seen.items() if n > 1]
    if repeated:
        raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of functional "
                         "call is ambiguous")
    return {k: v for d in dicts for k, v in d.items()}


def stack_module_state(models: Any) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """The parameters and buffers of ``models`` (same class, same mode) stacked along a new
    first dimension, by name: what ``vmap`` over ``functional_call`` needs to run an ensemble.
    Stacked parameters are new leaves that require grad.

    Example:
        >>> import chainrule
        >>> from chainrule.func import stack_module_state
        >>> params, buffers = stack_module_state([chainrule.nn.Linear(3, 2) for _ in range(4)])
        >>> tuple(params["weight"].shape), params["weight"].requires_grad
        ((4, 2, 3), True)
    """
    if len(models) == 0:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if len({m.training for m in models}) != 1:
        raise RuntimeError("stack_module_state: Expected all models to have the same "
                           "training/eval mode.")
    if len({type(m) for m in models}) != 1:
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    params = [dict(m.named_parameters()) for m in models]
    buffers = [dict(m.named_buffers()) for m in models]
    return ({k: _stacked_leaf([p[k] for p in params], k) for k in params[0]},
            {k: _stacked_leaf([b[k] for b in buffers], k) for k in buffers[0]})


def _stacked_leaf(tensors: list, name: str) -> Tensor:
    wants = {t.requires_grad for t in tensors}
    if len(wants) != 1:
        raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
    stacked = stack([t.detach() for t in tensors])
    return stacked.requires_grad_() if wants.pop() else stacked
