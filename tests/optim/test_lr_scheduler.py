"""Learning-rate schedules: PyTorch's sequences (rtol 1e-9), closed forms, and misuse."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule
import chainrule.optim as optim
from chainrule.optim import lr_scheduler as sched

LRS = (0.1, 0.05)


def _optimizer(name: str = "SGD", **kwargs) -> optim.Optimizer:
    groups = [{"params": [chainrule.zeros(2, requires_grad=True)], "lr": lr} for lr in LRS]
    return getattr(optim, name)(groups, **kwargs)


def _sequence(scheduler, opt, steps: int = 20, metrics=None) -> list[list[float]]:
    """get_last_lr() before each of ``steps`` steps, and after the last."""
    seen = [scheduler.get_last_lr()]
    for i in range(steps):
        opt.step()
        scheduler.step() if metrics is None else scheduler.step(metrics[i])
        seen.append(scheduler.get_last_lr())
    return seen


SCHEDULES = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("StepLR", {"step_size": 1}),
    ("MultiStepLR", {"milestones": [2, 5, 5, 11], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.001}),
    ("CosineAnnealingLR", {"T_max": 20}),
    ("LinearLR", {}),
    ("LinearLR", {"start_factor": 0.25, "end_factor": 0.5, "total_iters": 8}),
    ("OneCycleLR", {"max_lr": [1.0, 0.5], "total_steps": 21}),
    ("OneCycleLR", {"max_lr": 0.3, "epochs": 4, "steps_per_epoch": 5, "pct_start": 0.4,
                    "anneal_strategy": "linear", "three_phase": True}),
    ("OneCycleLR", {"max_lr": 0.3, "total_steps": 25, "cycle_momentum": False,
                    "div_factor": 10.0, "final_div_factor": 100.0}),
    ("LambdaLR", {"lr_lambda": lambda e: 0.95**e + 0.01 * (e % 3)}),
    ("LambdaLR", {"lr_lambda": [lambda e: 1 / (e + 1), lambda e: 0.9**e]}),
    ("MultiplicativeLR", {"lr_lambda": lambda e: 0.9 if e % 2 else 0.97}),
    ("MultiplicativeLR", {"lr_lambda": [lambda e: 0.95, lambda e: 1.0 + 0.01 * e]}),
    ("ConstantLR", {}),
    ("ConstantLR", {"factor": 0.5, "total_iters": 7}),
    ("PolynomialLR", {}),
    ("PolynomialLR", {"total_iters": 12, "power": 2.5}),
    ("CosineAnnealingWarmRestarts", {"T_0": 5}),
    ("CosineAnnealingWarmRestarts", {"T_0": 2, "T_mult": 2, "eta_min": 0.001}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4}),
    ("CyclicLR", {"base_lr": [0.01, 0.02], "max_lr": [0.1, 0.3], "step_size_up": 3,
                  "step_size_down": 5, "mode": "triangular2"}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 2, "mode": "exp_range",
                  "gamma": 0.9, "base_momentum": 0.7, "max_momentum": 0.95}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3, "mode": "none",
                  "scale_fn": lambda x: 1 / (1 + x), "scale_mode": "iterations",
                  "cycle_momentum": False}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 2,
                  "scale_fn": lambda x: 0.8**x}),
]


def _momenta(opt) -> np.ndarray:
    """Each group's momentum and two betas as floats, NaN where the optimizer has none."""
    rows = []
    for group in opt.param_groups:
        beta1, beta2 = group.get("betas", (np.nan, np.nan))
        rows.append((group.get("momentum", np.nan), beta1, beta2))
    return np.array(rows, dtype=float)


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
@pytest.mark.parametrize(("name", "kwargs"), SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_matches_torch_for_20_steps(name, kwargs, optimizer):
    torch = pytest.importorskip("torch")
    opt = _optimizer(optimizer)
    ref_params = [{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in LRS]
    ref_opt = getattr(torch.optim, optimizer)(ref_params)
    ours = getattr(sched, name)(opt, **kwargs)
    ref = getattr(torch.optim.lr_scheduler, name)(ref_opt, **kwargs)
    seen, expected = [ours.get_last_lr()], [ref.get_last_lr()]
    for _ in range(20):
        opt.step()
        ref_opt.step()
        ours.step()
        ref.step()
        seen.append(ours.get_last_lr())
        expected.append(ref.get_last_lr())
        np.testing.assert_allclose(_momenta(opt), _momenta(ref_opt), rtol=1e-12, atol=0)
    np.testing.assert_allclose(seen, expected, rtol=1e-9, atol=0)
    assert ours.last_epoch == ref.last_epoch == 20
    assert [g["initial_lr"] for g in opt.param_groups] == pytest.approx(
        [g["initial_lr"] for g in ref_opt.param_groups], rel=1e-15)


def test_two_chained_schedules_match_torch():
    torch = pytest.importorskip("torch")
    opt = _optimizer()
    ref_opt = torch.optim.SGD([{"params": [torch.zeros(2, requires_grad=True)], "lr": lr}
                               for lr in LRS])
    ours = [sched.StepLR(opt, 4, 0.5), sched.CosineAnnealingLR(opt, T_max=10)]
    ref = [torch.optim.lr_scheduler.StepLR(ref_opt, 4, 0.5),
           torch.optim.lr_scheduler.CosineAnnealingLR(ref_opt, T_max=10)]
    for _ in range(20):
        opt.step()
        ref_opt.step()
        for s in ours + ref:
            s.step()
        np.testing.assert_allclose(ours[1].get_last_lr(), ref[1].get_last_lr(), rtol=1e-9)


def _composite(mod, opt, which: int):
    """Schedules of schedules, built alike from chainrule's or torch's ``lr_scheduler``."""
    if which == 0:
        return mod.SequentialLR(opt, [mod.LinearLR(opt, start_factor=0.1, total_iters=4),
                                      mod.CosineAnnealingLR(opt, T_max=10, eta_min=0.001)],
                                milestones=[5])
    if which == 1:
        return mod.SequentialLR(opt, [mod.ConstantLR(opt, factor=0.5, total_iters=3),
                                      mod.ExponentialLR(opt, gamma=0.9),
                                      mod.StepLR(opt, step_size=3, gamma=0.5)],
                                milestones=[4, 11])
    if which == 2:  # at its milestone MultiplicativeLR (no closed form) multiplies at once
        return mod.SequentialLR(opt, [mod.PolynomialLR(opt, total_iters=6, power=2.0),
                                      mod.MultiplicativeLR(opt, lambda e: 0.9),
                                      mod.MultiStepLR(opt, milestones=[2, 4], gamma=0.5)],
                                milestones=[3, 9])
    if which == 3:
        return mod.ChainedScheduler([mod.ConstantLR(opt, factor=0.5, total_iters=6),
                                     mod.ExponentialLR(opt, gamma=0.9)])
    if which == 4:
        return mod.ChainedScheduler([mod.LinearLR(opt, start_factor=0.2, total_iters=5),
                                     mod.CosineAnnealingLR(opt, T_max=8),
                                     mod.MultiStepLR(opt, milestones=[3, 12], gamma=0.3)],
                                    optimizer=opt)
    inner = mod.ChainedScheduler([mod.ConstantLR(opt, factor=0.25, total_iters=2),
                                  mod.ExponentialLR(opt, gamma=0.8)])
    return mod.SequentialLR(opt, [inner, mod.CosineAnnealingWarmRestarts(opt, T_0=3)],
                            milestones=[6])


@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)` before")
@pytest.mark.parametrize("which", range(6))
def test_sequential_and_chained_schedules_match_torch(which):
    torch = pytest.importorskip("torch")
    opt = _optimizer()
    ref_opt = torch.optim.SGD([{"params": [torch.zeros(2, requires_grad=True)], "lr": lr}
                               for lr in LRS])
    ours = _composite(sched, opt, which)
    ref = _composite(torch.optim.lr_scheduler, ref_opt, which)
    seen, expected = _sequence(ours, opt, steps=25), _sequence(ref, ref_opt, steps=25)
    np.testing.assert_allclose(seen, expected, rtol=1e-9, atol=0)
    assert len({tuple(lrs) for lrs in seen}) > 5
    if hasattr(ref, "last_epoch"):
        assert ours.last_epoch == ref.last_epoch


@pytest.mark.parametrize(("t_mult", "calls"), [
    (1, [i / 4 for i in range(40)]),
    (2, [e + i / 3 for e in range(12) for i in range(3)]),
    (3, [0.5, 1, 7.25, None, None, 2, 26, None, 13.9, None, 40.0, None, 3.5]),
])
def test_warm_restarts_step_with_a_fractional_epoch_matches_torch(t_mult, calls):
    torch = pytest.importorskip("torch")
    opt = _optimizer()
    ref_opt = torch.optim.SGD([{"params": [torch.zeros(2, requires_grad=True)], "lr": lr}
                               for lr in LRS])
    ours = sched.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=t_mult, eta_min=0.002)
    ref = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(ref_opt, T_0=2, T_mult=t_mult,
                                                               eta_min=0.002)
    for epoch in calls:
        opt.step()
        ref_opt.step()
        ours.step(epoch)
        ref.step(epoch)
        np.testing.assert_allclose(ours.get_last_lr(), ref.get_last_lr(), rtol=1e-12, atol=0)
        assert (ours.last_epoch, ours.T_i) == (ref.last_epoch, ref.T_i)
        assert ours.T_cur == pytest.approx(ref.T_cur, rel=1e-12, abs=1e-12)


PLATEAUS = [
    ({"patience": 2},
     [5, 4, 4, 4, 4, 3.9999, 3.9, 3.9, 3.9, 3.9, 3.9, 3.9, 3, 3, 3, 3, 2, 2, 2, 2]),
    ({"mode": "max", "patience": 1, "factor": 0.5, "cooldown": 2, "threshold_mode": "abs",
      "threshold": 0.1}, [1, 2, 2.05, 2.1, 2.0, 2.2, 2.2, 2.2, 2.2, 2.3, 2.35, 2.3, 2.3, 2.3, 2.3,
                          2.3, 2.3, 2.4, 2.4, 2.4]),
    ({"patience": 0, "factor": 0.5, "min_lr": [0.02, 0.04]}, list(range(20, 0, -1))[::-1]),
    ({"mode": "max", "patience": 0, "factor": 0.2, "eps": 1e-3, "threshold": 0.5},
     [1.0, 1.2, 1.4, 3.0] * 5),
]


@pytest.mark.parametrize(("kwargs", "metrics"), PLATEAUS)
def test_reduce_on_plateau_matches_torch(kwargs, metrics):
    torch = pytest.importorskip("torch")
    opt = _optimizer()
    ref_opt = torch.optim.SGD([{"params": [torch.zeros(2, requires_grad=True)], "lr": lr}
                               for lr in LRS])
    ours = sched.ReduceLROnPlateau(opt, **kwargs)
    ref = torch.optim.lr_scheduler.ReduceLROnPlateau(ref_opt, **kwargs)
    seen = _sequence(ours, opt, metrics=metrics)
    expected = _sequence(ref, ref_opt, metrics=metrics)
    np.testing.assert_allclose(seen, expected, rtol=1e-9, atol=0)
    assert len({tuple(lrs) for lrs in seen}) > 1  # the rate did change


def test_reduce_on_plateau_step_with_the_deprecated_epoch_warns_and_jumps_as_torch():
    torch = pytest.importorskip("torch")
    opt = _optimizer()
    ref_opt = torch.optim.SGD([{"params": [torch.zeros(2, requires_grad=True)], "lr": lr}
                               for lr in LRS])
    runs = []
    for scheduler in (sched.ReduceLROnPlateau(opt, patience=0), torch.optim.lr_scheduler
                      .ReduceLROnPlateau(ref_opt, patience=0)):
        with pytest.warns(UserWarning, match="epoch parameter"):
            scheduler.step(1.0, epoch=7)
        scheduler.step(2.0)  # worse: cut
        runs.append((scheduler.last_epoch, scheduler.get_last_lr()))
    assert runs[0][0] == runs[1][0] == 8
    np.testing.assert_allclose(runs[0][1], runs[1][1], rtol=1e-12)


# ------------------------------------------------------------ without torch


def test_the_recursive_forms_equal_their_closed_forms():
    gamma, size, t_max, eta_min = 0.7, 3, 12, 0.01
    cases = [
        (sched.StepLR, {"step_size": size, "gamma": gamma},
         lambda base, e: base * gamma ** (e // size)),
        (sched.MultiStepLR, {"milestones": [3, 8], "gamma": gamma},
         lambda base, e: base * gamma ** ((e >= 3) + (e >= 8))),
        (sched.ExponentialLR, {"gamma": gamma}, lambda base, e: base * gamma**e),
        (sched.CosineAnnealingLR, {"T_max": t_max, "eta_min": eta_min},
         lambda base, e: eta_min + (base - eta_min) * (1 + math.cos(math.pi * e / t_max)) / 2),
        (sched.LinearLR, {"start_factor": 0.2, "total_iters": 6},
         lambda base, e: base * (0.2 + 0.8 * min(e, 6) / 6)),
    ]
    for make, kwargs, closed in cases:
        opt = _optimizer()
        seen = _sequence(make(opt, **kwargs), opt, steps=t_max)
        expected = [[closed(base, e) for base in LRS] for e in range(t_max + 1)]
        np.testing.assert_allclose(seen, expected, rtol=1e-12, err_msg=make.__name__)


def test_initial_lr_and_base_lrs_are_recorded():
    opt = _optimizer()
    s = sched.ExponentialLR(opt, gamma=0.5)
    assert [g["initial_lr"] for g in opt.param_groups] == list(LRS) == s.base_lrs
    assert s.last_epoch == 0 and s.get_last_lr() == list(LRS)
    opt.step()
    s.step()
    assert s.last_epoch == 1 and [g["lr"] for g in opt.param_groups] == [0.05, 0.025]
    assert [g["initial_lr"] for g in opt.param_groups] == list(LRS)


def test_resuming_with_last_epoch_needs_initial_lr():
    with pytest.raises(KeyError, match="initial_lr"):
        sched.StepLR(_optimizer(), step_size=2, last_epoch=4)


def test_one_cycle_starts_peaks_and_ends_where_it_should():
    opt = _optimizer(momentum=0.9)
    s = sched.OneCycleLR(opt, max_lr=1.0, total_steps=10, pct_start=0.5)
    assert opt.param_groups[0]["momentum"] == 0.95
    seen = [lr for lr, _ in _sequence(s, opt, steps=9)]
    assert seen[0] == pytest.approx(1.0 / 25, rel=1e-12) and seen[4] == 1.0
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.95, rel=1e-12)
    assert seen[-1] == pytest.approx(1.0 / 25 / 1e4, rel=1e-12)
    assert seen == sorted(seen[:5]) + sorted(seen[5:], reverse=True)
    with pytest.raises(ValueError, match="Tried to step 11 times"):
        s.step()
        s.step()


@pytest.mark.parametrize(("make", "kwargs", "message"), [
    (sched.LinearLR, {"start_factor": 0.0}, "0.0"),
    (sched.LinearLR, {"end_factor": 1.5}, "1.5"),
    (sched.OneCycleLR, {"max_lr": 1.0}, "total_steps"),
    (sched.OneCycleLR, {"max_lr": 1.0, "total_steps": -3}, "-3"),
    (sched.OneCycleLR, {"max_lr": 1.0, "total_steps": 9, "pct_start": 1.5}, "1.5"),
    (sched.OneCycleLR, {"max_lr": 1.0, "total_steps": 9, "anneal_strategy": "exp"}, "exp"),
    (sched.OneCycleLR, {"max_lr": [1.0], "total_steps": 9}, "expected 2 values, got 1"),
    (sched.ReduceLROnPlateau, {"factor": 1.5}, "1.5"),
    (sched.ReduceLROnPlateau, {"mode": "maximum"}, "maximum"),
    (sched.ReduceLROnPlateau, {"threshold_mode": "relative"}, "relative"),
    (sched.ReduceLROnPlateau, {"min_lr": [0.1]}, "expected 2 min_lrs, got 1"),
], ids=lambda v: v.__name__ if isinstance(v, type) else None)
def test_bad_arguments_raise_value_error(make, kwargs, message):
    with pytest.raises(ValueError, match=message):
        make(_optimizer(), **kwargs)


def test_a_non_optimizer_is_refused():
    for make in (sched.StepLR, sched.ReduceLROnPlateau):
        with pytest.raises(TypeError, match="not an Optimizer"):
            make(object(), 3) if make is sched.StepLR else make(object())
    with pytest.raises(TypeError, match="not an Optimizer"):
        sched.OneCycleLR(object(), max_lr=1.0, total_steps=5)
