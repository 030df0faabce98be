"""ReduceLROnPlateau: cut the learning rate when a monitored metric stops improving."""

from __future__ import annotations

import copy
import math
import warnings
from typing import Any, SupportsFloat

from .optimizer import Optimizer
from .scheduler_base import EPOCH_DEPRECATION_WARNING, LRScheduler
from .state_checks import checked_scheduler_state


class ReduceLROnPlateau(LRScheduler):
    """Multiply the learning rate by ``factor`` once a metric has not improved for more than
    ``patience`` epochs, as ``torch.optim.lr_scheduler.ReduceLROnPlateau``.

    Each ``step(metric)`` compares the metric with the best so far. It improves on it when
    (mode 'min') metric < best · (1 − threshold) ('rel') or metric < best − threshold ('abs'),
    and symmetrically for 'max'. After more than ``patience`` epochs in a row without
    improvement, every group's rate becomes max(lr · factor, min_lr) (skipped if that changes
    it by eps or less), the count restarts, and the next ``cooldown`` epochs are not counted.

    Args:
        optimizer: the optimizer whose learning rates are set.
        mode: 'min' (lower metric is better) or 'max'.
        factor: factor by which the rate is cut, < 1.
        patience: number of epochs without improvement tolerated before a cut.
        threshold: how much better a metric must be to count as an improvement.
        threshold_mode: 'rel' (relative to the best) or 'abs'.
        cooldown: epochs to wait after a cut before counting bad epochs again.
        min_lr: lower bound of the rate, one for all groups or a list with one per group.
        eps: smallest change of the rate that is applied.

    Example:
        >>> import chainrule
        >>> from chainrule.optim import SGD
        >>> from chainrule.optim.lr_scheduler import ReduceLROnPlateau
        >>> opt = SGD([chainrule.zeros(2, requires_grad=True)], lr=1.0)
        >>> sched = ReduceLROnPlateau(opt, patience=1)
        >>> for loss in [3.0, 2.0, 2.0, 2.0, 2.0]:
        ...     sched.step(loss)
        >>> sched.get_last_lr()
        [0.1]
    """

    _choices = {"mode": ("min", "max"), "threshold_mode": ("rel", "abs")}

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float | list[float] = 0,
                 eps: float = 1e-8) -> None:
        if factor >= 1.0:
            raise ValueError(f"Factor should be < 1.0, got {factor}")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.factor = factor
        self.optimizer = optimizer
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(optimizer.param_groups):
                raise ValueError(f"expected {len(optimizer.param_groups)} min_lrs, got "
                                 f"{len(min_lr)}")
            self.default_min_lr = None
            self.min_lrs = list(min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * len(optimizer.param_groups)
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = self._current_lrs()
        self._init_is_better(mode, threshold, threshold_mode)
        self._reset()

    def _reset(self) -> None:
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def step(self, metrics: SupportsFloat, epoch: int | None = None) -> None:  # type: ignore[override]
        """Record one epoch's metric and cut the learning rate if it has stalled.

        ``epoch`` (deprecated, as in PyTorch, and warned about) sets ``last_epoch`` to it
        instead of counting one more; the metric is judged the same way."""
        current = float(metrics)
        if epoch is None:
            self.last_epoch += 1
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
            self.last_epoch = epoch
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during the cooldown are not counted
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current_lrs()

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(f"the optimizer has {len(groups)} parameter groups but "
                                   f"min_lr has {len(self.min_lrs)} values (a group was "
                                   "added); set the scheduler's min_lrs to match")
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    def _is_better(self, a: float, best: float) -> bool:
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def _init_is_better(self, mode: str, threshold: float, threshold_mode: str) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"mode {mode!r} is unknown! (expected 'min' or 'max')")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold mode {threshold_mode!r} is unknown! (expected 'rel' "
                             "or 'abs')")
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state saved by ``state_dict`` (checked as ``LRScheduler``'s, and
        ``factor`` < 1)."""
        state = checked_scheduler_state(self.state_dict(), state_dict, type(self).__name__,
                                        self._choices)
        if not state["factor"] < 1.0:
            raise ValueError(f"ReduceLROnPlateau state factor should be < 1.0, got "
                             f"{state['factor']}")
        self.__dict__.update(copy.deepcopy(state))
        self._init_is_better(self.mode, self.threshold, self.threshold_mode)
