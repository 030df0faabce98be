"""Learning-rate schedules, as ``torch.optim.lr_scheduler``: each gives PyTorch's sequence.

Where PyTorch computes a rate recursively from the group's current ``lr`` (StepLR,
MultiStepLR, ExponentialLR, LinearLR, CosineAnnealingLR, ConstantLR, PolynomialLR,
MultiplicativeLR), so does chainrule: the sequences are then the same to the last bit, and the
schedules chain as PyTorch's do. OneCycleLR, CyclicLR, LambdaLR and CosineAnnealingWarmRestarts
use their closed forms, as PyTorch does. SequentialLR runs schedules one after another,
ChainedScheduler all at once. ReduceLROnPlateau follows a metric: ``step(metric)``. The
deprecated ``step(epoch)`` jumps to an epoch with the closed form where there is one.

LambdaLR, MultiplicativeLR (``lr_scheduler_lambda``), CyclicLR, CosineAnnealingWarmRestarts
(``lr_scheduler_cyclic``), SequentialLR and ChainedScheduler (``lr_scheduler_compose``) live in
modules of their own and are exported from here.

Example:
    >>> import chainrule
    >>> from chainrule.optim import SGD
    >>> from chainrule.optim.lr_scheduler import StepLR
    >>> opt = SGD([chainrule.zeros(2, requires_grad=True)], lr=0.1)
    >>> sched = StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(sched.get_last_lr()[0])
    ...     opt.step()
    ...     sched.step()
    >>> lrs
    [0.1, 0.1, 0.05, 0.05, 0.025]
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from typing import Any, Iterable

from .lr_scheduler_compose import ChainedScheduler, SequentialLR
from .lr_scheduler_cyclic import CosineAnnealingWarmRestarts, CyclicLR
from .lr_scheduler_lambda import LambdaLR, MultiplicativeLR
from .optimizer import Optimizer
from .plateau import ReduceLROnPlateau
from .scheduler_base import LRScheduler

__all__ = [
    "CosineAnnealingLR", "ExponentialLR", "LRScheduler", "LinearLR", "MultiStepLR", "OneCycleLR",
    "ReduceLROnPlateau", "StepLR",
    "ChainedScheduler", "ConstantLR", "CosineAnnealingWarmRestarts", "CyclicLR", "LambdaLR",
    "MultiplicativeLR", "PolynomialLR", "SequentialLR",
]


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    lr(epoch) = lr(epoch − 1) · γ  if epoch > 0 and epoch % step_size == 0, else unchanged;
    alone, lr(epoch) = base_lr · γ^⌊epoch / step_size⌋.

    Args:
        optimizer: the optimizer whose learning rates are set.
        step_size: period of the decay, in epochs.
        gamma: multiplicative factor γ.
        last_epoch: index of the last epoch (-1 starts the schedule).
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        return [base * self.gamma ** (self.last_epoch // self.step_size)
                for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` at each milestone epoch.

    lr(epoch) = lr(epoch − 1) · γ^k, where k is how many times ``epoch`` is in ``milestones``;
    alone, lr(epoch) = base_lr · γ^(number of milestones ≤ epoch).

    Args:
        optimizer: the optimizer whose learning rates are set.
        milestones: epoch indices (increasing).
        gamma: multiplicative factor γ.
        last_epoch: index of the last epoch (-1 starts the schedule).
    """

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [lr * factor for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        passed = bisect_right(sorted(self.milestones.elements()), self.last_epoch)
        return [base * self.gamma ** passed for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch: lr(epoch) = lr(epoch − 1) · γ.

    Args:
        optimizer: the optimizer whose learning rates are set.
        gamma: multiplicative factor γ.
        last_epoch: index of the last epoch (-1 starts the schedule).
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def _get_closed_form_lr(self) -> list[float]:
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class CosineAnnealingLR(LRScheduler):
    """Anneal the learning rate along a cosine from its initial value to ``eta_min``.

    The closed form (SGDR without restarts, T = T_max, t = epoch) is
        ηₜ = η_min + (η_max − η_min) (1 + cos(π t / T)) / 2,
    but, as PyTorch does, the rate is computed recursively from the current one:
        ηₜ = η_min + (ηₜ₋₁ − η_min) (1 + cos(π t / T)) / (1 + cos(π (t − 1) / T)),
    and where the denominator vanishes (t − 1 − T a multiple of 2T) by
        ηₜ = ηₜ₋₁ + (η_max − η_min) (1 − cos(π / T)) / 2.
    The two forms differ in the last bits, and when the rate is changed from outside. Past
    T_max the rate climbs back along the cosine (no restart).

    Args:
        optimizer: the optimizer whose learning rates are set.
        T_max: half-period of the cosine, in epochs.
        eta_min: minimum learning rate η_min.
        last_epoch: index of the last epoch (-1 starts the schedule).

    Reference: Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts",
    https://arxiv.org/abs/1608.03983
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,  # noqa: N803
                 last_epoch: int = -1) -> None:
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, period, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if self._step_count == 1 and t > 0:  # resumed with last_epoch > 0: the closed form
            return [eta_min + (base - eta_min) * (1 + math.cos(t * math.pi / period)) / 2
                    for base in self.base_lrs]
        if (t - 1 - period) % (2 * period) == 0:
            return [lr + (base - eta_min) * (1 - math.cos(math.pi / period)) / 2
                    for base, lr in zip(self.base_lrs, self._current_lrs())]
        ratio = (1 + math.cos(math.pi * t / period)) / (1 + math.cos(math.pi * (t - 1) / period))
        return [ratio * (lr - eta_min) + eta_min for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        eta_min, angle = self.eta_min, math.pi * self.last_epoch / self.T_max
        return [eta_min + (base - eta_min) * (1 + math.cos(angle)) / 2 for base in self.base_lrs]


class LinearLR(LRScheduler):
    """Scale the learning rate by a factor going linearly from ``start_factor`` to
    ``end_factor`` over ``total_iters`` epochs, then keep it.

    Closed form: lr(epoch) = base_lr · (s + (e − s) · min(epoch, total_iters) / total_iters)
    (s, e the start and end factors); computed, as PyTorch does, recursively:
        lr(0) = lr · s,   lr(epoch) = lr(epoch − 1) · (1 + (e − s) / (n s + (epoch − 1)(e − s)))
    for 0 < epoch ≤ n = total_iters.

    Args:
        optimizer: the optimizer whose learning rates are set.
        start_factor: factor s at epoch 0, in (0, 1].
        end_factor: factor e from epoch ``total_iters`` on, in [0, 1].
        total_iters: number of epochs the factor takes to reach e.
        last_epoch: index of the last epoch (-1 starts the schedule).
    """

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5, last_epoch: int = -1) -> None:
        if not 0 < start_factor <= 1:
            raise ValueError(f"start_factor must be in (0, 1], got {start_factor}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"end_factor must be in [0, 1], got {end_factor}")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        start, end, t = self.start_factor, self.end_factor, self.last_epoch
        if t == 0:
            return [lr * start for lr in self._current_lrs()]
        if self._is_initial or t > self.total_iters:
            return self._current_lrs()
        factor = 1.0 + (end - start) / (self.total_iters * start + (t - 1) * (end - start))
        return [lr * factor for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        start, end = self.start_factor, self.end_factor
        done = min(self.total_iters, self.last_epoch) / self.total_iters
        return [base * (start + (end - start) * done) for base in self.base_lrs]


class ConstantLR(LRScheduler):
    """Multiply the learning rate by ``factor`` until epoch ``total_iters``, then restore it.

    lr(0) = lr · factor,  lr(total_iters) = lr(total_iters − 1) / factor, else unchanged;
    alone, lr(epoch) = base_lr · factor for epoch < total_iters and base_lr from then on.

    Args:
        optimizer: the optimizer whose learning rates are set.
        factor: the factor, in [0, 1].
        total_iters: number of epochs the factor applies for.
        last_epoch: index of the last epoch (-1 starts the schedule).
    """

    def __init__(self, optimizer: Optimizer, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = -1) -> None:
        if factor > 1.0 or factor < 0:
            raise ValueError("Constant multiplicative factor expected to be between 0 and 1.")
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0:
            return [lr * self.factor for lr in self._current_lrs()]
        if self.last_epoch != self.total_iters:
            return self._current_lrs()
        return [lr * (1.0 / self.factor) for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        factor = self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor)
        return [base * factor for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    """Decay the learning rate polynomially to 0 over ``total_iters`` epochs, then keep it.

    Closed form: lr(epoch) = base_lr · (1 − min(epoch, total_iters) / total_iters)^power;
    computed, as PyTorch does, recursively for 0 < epoch ≤ n = total_iters:
        lr(epoch) = lr(epoch − 1) · ((1 − epoch / n) / (1 − (epoch − 1) / n))^power.

    Args:
        optimizer: the optimizer whose learning rates are set.
        total_iters: number of epochs the decay takes.
        power: the power of the polynomial.
        last_epoch: index of the last epoch (-1 starts the schedule).
    """

    def __init__(self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0,
                 last_epoch: int = -1) -> None:
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, n = self.last_epoch, self.total_iters
        if self._is_initial or t > n:
            return self._current_lrs()
        decay = ((1.0 - t / n) / (1.0 - (t - 1) / n)) ** self.power
        return [lr * decay for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        left = 1.0 - min(self.total_iters, self.last_epoch) / self.total_iters
        return [base * left ** self.power for base in self.base_lrs]


class OneCycleLR(LRScheduler):
    """The 1cycle policy: the learning rate rises from ``max_lr / div_factor`` to ``max_lr``,
    then falls to ``initial_lr / final_div_factor``; momentum cycles the other way.

    Step it after every batch. Phases (n = total_steps, p = pct_start), each annealed by
    ``anneal(start, end, pct)`` with pct going 0 → 1 over the phase:
        two phases:   initial_lr → max_lr over steps [0, p n − 1],
                      max_lr → min_lr up to step n − 1;
        three_phase:  initial_lr → max_lr → initial_lr (up to step 2 p n − 2) → min_lr.
    'cos': end + (start − end)(1 + cos(π pct)) / 2;  'linear': start + (end − start) pct.
    With ``cycle_momentum`` the group's momentum (or β₁ of Adam's ``betas``) goes from
    ``max_momentum`` to ``base_momentum`` and back, inversely to the rate. This schedule is not
    chainable: it sets the rate from the closed form.

    Args:
        optimizer: the optimizer whose learning rates are set.
        max_lr: peak learning rate, one for all groups or a list with one per group.
        total_steps: number of steps in the cycle; else ``epochs * steps_per_epoch``.
        epochs: number of epochs (with ``steps_per_epoch``).
        steps_per_epoch: number of steps per epoch (with ``epochs``).
        pct_start: fraction of the cycle spent raising the rate.
        anneal_strategy: 'cos' or 'linear'.
        cycle_momentum: cycle the momentum (the optimizer needs ``momentum`` or ``betas``).
        base_momentum: momentum at the peak rate (float or list per group).
        max_momentum: momentum at the start and end of the cycle (float or list per group).
        div_factor: initial_lr = max_lr / div_factor.
        final_div_factor: min_lr = initial_lr / final_div_factor.
        three_phase: use three phases (Smith's paper) instead of fastai's two.
        last_epoch: index of the last batch (-1 starts the schedule).

    Reference: Smith & Topin, "Super-Convergence", https://arxiv.org/abs/1708.07120
    """

    _choices = {"anneal_strategy": ("cos", "linear")}

    def __init__(self, optimizer: Optimizer, max_lr: float | list[float],
                 total_steps: int | None = None, epochs: int | None = None,
                 steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: float | list[float] = 0.85,
                 max_momentum: float | list[float] = 0.95, div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False,
                 last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.total_steps = _total_steps(total_steps, epochs, steps_per_epoch)
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy!r}")
        self.anneal_strategy = anneal_strategy
        self._phases = _phases(self.total_steps, pct_start, three_phase)
        self.cycle_momentum = cycle_momentum
        self.use_beta1 = "betas" in optimizer.defaults
        if cycle_momentum and "momentum" not in optimizer.defaults and not self.use_beta1:
            raise ValueError("optimizer must support momentum or beta1 with `cycle_momentum` "
                             "option enabled")
        if last_epoch == -1:
            self._init_groups(optimizer, max_lr, div_factor, final_div_factor,
                              base_momentum, max_momentum)
        super().__init__(optimizer, last_epoch)

    def _init_groups(self, optimizer: Optimizer, max_lr: Any, div_factor: float,
                     final_div_factor: float, base_momentum: Any, max_momentum: Any) -> None:
        per_group = zip(optimizer.param_groups, _per_group("max_lr", optimizer, max_lr),
                        _per_group("base_momentum", optimizer, base_momentum),
                        _per_group("max_momentum", optimizer, max_momentum))
        for group, peak, low, high in per_group:
            group["initial_lr"] = peak / div_factor
            group["max_lr"] = peak
            group["min_lr"] = group["initial_lr"] / final_div_factor
            if self.cycle_momentum:
                self._set_momentum(group, high)
                group["max_momentum"], group["base_momentum"] = high, low

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def _set_momentum(self, group: dict[str, Any], momentum: float) -> None:
        if self.use_beta1:
            group["betas"] = (momentum, *group["betas"][1:])
        else:
            group["momentum"] = momentum

    def get_lr(self) -> list[float]:
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"Tried to step {step} times. The specified number of total "
                             f"steps is {self.total_steps}")
        lr_keys, momentum_keys, pct = self._phase(step)
        lrs = []
        for group in self.optimizer.param_groups:
            lrs.append(self._anneal(group[lr_keys[0]], group[lr_keys[1]], pct))
            if self.cycle_momentum:
                momentum = self._anneal(group[momentum_keys[0]], group[momentum_keys[1]], pct)
                self._set_momentum(group, momentum)
        return lrs

    def _phase(self, step: int) -> tuple[tuple[str, str], tuple[str, str], float]:
        """The phase that ``step`` is in: its lr keys, momentum keys, and how far into it."""
        start_step = 0.0
        for i, (end_step, lr_keys, momentum_keys) in enumerate(self._phases):
            if step <= end_step or i == len(self._phases) - 1:
                return lr_keys, momentum_keys, (step - start_step) / (end_step - start_step)
            start_step = end_step
        raise AssertionError("unreachable: the last phase always matches")

def _total_steps(total_steps: int | None, epochs: int | None,
                 steps_per_epoch: int | None) -> int:
    if total_steps is not None:
        if not isinstance(total_steps, int) or total_steps <= 0:
            raise ValueError(f"Expected positive integer total_steps, but got {total_steps}")
        return total_steps
    if epochs is None or steps_per_epoch is None:
        raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
    for name, value in (("epochs", epochs), ("steps_per_epoch", steps_per_epoch)):
        if not isinstance(value, int) or value <= 0:
            raise ValueError(f"Expected positive integer {name}, but got {value}")
    return epochs * steps_per_epoch


def _phases(total: int, pct_start: float, three_phase: bool) -> list[tuple]:
    """OneCycleLR's phases: (last step, (lr from, lr to), (momentum from, momentum to))."""
    rise = (float(pct_start * total) - 1, ("initial_lr", "max_lr"),
            ("max_momentum", "base_momentum"))
    if not three_phase:
        return [rise, (total - 1, ("max_lr", "min_lr"), ("base_momentum", "max_momentum"))]
    return [rise,
            (float(2 * pct_start * total) - 2, ("max_lr", "initial_lr"),
             ("base_momentum", "max_momentum")),
            (total - 1, ("initial_lr", "min_lr"), ("max_momentum", "max_momentum"))]


def _per_group(name: str, optimizer: Optimizer, value: Any) -> list[Any]:
    """``value`` for each parameter group: a list or tuple with one per group, or one value."""
    groups = optimizer.param_groups
    if isinstance(value, (list, tuple)):
        if len(value) != len(groups):
            raise ValueError(f"{name} must have one value per parameter group: expected "
                             f"{len(groups)} values, got {len(value)}")
        return list(value)
    return [value] * len(groups)
