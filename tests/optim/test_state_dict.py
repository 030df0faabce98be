"""state_dict / load_state_dict: resuming gives bit-identical results; bad states are refused."""

from __future__ import annotations

import json

import numpy as np
import pytest

import chainrule
import chainrule.optim as optim
from chainrule.optim import lr_scheduler as sched

from .helpers import batches, groups_of, loss_and_backward, make_params

CONFIGS = [
    (optim.SGD, {"lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}),
    (optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    (optim.Adam, {"lr": 0.05, "amsgrad": True, "weight_decay": 0.01}),
    (optim.AdamW, {"lr": 0.05}),
    (optim.RMSprop, {"lr": 0.01, "momentum": 0.5, "centered": True}),
    (optim.Adagrad, {"lr": 0.1, "lr_decay": 0.05, "initial_accumulator_value": 0.1}),
    (optim.Rprop, {"lr": 0.05, "etas": (0.4, 1.3)}),
    (optim.Adafactor, {"lr": 0.05, "eps": (1e-6, 1e-2), "weight_decay": 0.1}),
]
IDS = [make.__name__ for make, _ in CONFIGS]
GROUPS = [{"lr": 0.02}, {}]
DATA = batches(steps=10, seed=3)


def _train(opt, w, b, data, scheduler=None) -> None:
    for x, y in data:
        opt.zero_grad()
        loss_and_backward(w, b, x, y)
        opt.step()
        if scheduler is not None:
            scheduler.step()


@pytest.mark.parametrize(("make", "kwargs"), CONFIGS, ids=IDS)
def test_resuming_from_a_state_dict_is_bit_identical(make, kwargs):
    w, b = make_params()
    straight = make(groups_of(w, b, GROUPS), **kwargs)
    _train(straight, w, b, DATA)

    w1, b1 = make_params()
    first = make(groups_of(w1, b1, GROUPS), **kwargs)
    _train(first, w1, b1, DATA[:4])
    saved = first.state_dict()
    w2 = chainrule.tensor(w1.data.copy(), requires_grad=True)
    b2 = chainrule.tensor(b1.data.copy(), requires_grad=True)
    resumed = make(groups_of(w2, b2, [{}, {}]), lr=0.5)  # hyperparameters come from the state
    resumed.load_state_dict(saved)
    _train(resumed, w2, b2, DATA[4:])

    assert np.array_equal(w2.data, w.data) and np.array_equal(b2.data, b.data)
    assert resumed.param_groups[0]["lr"] == 0.02
    assert resumed.state[w2]["step"] == straight.state[w]["step"] == 10


def test_state_dict_layout_is_pytorchs():
    w, b = make_params()
    opt = optim.Adam(groups_of(w, b, GROUPS), lr=0.1)
    _train(opt, w, b, DATA[:2])
    saved = opt.state_dict()
    assert set(saved) == {"state", "param_groups"}
    assert [g["params"] for g in saved["param_groups"]] == [[0], [1]]
    assert saved["param_groups"][0]["lr"] == 0.02 and saved["param_groups"][1]["lr"] == 0.1
    assert set(saved["state"]) == {0, 1}
    assert set(saved["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}


def test_state_dict_and_load_state_dict_copy_the_arrays():
    w = chainrule.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    w.grad = np.array([1.0, 1.0], dtype=np.float32)
    opt.step()
    saved = opt.state_dict()
    saved["state"][0]["momentum_buffer"][:] = 100.0
    assert np.array_equal(opt.state[w]["momentum_buffer"], [1.0, 1.0])
    opt.load_state_dict(saved)
    saved["state"][0]["momentum_buffer"][:] = -7.0
    assert np.array_equal(opt.state[w]["momentum_buffer"], [100.0, 100.0])


def test_a_json_round_trip_of_the_plain_parts_loads():
    """Integer keys become strings and tuples lists in JSON; both are accepted back."""
    w, b = make_params(np.float32)
    opt = optim.Adam([w, b], lr=0.1)
    _train(opt, w, b, DATA[:2])
    saved = opt.state_dict()
    arrays = {k: {n: v for n, v in s.items() if isinstance(v, np.ndarray)}
              for k, s in saved["state"].items()}
    plain = json.loads(json.dumps({
        "param_groups": saved["param_groups"],
        "state": {k: {n: v for n, v in s.items() if not isinstance(v, np.ndarray)}
                  for k, s in saved["state"].items()},
    }))
    for key, named in arrays.items():
        plain["state"][str(key)].update({n: v.astype(np.float64) for n, v in named.items()})
    fresh = optim.Adam([w, b])
    fresh.load_state_dict(plain)
    assert fresh.param_groups[0]["betas"] == (0.9, 0.999)
    assert fresh.state[w]["exp_avg"].dtype == np.float32  # cast back to the parameter's dtype
    assert np.array_equal(fresh.state[w]["exp_avg"], opt.state[w]["exp_avg"])


def test_mismatched_states_are_refused():
    w, b = make_params()
    opt = optim.SGD([w, b], lr=0.1, momentum=0.9)
    _train(opt, w, b, DATA[:1])
    saved = opt.state_dict()
    with pytest.raises(ValueError, match="1 parameter groups, this optimizer has 2"):
        optim.SGD(groups_of(w, b, [{}, {}]), lr=0.1).load_state_dict(saved)
    with pytest.raises(ValueError, match="2 parameters in group 0, this optimizer has 1"):
        optim.SGD([w], lr=0.1).load_state_dict(saved)
    other = [chainrule.tensor(np.zeros(5), requires_grad=True), b]
    with pytest.raises(ValueError, match=r"shape \(3,\).*shape \(5,\)"):
        optim.SGD(other, lr=0.1).load_state_dict(saved)


SCHEDULES = [
    (sched.StepLR, {"step_size": 3, "gamma": 0.5}),
    (sched.MultiStepLR, {"milestones": [2, 5, 5], "gamma": 0.3}),
    (sched.ExponentialLR, {"gamma": 0.9}),
    (sched.CosineAnnealingLR, {"T_max": 7, "eta_min": 0.001}),
    (sched.LinearLR, {"start_factor": 0.25, "total_iters": 6}),
    (sched.OneCycleLR, {"max_lr": 0.1, "total_steps": 10, "three_phase": True}),
]


@pytest.mark.parametrize(("make", "kwargs"), SCHEDULES, ids=[s[0].__name__ for s in SCHEDULES])
def test_resuming_a_schedule_is_bit_identical(make, kwargs):
    w, b = make_params()
    opt = optim.SGD([w, b], lr=0.05, momentum=0.9)
    schedule = make(opt, **kwargs)
    _train(opt, w, b, DATA, schedule)

    w1, b1 = make_params()
    opt1 = optim.SGD([w1, b1], lr=0.05, momentum=0.9)
    schedule1 = make(opt1, **kwargs)
    _train(opt1, w1, b1, DATA[:4], schedule1)
    saved_opt, saved_schedule = opt1.state_dict(), schedule1.state_dict()
    assert "optimizer" not in saved_schedule

    w2 = chainrule.tensor(w1.data.copy(), requires_grad=True)
    b2 = chainrule.tensor(b1.data.copy(), requires_grad=True)
    opt2 = optim.SGD([w2, b2], lr=0.05, momentum=0.9)
    schedule2 = make(opt2, **kwargs)  # as in PyTorch: create the schedule, then load both
    opt2.load_state_dict(saved_opt)
    schedule2.load_state_dict(saved_schedule)
    _train(opt2, w2, b2, DATA[4:], schedule2)

    assert schedule2.get_last_lr() == schedule.get_last_lr()
    assert schedule2.last_epoch == schedule.last_epoch == 10
    assert np.array_equal(w2.data, w.data) and np.array_equal(b2.data, b.data)


def test_resuming_reduce_on_plateau():
    metrics = [3.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5]
    opt = optim.SGD([chainrule.zeros(2, requires_grad=True)], lr=1.0)
    straight = sched.ReduceLROnPlateau(opt, patience=1, cooldown=1, factor=0.5)
    for m in metrics:
        straight.step(m)
    opt1 = optim.SGD([chainrule.zeros(2, requires_grad=True)], lr=1.0)
    first = sched.ReduceLROnPlateau(opt1, patience=1, cooldown=1, factor=0.5)
    for m in metrics[:5]:
        first.step(m)
    opt2 = optim.SGD([chainrule.zeros(2, requires_grad=True)], lr=1.0)
    resumed = sched.ReduceLROnPlateau(opt2, patience=5)
    opt2.load_state_dict(opt1.state_dict())
    resumed.load_state_dict(first.state_dict())
    for m in metrics[5:]:
        resumed.step(m)
    assert resumed.get_last_lr() == straight.get_last_lr() == [0.125]
    assert resumed.num_bad_epochs == straight.num_bad_epochs
