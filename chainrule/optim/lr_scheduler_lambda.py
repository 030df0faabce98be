"""Schedules that hold functions: ``LambdaLR`` and ``MultiplicativeLR`` (and the mixin that
CyclicLR's custom ``scale_fn`` uses too).

As in PyTorch, a state dict never holds a function: a plain function or lambda is saved as
``None`` (it comes from the code that builds the scheduler, not from the file), and a callable
object as a copy of its ``__dict__``, which ``load_state_dict`` puts back into the object. The
state stays plain data, so a checkpoint of it is JSON.
"""

from __future__ import annotations

import copy
import types
from collections.abc import Mapping
from typing import Any, Callable, Sequence

from .optimizer import Optimizer
from .scheduler_base import LRScheduler
from .state_checks import checked_function_states, checked_scheduler_state

__all__ = ["LambdaLR", "MultiplicativeLR"]


def function_state(fn: Any) -> dict[str, Any] | None:
    """What a state dict holds for ``fn``: None for a function, lambda or None, else (a
    callable object) a copy of its ``__dict__``."""
    if fn is None or isinstance(fn, types.FunctionType) or not hasattr(fn, "__dict__"):
        return None
    return copy.deepcopy(dict(vars(fn)))


class HoldsFunctions(LRScheduler):
    """A schedule some of whose fields (``_function_fields``) hold a function or a list of
    functions: saved and loaded as ``function_state`` says."""

    _function_fields: tuple[str, ...] = ()

    def state_dict(self) -> dict[str, Any]:
        state = {key: copy.deepcopy(value) for key, value in self.__dict__.items()
                 if key != "optimizer" and key not in self._function_fields}
        for name in self._function_fields:
            value = getattr(self, name)
            state[name] = [function_state(fn) for fn in value] if isinstance(value, list) \
                else function_state(value)
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        kind = type(self).__name__
        if not isinstance(state_dict, Mapping):
            raise ValueError(f"a {kind} state must be a dict, got a "
                             f"{type(state_dict).__name__}")
        own, saved = self.state_dict(), dict(state_dict)
        missing = [name for name in self._function_fields if name not in saved]
        if missing:
            raise ValueError(f"{kind} state has unknown fields [] or lacks {missing}")
        own_functions = {name: own.pop(name) for name in self._function_fields}
        saved_functions = {name: saved.pop(name) for name in self._function_fields}
        state = checked_scheduler_state(own, saved, kind, self._choices)
        function_states = {name: checked_function_states(own_functions[name],
                                                         saved_functions[name],
                                                         f"{kind} state {name}")
                           for name in self._function_fields}
        self.__dict__.update(copy.deepcopy(state))
        for name, states in function_states.items():
            value = getattr(self, name)
            pairs = zip(value, states) if isinstance(value, list) else [(value, states)]
            for fn, fn_state in pairs:
                if fn_state is not None:
                    fn.__dict__.update(copy.deepcopy(fn_state))


def _lambdas(optimizer: Optimizer, lr_lambda: Any) -> list[Callable[[int], float]]:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
    if not isinstance(lr_lambda, (list, tuple)):
        lambdas = [lr_lambda] * len(optimizer.param_groups)
    elif len(lr_lambda) != len(optimizer.param_groups):
        raise ValueError(f"Expected {len(optimizer.param_groups)} lr_lambdas, but got "
                         f"{len(lr_lambda)}")
    else:
        lambdas = list(lr_lambda)
    for fn in lambdas:
        if not callable(fn):
            raise TypeError(f"lr_lambda should be a function, but got {type(fn).__name__}")
    return lambdas


class LambdaLR(HoldsFunctions):
    """Set each group's learning rate to its initial one times a function of the epoch:

        lr(epoch) = base_lr · λ(epoch).

    Not chainable: it sets the rate from ``base_lrs``, not from the current rate.

    Args:
        optimizer: the optimizer whose learning rates are set.
        lr_lambda: the function λ of the epoch index, or a list with one per group.
        last_epoch: index of the last epoch (-1 starts the schedule).

    ``state_dict`` holds ``lr_lambdas``: ``None`` for a function or lambda, the ``__dict__``
    of a callable object.

    Example:
        >>> import chainrule
        >>> from chainrule.optim import SGD
        >>> from chainrule.optim.lr_scheduler import LambdaLR
        >>> opt = SGD([chainrule.zeros(2, requires_grad=True)], lr=1.0)
        >>> sched = LambdaLR(opt, lambda epoch: 0.5 ** epoch)
        >>> sched.step(); sched.step(); sched.get_last_lr()
        [0.25]
    """

    _function_fields = ("lr_lambdas",)

    def __init__(self, optimizer: Optimizer,
                 lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
                 last_epoch: int = -1) -> None:
        self.lr_lambdas = _lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs)]


class MultiplicativeLR(HoldsFunctions):
    """Multiply each group's learning rate by a function of the epoch, every epoch but the
    first:

        lr(epoch) = lr(epoch − 1) · λ(epoch) for epoch > 0;  alone,
        lr(epoch) = base_lr · λ(1) · λ(2) ⋯ λ(epoch).

    Args:
        optimizer: the optimizer whose learning rates are set.
        lr_lambda: the function λ of the epoch index, or a list with one per group.
        last_epoch: index of the last epoch (-1 starts the schedule).

    ``state_dict`` holds ``lr_lambdas`` as LambdaLR's does.
    """

    _function_fields = ("lr_lambdas",)

    def __init__(self, optimizer: Optimizer,
                 lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
                 last_epoch: int = -1) -> None:
        self.lr_lambdas = _lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._current_lrs()
        return [lr * fn(self.last_epoch) for fn, lr in zip(self.lr_lambdas, self._current_lrs())]
