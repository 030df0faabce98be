"""Cyclic schedules: ``CyclicLR`` and ``CosineAnnealingWarmRestarts``, as PyTorch's."""

from __future__ import annotations

import math
from typing import Any, Callable

from .lr_scheduler_lambda import HoldsFunctions
from .optimizer import Optimizer
from .scheduler_base import LRScheduler

__all__ = ["CosineAnnealingWarmRestarts", "CyclicLR"]


def _per_group(name: str, optimizer: Optimizer, value: Any) -> list[Any]:
    groups = optimizer.param_groups
    if isinstance(value, (list, tuple)):
        if len(value) != len(groups):
            raise ValueError(f"{name} must have the same length as optimizer.param_groups. "
                             f"{name} has {len(value)} values, param_groups has {len(groups)}.")
        return list(value)
    return [value] * len(groups)


class CyclicLR(HoldsFunctions):
    """Cycle the learning rate between ``base_lr`` and ``max_lr`` (cyclical learning rates),
    and the momentum the other way. Step it after every batch.

    With S = step_size_up + step_size_down, r = step_size_up / S and t = last_epoch:
        cycle = ⌊1 + t / S⌋,   x = 1 + t / S − cycle,
        s = x / r if x ≤ r else (x − 1) / (r − 1)          (0 → 1 → 0 over a cycle),
        lr = base_lr + (max_lr − base_lr) · s · scale_fn(cycle or t),
        momentum = max_momentum − (max_momentum − base_momentum) · s · scale_fn(cycle or t),
    where scale_fn gets ``cycle`` if scale_mode is 'cycle' and t if 'iterations'. The modes:
    'triangular': scale_fn = 1 ('cycle');  'triangular2': 1 / 2^(cycle − 1) ('cycle');
    'exp_range': γ^t ('iterations'). A custom ``scale_fn`` overrides ``mode`` and uses
    ``scale_mode``. Not chainable: the rate comes from the closed form.

    Args:
        optimizer: the optimizer whose learning rates are set.
        base_lr: lower bound of the rate, one for all groups or a list (set as the initial rate).
        max_lr: upper bound of the rate, one or a list per group.
        step_size_up: steps in the rising half of a cycle.
        step_size_down: steps in the falling half (None: ``step_size_up``).
        mode: 'triangular', 'triangular2' or 'exp_range' (ignored given ``scale_fn``).
        gamma: the γ of 'exp_range'.
        scale_fn: a custom function of one argument with 0 ≤ scale_fn(x) ≤ 1.
        scale_mode: 'cycle' or 'iterations', what the custom ``scale_fn`` is called with.
        cycle_momentum: cycle the momentum (or β₁ of ``betas``) inversely to the rate.
        base_momentum: the momentum at the peak rate, one or a list per group.
        max_momentum: the momentum at the lowest rate, one or a list per group.
        last_epoch: index of the last batch (-1 starts the schedule).

    Raises:
        ValueError: an unknown ``mode`` without ``scale_fn``; ``cycle_momentum`` with an
            optimizer that has neither ``momentum`` nor ``betas``; a list of the wrong length.

    Reference: Smith, "Cyclical Learning Rates for Training Neural Networks",
    https://arxiv.org/abs/1506.01186
    """

    _function_fields = ("_scale_fn_custom",)

    def __init__(self, optimizer: Optimizer, base_lr: float | list[float],
                 max_lr: float | list[float], step_size_up: int = 2000,
                 step_size_down: int | None = None, mode: str = "triangular",
                 gamma: float = 1.0, scale_fn: Callable[[float], float] | None = None,
                 scale_mode: str = "cycle", cycle_momentum: bool = True,
                 base_momentum: float | list[float] = 0.8,
                 max_momentum: float | list[float] = 0.9, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        base_lrs = _per_group("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr
        self.max_lrs = _per_group("max_lr", optimizer, max_lr)
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError("mode is invalid and scale_fn is None")
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_mode()
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError("optimizer must support momentum or beta1 with "
                                 "`cycle_momentum` option enabled")
            self.use_beta1 = "betas" in optimizer.defaults
            self.base_momentums = _per_group("base_momentum", optimizer, base_momentum)
            self.max_momentums = _per_group("max_momentum", optimizer, max_momentum)
            if last_epoch == -1:
                for high, low, group in zip(self.max_momentums, self.base_momentums,
                                            optimizer.param_groups):
                    self._set_momentum(group, high)
                    group["max_momentum"], group["base_momentum"] = high, low
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_scale_mode(self) -> None:
        if self._scale_fn_custom is None:
            self.scale_mode = "iterations" if self.mode == "exp_range" else "cycle"

    def scale_fn(self, x: float) -> float:
        """The scaling policy: the custom ``scale_fn``, else the one of ``mode``."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma ** x

    def _set_momentum(self, group: dict[str, Any], momentum: float) -> None:
        if self.use_beta1:
            group["betas"] = (momentum, *group["betas"][1:])
        else:
            group["momentum"] = momentum

    def get_lr(self) -> list[float]:
        t = self.last_epoch
        cycle = math.floor(1 + t / self.total_size)
        x = 1.0 + t / self.total_size - cycle
        rise = x / self.step_ratio if x <= self.step_ratio else (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else t)
        lrs = [base + (peak - base) * rise * scale
               for base, peak in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for group, low, high in zip(self.optimizer.param_groups, self.base_momentums,
                                        self.max_momentums):
                self._set_momentum(group, high - (high - low) * rise * scale)
        return lrs

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        self._init_scale_mode()


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing with warm restarts (SGDR): anneal from the initial rate to ``eta_min``
    over T_i epochs, then restart, with T_0 epochs before the first restart and each period
    ``T_mult`` times the one before:

        ηₜ = η_min + (base_lr − η_min) (1 + cos(π T_cur / T_i)) / 2,

    T_cur the epochs since the last restart. ``step()`` adds 1 to T_cur (restarting when it
    reaches T_i); ``step(epoch)`` jumps to ``epoch``, which may be fractional (step it after
    each batch with ``epoch + i / batches``): T_cur = epoch mod T_0 for T_mult = 1, else with
    n = ⌊log_{T_mult}(epoch (T_mult − 1) / T_0 + 1)⌋ restarts so far,
    T_cur = epoch − T_0 (T_mult^n − 1) / (T_mult − 1) and T_i = T_0 T_mult^n.
    ``last_epoch`` becomes ⌊epoch⌋.

    Args:
        optimizer: the optimizer whose learning rates are set.
        T_0: epochs before the first restart, a positive integer.
        T_mult: factor of the period after each restart, an integer ≥ 1.
        eta_min: minimum learning rate η_min.
        last_epoch: index of the last epoch (-1 starts the schedule).

    Reference: Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts",
    https://arxiv.org/abs/1608.03983
    """

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: int = 1,  # noqa: N803
                 eta_min: float = 0.0, last_epoch: int = -1) -> None:
        if not isinstance(T_0, int) or isinstance(T_0, bool) or T_0 <= 0:
            raise ValueError(f"Expected positive integer T_0, but got {T_0}")
        if not isinstance(T_mult, int) or isinstance(T_mult, bool) or T_mult < 1:
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        if not isinstance(eta_min, (float, int)):
            raise ValueError(f"Expected float or int eta_min, but got {eta_min} of type "
                             f"{type(eta_min)}")
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        cosine = 1 + math.cos(math.pi * self.T_cur / self.T_i)
        return [self.eta_min + (base - self.eta_min) * cosine / 2 for base in self.base_lrs]

    def step(self, epoch: float | None = None) -> None:  # type: ignore[override]
        """Advance one epoch, or go to ``epoch`` (fractional allowed, not negative)."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        elif epoch < 0:
            raise ValueError(f"Expected non-negative epoch, but got {epoch}")
        elif epoch < self.T_0:
            self.T_i, self.T_cur = self.T_0, epoch
        elif self.T_mult == 1:
            self.T_cur = epoch % self.T_0
        else:
            n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
            self.T_cur = epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)
            self.T_i = self.T_0 * self.T_mult ** n
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = self._current_lrs()
