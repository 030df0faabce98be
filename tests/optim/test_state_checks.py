"""load_state_dict of optimizers and schedulers refuses states that do not fit, and then
changes nothing: only known fields, values of the kinds and ranges the object holds."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import chainrule
import chainrule.optim as optim
from chainrule.optim import lr_scheduler as sched


def adam():
    w = chainrule.tensor(np.ones(3, np.float32), requires_grad=True)
    opt = optim.Adam([w], lr=0.1)
    w.grad = np.ones(3, np.float32)
    opt.step()
    return opt


@pytest.mark.parametrize(("change", "message"), [
    (lambda s: s["param_groups"][0].update(lr=-5.0), "lr must be >= 0"),
    (lambda s: s["param_groups"][0].update(lr=float("nan")), "lr must be finite"),
    (lambda s: s["param_groups"][0].update(lr="0.1"), "lr must be a number"),
    (lambda s: s["param_groups"][0].update(amsgrad=1), "amsgrad must be a bool"),
    (lambda s: s["param_groups"][0].update(betas=(0.9,)), "betas must be a list of 2"),
    (lambda s: s["param_groups"][0].update(betas=(1.5, 0.9)), "beta parameter at index 0"),
    (lambda s: s["param_groups"][0].update(foo=1), r"unknown fields \['foo'\]"),
    (lambda s: s["param_groups"][0].pop("eps"), r"lacks \['eps'\]"),
    (lambda s: s["param_groups"][0].update(params=[0, 0]), "distinct parameter indices"),
    (lambda s: s["state"][0].update(step=-1), "'step' must be a non-negative integer"),
    (lambda s: s["state"][0].update(exp_avg="x"), "'exp_avg' must be an array"),
    (lambda s: s["state"].update({"x": {}}), "state for parameter 'x'"),
    (lambda s: s.update(extra=1), "exactly 'state' and 'param_groups'"),
])
def test_an_optimizer_refuses_a_bad_state_and_keeps_its_own(change, message):
    assert_refused_and_kept(adam(), change, message)


def assert_refused_and_kept(opt, change, message) -> None:
    """``opt.load_state_dict`` of its own state dict altered by ``change`` raises a ValueError
    matching ``message``, and ``opt``'s groups and state stay as they were."""
    before = copy.deepcopy(opt.state_dict())
    state = opt.state_dict()
    change(state)
    with pytest.raises(ValueError, match=message):
        opt.load_state_dict(state)
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    for key, entries in before["state"].items():
        for name, value in entries.items():
            np.testing.assert_array_equal(after["state"][key][name], value)


def test_a_state_from_before_a_scheduler_was_made_loads():
    opt = adam()
    sched.StepLR(opt, step_size=2)  # adds initial_lr to the groups
    fresh = optim.Adam([chainrule.zeros(3, requires_grad=True)], lr=0.5)
    fresh.load_state_dict(opt.state_dict())
    assert fresh.param_groups[0]["initial_lr"] == 0.1


def plateau():
    return sched.ReduceLROnPlateau(optim.SGD([chainrule.zeros(2, requires_grad=True)], lr=1.0))


@pytest.mark.parametrize(("make", "change", "message"), [
    (plateau, {"__dict__": {}}, r"unknown fields \['__dict__'\]"),
    (plateau, {"step": 1}, r"unknown fields \['step'\]"),
    (plateau, {"mode": "sideways"}, "mode must be one of"),
    (plateau, {"factor": 2.0}, "factor should be < 1.0"),
    (plateau, {"patience": 1.5}, "patience must be an integer"),
    (plateau, {"best": float("nan")}, "best must be finite"),
    (plateau, {"min_lrs": [-1.0]}, "min_lrs must be >= 0"),
    (plateau, {"min_lrs": [0.0, 0.0]}, "min_lrs must be a list of 1"),
    (lambda: sched.MultiStepLR(adam(), milestones=[2]), {"milestones": {"2": 1}},
     "milestones must map numbers"),
    (lambda: sched.OneCycleLR(adam(), max_lr=0.1, total_steps=5),
     {"anneal_strategy": "exp"}, "anneal_strategy must be one of"),
    (lambda: sched.StepLR(adam(), step_size=2), {"gamma": None}, "gamma must be a number"),
    (lambda: sched.StepLR(adam(), step_size=2), {"base_lrs": [-0.1]}, "base_lrs must be >= 0"),
])
def test_a_scheduler_refuses_unknown_fields_and_bad_values(make, change, message):
    schedule = make()
    before = copy.deepcopy(vars(schedule))
    state = {**schedule.state_dict(), **change}
    with pytest.raises(ValueError, match=message):
        schedule.load_state_dict(state)
    assert vars(schedule).keys() == before.keys()
    assert schedule.state_dict() == {k: v for k, v in before.items() if k != "optimizer"}


def test_a_plateau_state_without_a_default_min_lr_loads_into_one_with_it():
    opt = optim.SGD([chainrule.zeros(2, requires_grad=True)], lr=1.0)
    listed = sched.ReduceLROnPlateau(opt, min_lr=[0.01])
    fresh = plateau()
    fresh.load_state_dict(listed.state_dict())
    assert fresh.default_min_lr is None and fresh.min_lrs == [0.01]
