"""``LRScheduler``, the base class of the learning-rate schedules in ``lr_scheduler``.

A schedule's ``get_lr()`` returns the learning rate of each parameter group for the epoch
``last_epoch`` (just incremented by ``step``). Like PyTorch's, most schedules are *chainable*:
they compute the new rate from the group's current ``lr`` (multiply by γ at a milestone, the
recursive form of cosine annealing ...), so two schedulers on one optimizer compose, and a rate
changed by hand carries on from where it was set.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

from .optimizer import Optimizer
from .state_checks import checked_scheduler_state

EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` is deprecated, as in PyTorch: call "
    "`scheduler.step()` without it. Given an epoch, the schedule jumps there using its closed "
    "form where it has one.")


class LRScheduler:
    """Base class of learning-rate schedulers: ``step()`` once per epoch (or batch), after
    ``optimizer.step()``.

    On creation with ``last_epoch=-1`` it records each group's ``lr`` as ``initial_lr`` (unless
    already there), stores them as ``base_lrs``, and takes the initial step to epoch 0.

    Args:
        optimizer: the optimizer whose groups' ``lr`` this schedule sets.
        last_epoch: index of the last epoch seen; -1 starts the schedule. Any other value
            resumes one, and needs ``initial_lr`` in every group.

    Attributes:
        last_epoch: the epoch index of the current learning rates.
        base_lrs: the groups' ``initial_lr``.
    """

    _is_initial = False
    _choices: dict[str, tuple] = {}  # the values a string field may take

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}] when "
                               f"resuming a scheduler with last_epoch={last_epoch}; load the "
                               "optimizer's state first, or start with last_epoch=-1")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        """Take the first step, to ``last_epoch + 1``, with ``_step_count`` restarted."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The learning rate of each group at epoch ``last_epoch``; implemented by each
        schedule."""
        raise NotImplementedError

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch: ``last_epoch += 1`` and set every group's ``lr``.

        ``step(epoch)`` (deprecated, as in PyTorch, and warned about) jumps to ``epoch``
        instead, with the schedule's closed form where it has one (else ``get_lr``).
        """
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch: int | None = None) -> None:
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            closed_form = getattr(self, "_get_closed_form_lr", None)
            values = closed_form() if closed_form is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rates set by the last ``step`` (one per group)."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Everything the schedule holds except the optimizer (copied)."""
        return {key: copy.deepcopy(value) for key, value in self.__dict__.items()
                if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state saved by ``state_dict``: exactly the fields this schedule has, each
        of the kind it holds (a ValueError names any other, and nothing is changed)."""
        state = checked_scheduler_state(self.state_dict(), state_dict, type(self).__name__,
                                        self._choices)
        self.__dict__.update(copy.deepcopy(state))

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self._last_lr})"
