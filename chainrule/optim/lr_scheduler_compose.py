"""Schedules made of schedules: ``SequentialLR`` (one after another) and ``ChainedScheduler``
(all at once), as PyTorch's."""

from __future__ import annotations

import copy
from bisect import bisect_right
from collections.abc import Mapping
from typing import Any, Sequence

from .optimizer import Optimizer
from .plateau import ReduceLROnPlateau
from .scheduler_base import LRScheduler
from .state_checks import checked_scheduler_state

__all__ = ["ChainedScheduler", "SequentialLR"]


def _check_schedulers(kind: str, optimizer: Any, schedulers: Sequence[Any]) -> None:
    for i, scheduler in enumerate(schedulers):
        if not hasattr(scheduler, "optimizer"):
            raise TypeError(f"{kind} at index {i} should have `optimizer` as its attribute.")
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(f"{kind} does not support `ReduceLROnPlateau` scheduler as it "
                             "requires additional kwargs to be specified when calling `step`, "
                             f"but got one at index {i} in the given schedulers sequence.")
        if optimizer is not scheduler.optimizer:
            raise ValueError(f"{kind} expects all schedulers to belong to the same optimizer, "
                             f"but got scheduler {type(scheduler).__name__} at index {i} has "
                             f"{scheduler.optimizer}, which is different from "
                             f"{type(optimizer).__name__}.")


class _Composite(LRScheduler):
    """State handling of a schedule of schedules: its own fields, and ``_schedulers`` with
    the state of each."""

    _schedulers: list[LRScheduler]

    def state_dict(self) -> dict[str, Any]:
        state = {key: copy.deepcopy(value) for key, value in self.__dict__.items()
                 if key not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [scheduler.state_dict() for scheduler in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state saved by ``state_dict``, each inner schedule's too: all of them or,
        if any part does not fit (a ValueError names it), none."""
        kind = type(self).__name__
        if not isinstance(state_dict, Mapping) or "_schedulers" not in state_dict:
            raise ValueError(f"a {kind} state must be a dict with '_schedulers'")
        own, saved = self.state_dict(), dict(state_dict)
        own.pop("_schedulers")
        inner = saved.pop("_schedulers")
        if not isinstance(inner, (list, tuple)) or len(inner) != len(self._schedulers):
            raise ValueError(f"{kind} state _schedulers must be a list of "
                             f"{len(self._schedulers)} states")
        state = checked_scheduler_state(own, saved, kind, self._choices)
        before = [scheduler.state_dict() for scheduler in self._schedulers]
        for i, (scheduler, scheduler_state) in enumerate(zip(self._schedulers, inner)):
            try:
                scheduler.load_state_dict(scheduler_state)
            except Exception:
                for done, old in zip(self._schedulers[:i], before):
                    done.load_state_dict(old)
                raise
        self.__dict__.update(copy.deepcopy(state))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._schedulers!r})"


class SequentialLR(_Composite):
    """Run schedules one after another: ``schedulers[i]`` from epoch ``milestones[i − 1]``
    (the first from epoch 0).

    With m the milestones, epoch e runs scheduler k = #{i : m_i ≤ e}: at e = m_{k−1} it jumps
    to its own epoch 0 (its closed form, ``step(0)``), after that it steps as usual. On
    creation the rates go back to ``initial_lr``, every schedule's ``last_epoch`` goes back
    one (undoing its first step), and the one for epoch 0 takes its first step again.

    Args:
        optimizer: the optimizer all the schedules set.
        schedulers: the schedules, in order (no ReduceLROnPlateau).
        milestones: the epochs at which the next schedule takes over, one fewer than
            ``schedulers``.
        last_epoch: index of the last epoch (-1 starts the schedule).

    Example:
        >>> import chainrule
        >>> from chainrule.optim import SGD
        >>> from chainrule.optim.lr_scheduler import ConstantLR, ExponentialLR, SequentialLR
        >>> opt = SGD([chainrule.zeros(2, requires_grad=True)], lr=1.0)
        >>> warmup = ConstantLR(opt, factor=0.5, total_iters=2)
        >>> decay = ExponentialLR(opt, gamma=0.5)
        >>> sched = SequentialLR(opt, [warmup, decay], milestones=[2])
        >>> lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(4):
        ...     sched.step()
        ...     lrs.append(sched.get_last_lr()[0])
        >>> lrs
        [0.5, 0.5, 1.0, 0.5, 0.25]
    """

    def __init__(self, optimizer: Optimizer, schedulers: Sequence[LRScheduler],
                 milestones: Sequence[int], last_epoch: int = -1) -> None:
        kind = type(self).__name__
        if len(schedulers) < 1:
            raise ValueError(f"{kind} expects at least one scheduler, but got no scheduler.")
        _check_schedulers(kind, optimizer, schedulers)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError("Sequential Schedulers expects number of schedulers provided to be "
                             "one more than the number of milestone points, but got number of "
                             f"schedulers {len(schedulers)} and the number of milestones to be "
                             f"equal to {len(milestones)}")
        self._schedulers = list(schedulers)
        self._milestones = list(milestones)
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        _undo_first_steps(self)
        first = self._schedulers[bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def step(self) -> None:  # type: ignore[override]
        """Advance one epoch, on the schedule whose turn it is."""
        self.last_epoch += 1
        i = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[i]
        if i > 0 and self._milestones[i - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()


def _undo_first_steps(scheduler: Any) -> None:
    """Take every (inner, for composites) schedule's ``last_epoch`` back by one."""
    if hasattr(scheduler, "_schedulers"):
        for inner in scheduler._schedulers:
            _undo_first_steps(inner)
    elif hasattr(scheduler, "last_epoch"):
        scheduler.last_epoch -= 1


class ChainedScheduler(_Composite):
    """Step several chainable schedules together: each ``step()`` steps every one in order,
    so their effects compose (e.g. lr(epoch) = base_lr · γ^epoch · factor(epoch) for an
    ExponentialLR and a ConstantLR).

    Args:
        schedulers: the schedules (no ReduceLROnPlateau), all on one optimizer.
        optimizer: that optimizer (default: the first schedule's).

    Example:
        >>> import chainrule
        >>> from chainrule.optim import SGD
        >>> from chainrule.optim.lr_scheduler import ChainedScheduler, ConstantLR, ExponentialLR
        >>> opt = SGD([chainrule.zeros(2, requires_grad=True)], lr=1.0)
        >>> sched = ChainedScheduler([ConstantLR(opt, factor=0.5, total_iters=2),
        ...                           ExponentialLR(opt, gamma=0.5)])
        >>> lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(3):
        ...     sched.step()
        ...     lrs.append(sched.get_last_lr()[0])
        >>> lrs
        [0.5, 0.25, 0.25, 0.125]
    """

    def __init__(self, schedulers: Sequence[LRScheduler],
                 optimizer: Optimizer | None = None) -> None:
        kind = type(self).__name__
        if len(schedulers) < 1:
            raise ValueError(f"{kind} expects at least one scheduler to be chained, but got no "
                             "scheduler.")
        optimizer = optimizer or schedulers[0].optimizer
        _check_schedulers(kind, optimizer, schedulers)
        self._schedulers = list(schedulers)
        self.optimizer = optimizer
        self._last_lr = [group["lr"] for group in self._schedulers[-1].optimizer.param_groups]

    def step(self) -> None:  # type: ignore[override]
        """Step every schedule, in order."""
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = [group["lr"] for group in self._schedulers[-1].optimizer.param_groups]
