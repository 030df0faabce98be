"""Every learning-rate schedule, step by step, against the closed form in PyTorch's
documentation, written out here without calling chainrule (no torch needed).

The schedules present: StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR,
LambdaLR, MultiplicativeLR, ConstantLR, PolynomialLR, CosineAnnealingWarmRestarts (by step()
and by fractional step(epoch)), SequentialLR, ChainedScheduler, CyclicLR (its three modes and a
custom scale_fn, with its momentum on SGD and on Adam's β₁), OneCycleLR (two and three
phases, 'cos' and 'linear', with and without cycle_momentum, on SGD's momentum and on Adam's
β₁) and ReduceLROnPlateau (its trajectories written out by hand below, one comment per cut).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule
from chainrule.optim import SGD, Adam
from chainrule.optim.lr_scheduler import (
    ChainedScheduler,
    ConstantLR,
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    CyclicLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiplicativeLR,
    MultiStepLR,
    OneCycleLR,
    PolynomialLR,
    ReduceLROnPlateau,
    SequentialLR,
    StepLR,
)

RTOL = 1e-12  # the recursive forms PyTorch uses drift from the closed ones by a few ulps
BASE = 0.5
EPOCHS = 40


def sgd(lr=BASE, momentum=0.9, groups=1):
    """An SGD optimizer with ``groups`` groups, the k-th with learning rate lr · (k + 1)."""
    params = [{"params": [chainrule.zeros(2, requires_grad=True)], "lr": lr * (k + 1)}
              for k in range(groups)]
    return SGD(params, lr=lr, momentum=momentum)


def trajectory(scheduler, optimizer, steps, key="lr"):
    """``group[key]`` of every group at each step 0 … steps − 1, as a (steps, groups) array;
    for key "beta1", the first of ``betas``."""
    def read(group):
        return group["betas"][0] if key == "beta1" else group[key]

    rows = []
    for step in range(steps):
        if step:
            optimizer.step()
            scheduler.step()
        rows.append([float(read(group)) for group in optimizer.param_groups])
        if key == "lr":
            assert scheduler.get_last_lr() == rows[-1]
    return np.array(rows)


def closed(formula, steps, base_lrs):
    """The (steps, groups) array of formula(step, base_lr)."""
    return np.array([[formula(step, base) for base in base_lrs] for step in range(steps)])


# ------------------------------------------------------------ the epoch schedules


SCHEDULES = [
    # (name, constructor, documented closed form lr(epoch, base_lr))
    ("StepLR", lambda opt: StepLR(opt, step_size=3, gamma=0.5),
     lambda e, base: base * 0.5 ** (e // 3)),
    ("StepLR-1", lambda opt: StepLR(opt, step_size=1, gamma=0.9),
     lambda e, base: base * 0.9**e),
    ("MultiStepLR", lambda opt: MultiStepLR(opt, milestones=[2, 5, 5, 11], gamma=0.1),
     # a milestone listed twice multiplies by γ twice
     lambda e, base: base * 0.1 ** sum(1 for m in (2, 5, 5, 11) if m <= e)),
    ("ExponentialLR", lambda opt: ExponentialLR(opt, gamma=0.93),
     lambda e, base: base * 0.93**e),
    ("CosineAnnealingLR", lambda opt: CosineAnnealingLR(opt, T_max=10),
     # past T_max the rate climbs back along the same cosine (no restart)
     lambda e, base: base * (1 + math.cos(math.pi * e / 10)) / 2),
    ("CosineAnnealingLR-eta_min", lambda opt: CosineAnnealingLR(opt, T_max=7, eta_min=0.01),
     lambda e, base: 0.01 + (base - 0.01) * (1 + math.cos(math.pi * e / 7)) / 2),
    ("LinearLR", lambda opt: LinearLR(opt, start_factor=0.25, end_factor=1.0, total_iters=8),
     lambda e, base: base * (0.25 + 0.75 * min(e, 8) / 8)),
    ("LinearLR-decay", lambda opt: LinearLR(opt, start_factor=1.0, end_factor=0.1,
                                            total_iters=6),
     lambda e, base: base * (1.0 - 0.9 * min(e, 6) / 6)),
    ("LinearLR-defaults", lambda opt: LinearLR(opt),
     lambda e, base: base * (1 / 3 + (2 / 3) * min(e, 5) / 5)),
    ("LambdaLR", lambda opt: LambdaLR(opt, lambda e: 1 / (1 + 0.3 * e) + (e % 4 == 1)),
     lambda e, base: base * (1 / (1 + 0.3 * e) + (e % 4 == 1))),
    ("MultiplicativeLR", lambda opt: MultiplicativeLR(opt, lambda e: 0.9 + 0.01 * (e % 3)),
     # λ(0) never applies: the product runs over epochs 1 … e
     lambda e, base: base * math.prod(0.9 + 0.01 * (k % 3) for k in range(1, e + 1))),
    ("ConstantLR", lambda opt: ConstantLR(opt, factor=0.4, total_iters=9),
     lambda e, base: base * (0.4 if e < 9 else 1.0)),
    ("ConstantLR-defaults", lambda opt: ConstantLR(opt),
     lambda e, base: base * (1 / 3 if e < 5 else 1.0)),
    ("PolynomialLR", lambda opt: PolynomialLR(opt, total_iters=15, power=1.7),
     lambda e, base: base * (1 - min(e, 15) / 15) ** 1.7),
    ("PolynomialLR-defaults", lambda opt: PolynomialLR(opt),
     lambda e, base: base * (1 - min(e, 5) / 5)),
    ("CosineAnnealingWarmRestarts", lambda opt: CosineAnnealingWarmRestarts(opt, T_0=6),
     lambda e, base: base * (1 + math.cos(math.pi * (e % 6) / 6)) / 2),
    ("CosineAnnealingWarmRestarts-T_mult",
     lambda opt: CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=0.02),
     lambda e, base: sgdr(e, base, 3, 2, 0.02)),
    ("SequentialLR", lambda opt: SequentialLR(opt, [LinearLR(opt, start_factor=0.1,
                                                               total_iters=4),
                                                      ExponentialLR(opt, gamma=0.8)],
                                              milestones=[6]),
     # warm up for 4 epochs, hold, then from epoch 6 decay from base_lr, counting from 0
     lambda e, base: base * (0.1 + 0.9 * min(e, 4) / 4) if e < 6 else base * 0.8 ** (e - 6)),
    ("SequentialLR-3", lambda opt: SequentialLR(opt, [ConstantLR(opt, factor=0.5,
                                                                 total_iters=10),
                                                      StepLR(opt, step_size=2, gamma=0.5),
                                                      CosineAnnealingLR(opt, T_max=9)],
                                                milestones=[3, 20]),
     lambda e, base: (base * 0.5 if e < 3 else base * 0.5 ** ((e - 3) // 2) if e < 20
                      else base * (1 + math.cos(math.pi * (e - 20) / 9)) / 2)),
    ("ChainedScheduler", lambda opt: ChainedScheduler([ConstantLR(opt, factor=0.25,
                                                                  total_iters=7),
                                                       ExponentialLR(opt, gamma=0.95)]),
     lambda e, base: base * 0.95**e * (0.25 if e < 7 else 1.0)),
]


JUMPS = [7, 0, 3, 25, 1, 12, 39, 5, 5, 6, 2, 9, 30, 4, 8, 10, 11, 15, 16, 20, 21]
NO_CLOSED_FORM = ("MultiplicativeLR", "SequentialLR", "ChainedScheduler")


@pytest.mark.filterwarnings("ignore:The epoch parameter")
@pytest.mark.parametrize("make,formula",
                         [(m, f) for name, m, f in SCHEDULES
                          if not name.startswith(NO_CLOSED_FORM)],
                         ids=[name for name, _, _ in SCHEDULES
                              if not name.startswith(NO_CLOSED_FORM)])
def test_step_to_an_epoch_lands_on_the_closed_form(make, formula):
    """step(epoch), in any order, gives the closed form there (LambdaLR: base_lr · λ(epoch))."""
    optimizer = sgd(groups=2)
    scheduler = make(optimizer)
    for epoch in JUMPS:
        optimizer.step()
        scheduler.step(epoch)
        assert scheduler.last_epoch == epoch
        np.testing.assert_allclose(scheduler.get_last_lr(),
                                   [formula(epoch, base) for base in (BASE, 2 * BASE)],
                                   rtol=RTOL, atol=1e-15, err_msg=f"epoch {epoch}")


def sgdr(epoch, base, t_0, t_mult, eta_min):
    """SGDR's rate at ``epoch`` (may be fractional): walk the periods T_0, T_0·T_mult, …"""
    start, period = 0, t_0
    while epoch >= start + period:
        start, period = start + period, period * t_mult
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * (epoch - start) / period)) / 2


@pytest.mark.parametrize("make,formula", [(m, f) for _, m, f in SCHEDULES],
                         ids=[name for name, _, _ in SCHEDULES])
def test_schedule_follows_its_closed_form_at_every_epoch(make, formula):
    optimizer = sgd(groups=2)
    base_lrs = [BASE, 2 * BASE]
    got = trajectory(make(optimizer), optimizer, EPOCHS)
    np.testing.assert_allclose(got, closed(formula, EPOCHS, base_lrs), rtol=RTOL, atol=1e-15)


# ------------------------------------------------------------ OneCycleLR


def anneal(strategy, start, end, pct):
    """PyTorch's annealing from start (pct = 0) to end (pct = 1)."""
    if strategy == "cos":
        return end + (start - end) / 2 * (1 + math.cos(math.pi * pct))
    return start + (end - start) * pct


def one_cycle(step, total, max_lr, pct_start, strategy, three_phase, div=25.0,
              final_div=1e4, low=0.85, high=0.95):
    """(lr, momentum) of OneCycleLR at ``step``, from the documented phases.

    Two phases: initial_lr → max_lr over steps [0, p·n − 1], then max_lr → min_lr over
    [p·n − 1, n − 1]. Three phases: initial_lr → max_lr over [0, p·n − 1], max_lr → initial_lr
    over [p·n − 1, 2p·n − 2], initial_lr → min_lr over [2p·n − 2, n − 1]. Momentum runs the
    other way: high → low while the rate rises, low → high while it falls, and stays at high
    in the third phase. initial_lr = max_lr / div, min_lr = initial_lr / final_div.
    """
    initial = max_lr / div
    minimum = initial / final_div
    if three_phase:
        phases = [(pct_start * total - 1, initial, max_lr, high, low),
                  (2 * pct_start * total - 2, max_lr, initial, low, high),
                  (total - 1, initial, minimum, high, high)]
    else:
        phases = [(pct_start * total - 1, initial, max_lr, high, low),
                  (total - 1, max_lr, minimum, low, high)]
    begin = 0.0
    for i, (end, lr_from, lr_to, m_from, m_to) in enumerate(phases):
        if step <= end or i == len(phases) - 1:
            pct = (step - begin) / (end - begin)
            return (anneal(strategy, lr_from, lr_to, pct),
                    anneal(strategy, m_from, m_to, pct))
        begin = end
    raise AssertionError("unreachable")


ONE_CYCLE = [  # (total_steps, pct_start, anneal_strategy, three_phase)
    (20, 0.3, "cos", False), (20, 0.3, "linear", False),
    (20, 0.3, "cos", True), (20, 0.3, "linear", True),
    (17, 0.3, "cos", True),  # phase ends 4.1 and 8.2: not on a step
    (31, 0.25, "linear", True), (12, 0.5, "cos", False),
]


@pytest.mark.parametrize("total,pct_start,strategy,three_phase", ONE_CYCLE)
def test_one_cycle_lr_and_momentum_at_every_step(total, pct_start, strategy, three_phase):
    optimizer = sgd(lr=0.123, momentum=0.5)
    scheduler = OneCycleLR(optimizer, max_lr=2.0, total_steps=total, pct_start=pct_start,
                           anneal_strategy=strategy, three_phase=three_phase)
    expected = np.array([one_cycle(step, total, 2.0, pct_start, strategy, three_phase)
                         for step in range(total)])
    lrs, momenta = [], []
    for step in range(total):
        if step:
            optimizer.step()
            scheduler.step()
        lrs.append(optimizer.param_groups[0]["lr"])
        momenta.append(optimizer.param_groups[0]["momentum"])
    np.testing.assert_allclose(lrs, expected[:, 0], rtol=RTOL)
    np.testing.assert_allclose(momenta, expected[:, 1], rtol=RTOL)
    with pytest.raises(ValueError, match="Tried to step"):
        scheduler.step()
        scheduler.step()


@pytest.mark.parametrize("three_phase", [False, True])
def test_one_cycle_cycles_adam_beta1_and_keeps_beta2(three_phase):
    params = [chainrule.zeros(2, requires_grad=True)]
    optimizer = Adam(params, lr=0.01, betas=(0.7, 0.995))
    scheduler = OneCycleLR(optimizer, max_lr=[0.3], total_steps=25, pct_start=0.4,
                           three_phase=three_phase, base_momentum=0.8, max_momentum=0.9,
                           div_factor=10.0, final_div_factor=100.0)
    expected = np.array([one_cycle(step, 25, 0.3, 0.4, "cos", three_phase, div=10.0,
                                   final_div=100.0, low=0.8, high=0.9) for step in range(25)])
    got = []
    for step in range(25):
        if step:
            optimizer.step()
            scheduler.step()
        group = optimizer.param_groups[0]
        assert group["betas"][1] == 0.995
        got.append((group["lr"], group["betas"][0]))
    np.testing.assert_allclose(got, expected, rtol=RTOL)


def test_one_cycle_without_cycle_momentum_leaves_momentum_alone():
    optimizer = sgd(lr=0.1, momentum=0.6)
    scheduler = OneCycleLR(optimizer, max_lr=1.0, total_steps=10, cycle_momentum=False)
    lrs = trajectory(scheduler, optimizer, 10)[:, 0]
    expected = [one_cycle(step, 10, 1.0, 0.3, "cos", False)[0] for step in range(10)]
    np.testing.assert_allclose(lrs, expected, rtol=RTOL)
    assert optimizer.param_groups[0]["momentum"] == 0.6


def test_one_cycle_with_epochs_and_steps_per_epoch_and_one_max_lr_per_group():
    optimizer = sgd(groups=2)
    scheduler = OneCycleLR(optimizer, max_lr=[1.0, 3.0], epochs=3, steps_per_epoch=5,
                           anneal_strategy="linear")
    got = trajectory(scheduler, optimizer, 15)
    expected = [[one_cycle(step, 15, peak, 0.3, "linear", False)[0] for peak in (1.0, 3.0)]
                for step in range(15)]
    np.testing.assert_allclose(got, expected, rtol=RTOL)


# ------------------------------------------------------------ warm restarts by epoch


@pytest.mark.parametrize("t_mult", [1, 2, 3])
def test_warm_restarts_follow_sgdr_at_fractional_epochs(t_mult):
    optimizer = sgd(groups=2)
    scheduler = CosineAnnealingWarmRestarts(optimizer, T_0=2, T_mult=t_mult, eta_min=0.01)
    epochs = [e + i / 5 for e in range(30) for i in range(5)]
    got = []
    for epoch in epochs:
        optimizer.step()
        scheduler.step(epoch)
        got.append(scheduler.get_last_lr())
        assert scheduler.last_epoch == math.floor(epoch)
    expected = [[sgdr(epoch, base, 2, t_mult, 0.01) for base in (BASE, 2 * BASE)]
                for epoch in epochs]
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-15)


def test_warm_restarts_step_after_a_jump_goes_on_from_there():
    optimizer = sgd()
    scheduler = CosineAnnealingWarmRestarts(optimizer, T_0=4)
    for _ in range(5):
        scheduler.step()
    scheduler.step(26)
    scheduler.step()  # epoch 27, not 6
    assert scheduler.last_epoch == 27
    assert scheduler.get_last_lr() == pytest.approx([sgdr(27, BASE, 4, 1, 0.0)], rel=RTOL)
    with pytest.raises(ValueError, match="Expected non-negative epoch, but got -1"):
        scheduler.step(-1)


# ------------------------------------------------------------ CyclicLR


def cyclic(step, base, peak, up, down, scale, low=0.8, high=0.9):
    """(lr, momentum) of CyclicLR at ``step``: a triangle wave rising over ``up`` steps and
    falling over ``down``, its height scaled by scale(cycle number from 1, step)."""
    position = step % (up + down)
    rise = position / up if position <= up else (up + down - position) / down
    amplitude = scale(step // (up + down) + 1, step)
    return (base + (peak - base) * rise * amplitude, high - (high - low) * rise * amplitude)


CYCLIC = [  # (kwargs, scale(cycle, step))
    ({"step_size_up": 4}, lambda cycle, step: 1.0),
    ({"step_size_up": 3, "step_size_down": 6}, lambda cycle, step: 1.0),
    ({"step_size_up": 2, "step_size_down": 3, "mode": "triangular2"},
     lambda cycle, step: 0.5 ** (cycle - 1)),
    ({"step_size_up": 5, "mode": "exp_range", "gamma": 0.97}, lambda cycle, step: 0.97**step),
    ({"step_size_up": 3, "scale_fn": lambda x: 1 / x}, lambda cycle, step: 1 / cycle),
    ({"step_size_up": 3, "scale_fn": lambda x: 1 / (1 + x), "scale_mode": "iterations"},
     lambda cycle, step: 1 / (1 + step)),
    # a custom scale_fn decides, with scale_mode: 'exp_range' then means nothing
    ({"step_size_up": 2, "step_size_down": 5, "mode": "exp_range", "gamma": 0.5,
      "scale_fn": lambda x: 1 / (1 + x)}, lambda cycle, step: 1 / (1 + cycle)),
]


@pytest.mark.parametrize("kwargs,scale", CYCLIC)
def test_cyclic_lr_and_momentum_at_every_step(kwargs, scale):
    optimizer = sgd(groups=2, momentum=0.3)
    scheduler = CyclicLR(optimizer, base_lr=[0.01, 0.02], max_lr=[0.1, 0.5], **kwargs)
    up = kwargs["step_size_up"]
    down = kwargs.get("step_size_down", up)
    expected = np.array([[cyclic(step, base, peak, up, down, scale)
                          for base, peak in ((0.01, 0.1), (0.02, 0.5))] for step in range(EPOCHS)])
    np.testing.assert_allclose(trajectory(scheduler, optimizer, EPOCHS), expected[:, :, 0],
                               rtol=RTOL)
    optimizer = sgd(groups=2, momentum=0.3)
    scheduler = CyclicLR(optimizer, base_lr=[0.01, 0.02], max_lr=[0.1, 0.5], **kwargs)
    np.testing.assert_allclose(trajectory(scheduler, optimizer, EPOCHS, key="momentum"),
                               expected[:, :, 1], rtol=RTOL)


def test_cyclic_cycles_adam_beta1_and_keeps_beta2():
    optimizer = Adam([chainrule.zeros(2, requires_grad=True)], lr=0.5, betas=(0.5, 0.99))
    scheduler = CyclicLR(optimizer, base_lr=0.001, max_lr=0.01, step_size_up=5,
                         base_momentum=0.85, max_momentum=0.95)
    got = trajectory(scheduler, optimizer, EPOCHS, key="beta1")[:, 0]
    expected = [cyclic(step, 0.001, 0.01, 5, 5, lambda c, s: 1.0, 0.85, 0.95)[1]
                for step in range(EPOCHS)]
    np.testing.assert_allclose(got, expected, rtol=RTOL)
    assert optimizer.param_groups[0]["betas"][1] == 0.99


def test_cyclic_without_cycle_momentum_leaves_momentum_alone():
    optimizer = sgd(momentum=0.6)
    scheduler = CyclicLR(optimizer, base_lr=0.1, max_lr=1.0, step_size_up=2,
                         cycle_momentum=False)
    trajectory(scheduler, optimizer, 10)
    assert optimizer.param_groups[0]["momentum"] == 0.6


# ------------------------------------------------------------ ReduceLROnPlateau


def plateau(metrics, lr=1.0, groups=1, **kwargs):
    """The learning rates of every group after each ``step(metric)``."""
    optimizer = sgd(lr=lr, groups=groups)
    scheduler = ReduceLROnPlateau(optimizer, **kwargs)
    rows = []
    for metric in metrics:
        scheduler.step(metric)
        rows.append([group["lr"] for group in optimizer.param_groups])
        assert scheduler.get_last_lr() == rows[-1]
    return np.array(rows)


def test_plateau_never_goes_below_min_lr():
    # patience 0: every epoch without improvement cuts; 1 → 0.5 → max(0.25, 0.3) → stays
    got = plateau([1.0] * 6, factor=0.5, patience=0, min_lr=0.3)[:, 0]
    np.testing.assert_allclose(got, [1.0, 0.5, 0.3, 0.3, 0.3, 0.3], rtol=RTOL)


def test_plateau_min_lr_per_group():
    # groups start at 1 and 2 (see `sgd`); floors 0.3 and 0.1; factor 0.5
    got = plateau([1.0] * 6, groups=2, factor=0.5, patience=0, min_lr=[0.3, 0.1])
    np.testing.assert_allclose(got, [[1.0, 2.0], [0.5, 1.0], [0.3, 0.5], [0.3, 0.25],
                                     [0.3, 0.125], [0.3, 0.1]], rtol=RTOL)


def test_plateau_waits_patience_bad_epochs_before_cutting():
    # patience 2: a cut on the third bad epoch in a row (epochs 4 and 7), then the count restarts
    got = plateau([5.0] * 8, patience=2)[:, 0]
    np.testing.assert_allclose(got, [1, 1, 1, 0.1, 0.1, 0.1, 0.01, 0.01], rtol=RTOL)


def test_plateau_cooldown_ignores_the_epochs_after_a_cut():
    # patience 0, cooldown 2: a cut at epoch 2, then epochs 3 and 4 do not count, cut at 5 …
    got = plateau([1.0] * 8, patience=0, cooldown=2)[:, 0]
    np.testing.assert_allclose(got, [1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001], rtol=RTOL)


def test_plateau_an_improvement_resets_the_count():
    # patience 1: epochs 2 and 4 are bad but 3 improves in between: no cut until 5 and 6 follow
    got = plateau([3.0, 3.0, 2.0, 2.0, 2.0, 2.0], patience=1)[:, 0]
    np.testing.assert_allclose(got, [1, 1, 1, 1, 0.1, 0.1], rtol=RTOL)


@pytest.mark.parametrize("mode,threshold_mode,threshold,metrics", [
    # min, rel: better means < best·(1 − 0.1). 9.5 ≥ 9 cut; 8.9 < 9 best; 8.5 ≥ 8.01 cut; 8.0 best
    ("min", "rel", 0.1, [10.0, 9.5, 8.9, 8.5, 8.0]),
    # min, abs: better means < best − 0.6. 9.5 ≥ 9.4 cut; 9.3 best; 8.8 ≥ 8.7 cut; 8.0 best
    ("min", "abs", 0.6, [10.0, 9.5, 9.3, 8.8, 8.0]),
    # max, rel: better means > best·(1 + 0.1). 10.5 ≤ 11 cut; 11.5 best; 12 ≤ 12.65 cut; 13 best
    ("max", "rel", 0.1, [10.0, 10.5, 11.5, 12.0, 13.0]),
    # max, abs: better means > best + 0.6. 10.5 ≤ 10.6 cut; 10.7 best; 11.2 ≤ 11.3 cut; 12 best
    ("max", "abs", 0.6, [10.0, 10.5, 10.7, 11.2, 12.0]),
])
def test_plateau_threshold_and_mode(mode, threshold_mode, threshold, metrics):
    got = plateau(metrics, patience=0, mode=mode, threshold=threshold,
                  threshold_mode=threshold_mode)[:, 0]
    np.testing.assert_allclose(got, [1, 0.1, 0.1, 0.01, 0.01], rtol=RTOL)


def test_plateau_skips_a_cut_smaller_than_eps():
    # 1e-9 · 0.5 changes the rate by 5e-10 ≤ eps = 1e-8: never applied
    got = plateau([1.0] * 4, lr=1e-9, factor=0.5, patience=0)[:, 0]
    np.testing.assert_array_equal(got, [1e-9] * 4)
