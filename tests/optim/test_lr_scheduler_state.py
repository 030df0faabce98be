"""The schedules added for PyTorch parity (LambdaLR, MultiplicativeLR, ConstantLR, PolynomialLR,
CosineAnnealingWarmRestarts, CyclicLR, SequentialLR, ChainedScheduler): state dicts that resume
identically, also through a JSON-only checkpoint; functions never saved; bad arguments refused
with PyTorch's ValueErrors."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

import chainrule
import chainrule.optim as optim
from chainrule.optim import lr_scheduler as sched
from chainrule.train.checkpoint import Checkpoint

LRS = (0.1, 0.05)


def _model_and_optimizer(name="SGD", **kwargs):
    model = chainrule.nn.Linear(2, 1)
    groups = [{"params": [model.weight], "lr": LRS[0]}, {"params": [model.bias], "lr": LRS[1]}]
    return model, getattr(optim, name)(groups, **kwargs)


def halve(epoch):
    return 0.5 ** (epoch % 4)


class Decay:
    """A callable object: its ``__dict__`` is what a state dict saves of it."""

    def __init__(self, rate):
        self.rate = rate

    def __call__(self, epoch):
        return self.rate ** epoch


MAKERS = {
    "LambdaLR": lambda opt: sched.LambdaLR(opt, lambda e: 1 / (1 + e)),
    "LambdaLR-objects": lambda opt: sched.LambdaLR(opt, [Decay(0.9), halve]),
    "MultiplicativeLR": lambda opt: sched.MultiplicativeLR(opt, lambda e: 0.9 + 0.02 * (e % 2)),
    "ConstantLR": lambda opt: sched.ConstantLR(opt, factor=0.5, total_iters=10),
    "PolynomialLR": lambda opt: sched.PolynomialLR(opt, total_iters=12, power=2.0),
    "CosineAnnealingWarmRestarts": lambda opt: sched.CosineAnnealingWarmRestarts(
        opt, T_0=3, T_mult=2, eta_min=0.001),
    "CyclicLR": lambda opt: sched.CyclicLR(opt, base_lr=0.01, max_lr=[0.1, 0.2],
                                           step_size_up=3, step_size_down=4,
                                           mode="triangular2"),
    "CyclicLR-scale_fn": lambda opt: sched.CyclicLR(opt, base_lr=0.01, max_lr=0.1,
                                                    step_size_up=2, scale_fn=Decay(0.8),
                                                    scale_mode="iterations"),
    "SequentialLR": lambda opt: sched.SequentialLR(
        opt, [sched.LinearLR(opt, start_factor=0.1, total_iters=3),
              sched.MultiStepLR(opt, milestones=[2, 4], gamma=0.5),
              sched.CosineAnnealingLR(opt, T_max=6)], milestones=[4, 10]),
    "ChainedScheduler": lambda opt: sched.ChainedScheduler(
        [sched.ConstantLR(opt, factor=0.5, total_iters=9), sched.ExponentialLR(opt, gamma=0.9),
         sched.LambdaLR(opt, halve)]),
}


def _run(scheduler, opt, steps):
    """(lr, momentum) of each group after each of ``steps`` steps."""
    seen = []
    for _ in range(steps):
        opt.step()
        scheduler.step()
        seen.append([(g["lr"], g.get("momentum", 0.0)) for g in opt.param_groups])
    return seen


@pytest.mark.parametrize("name", MAKERS)
def test_a_state_dict_resumes_the_schedule_identically(name):
    _, opt = _model_and_optimizer(momentum=0.5)
    scheduler = MAKERS[name](opt)
    _run(scheduler, opt, 7)
    opt_state, state = copy.deepcopy(opt.state_dict()), copy.deepcopy(scheduler.state_dict())
    expected = _run(scheduler, opt, 15)
    _, fresh_opt = _model_and_optimizer(momentum=0.5)
    fresh = MAKERS[name](fresh_opt)
    fresh_opt.load_state_dict(opt_state)
    fresh.load_state_dict(state)
    assert fresh.get_last_lr() == [g["lr"] for g in fresh_opt.param_groups]
    assert _run(fresh, fresh_opt, 15) == expected
    assert len({tuple(row) for row in expected}) > 1  # the rates change after the resume


@pytest.mark.parametrize("name", MAKERS)
def test_a_checkpoint_resumes_the_schedule_identically(name, tmp_path):
    model, opt = _model_and_optimizer(momentum=0.5)
    scheduler = MAKERS[name](opt)
    _run(scheduler, opt, 6)
    path = tmp_path / "ckpt.safetensors"
    Checkpoint(model, opt, scheduler).save(path, epoch=6)
    json.dumps(scheduler.state_dict())  # plain data: no function in it
    expected = _run(scheduler, opt, 20)
    fresh_model, fresh_opt = _model_and_optimizer(momentum=0.5)
    fresh = MAKERS[name](fresh_opt)
    assert Checkpoint(fresh_model, fresh_opt, fresh).load(path)["epoch"] == 6
    assert _run(fresh, fresh_opt, 20) == expected


def test_functions_are_not_saved_but_callable_objects_state_is():
    _, opt = _model_and_optimizer()
    decay = Decay(0.9)
    scheduler = sched.LambdaLR(opt, [decay, lambda e: 1.0])
    state = scheduler.state_dict()
    assert state["lr_lambdas"] == [{"rate": 0.9}, None]
    decay.rate = 0.5
    scheduler.load_state_dict(state)
    assert decay.rate == 0.9  # the object's state came back; the function is the code's
    cyclic = sched.CyclicLR(opt, 0.01, 0.1, scale_fn=lambda x: 1.0)
    assert cyclic.state_dict()["_scale_fn_custom"] is None
    assert sched.CyclicLR(opt, 0.01, 0.1).state_dict()["_scale_fn_custom"] is None


def test_lambda_state_dicts_hold_what_torch_saves():
    torch = pytest.importorskip("torch")
    ref_opt = torch.optim.SGD([{"params": [torch.zeros(2, requires_grad=True)], "lr": lr}
                               for lr in LRS])
    _, opt = _model_and_optimizer()
    for name in ("LambdaLR", "MultiplicativeLR"):
        ours = getattr(sched, name)(opt, [Decay(0.9), halve])
        ref = getattr(torch.optim.lr_scheduler, name)(ref_opt, [Decay(0.9), halve])
        assert ours.state_dict()["lr_lambdas"] == ref.state_dict()["lr_lambdas"]


@pytest.mark.parametrize(("make", "change", "message"), [
    (MAKERS["LambdaLR"], {"lr_lambdas": [{"rate": 0.5}, None]}, r"lr_lambdas\[0\] holds"),
    (MAKERS["LambdaLR"], {"lr_lambdas": [None]}, "lr_lambdas must be a list of 2"),
    (MAKERS["LambdaLR-objects"], {"lr_lambdas": [{"rate": "x"}, None]}, "rate must be a"),
    (MAKERS["LambdaLR-objects"], {"lr_lambdas": [{"speed": 1.0}, None]}, "unknown fields"),
    (MAKERS["CyclicLR-scale_fn"], {"_scale_fn_custom": {"rate": None}}, "rate must be a"),
    (MAKERS["CyclicLR"], {"mode": "exp_range"}, "mode must stay 'triangular2'"),
    (MAKERS["CyclicLR"], {"max_lrs": [0.1, -0.2]}, "max_lrs must be >= 0"),
    (MAKERS["CosineAnnealingWarmRestarts"], {"T_i": 1.5}, "T_i must be an integer"),
    (MAKERS["ConstantLR"], {"factor": "0.5"}, "factor must be a number"),
    (MAKERS["SequentialLR"], {"_milestones": [4.5, 10]}, "_milestones must be an integer"),
    (MAKERS["SequentialLR"], {"_schedulers": []}, "_schedulers must be a list of 3"),
    (MAKERS["ChainedScheduler"], {"extra": 1}, r"unknown fields \['extra'\]"),
])
def test_a_bad_state_is_refused_and_changes_nothing(make, change, message):
    _, opt = _model_and_optimizer(momentum=0.5)
    scheduler = make(opt)
    _run(scheduler, opt, 3)
    before = scheduler.state_dict()
    with pytest.raises(ValueError, match=message):
        scheduler.load_state_dict({**scheduler.state_dict(), **change})
    assert scheduler.state_dict() == before


@pytest.mark.parametrize("name", ["SequentialLR", "ChainedScheduler"])
def test_a_bad_inner_state_puts_back_the_inner_states_already_loaded(name):
    _, opt = _model_and_optimizer(momentum=0.5)
    scheduler = MAKERS[name](opt)
    _run(scheduler, opt, 5)
    before = scheduler.state_dict()
    _, other_opt = _model_and_optimizer(momentum=0.5)
    other = MAKERS[name](other_opt)
    state = other.state_dict()  # epoch 0: differs from ``before`` in every inner schedule
    state["_schedulers"][-1]["last_epoch"] = "x"
    with pytest.raises(ValueError, match="state last_epoch must be an integer"):
        scheduler.load_state_dict(state)
    assert scheduler.state_dict() == before


def _bad(module, optimizers):
    """Constructors that PyTorch refuses with a ValueError: (label, call) pairs."""
    opt, adagrad, other = optimizers

    def f(e):
        return 1.0

    return [
        ("ConstantLR factor", lambda: module.ConstantLR(opt, factor=1.5)),
        ("ConstantLR factor<0", lambda: module.ConstantLR(opt, factor=-0.1)),
        ("T_0", lambda: module.CosineAnnealingWarmRestarts(opt, T_0=0)),
        ("T_0 float", lambda: module.CosineAnnealingWarmRestarts(opt, T_0=2.5)),
        ("T_mult", lambda: module.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=0)),
        ("T_mult float", lambda: module.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=1.5)),
        ("eta_min", lambda: module.CosineAnnealingWarmRestarts(opt, T_0=2, eta_min="0")),
        ("epoch", lambda: module.CosineAnnealingWarmRestarts(opt, T_0=2).step(-1)),
        ("CyclicLR mode", lambda: module.CyclicLR(opt, 0.01, 0.1, mode="linear")),
        ("CyclicLR base_lr", lambda: module.CyclicLR(opt, [0.01], 0.1)),
        ("CyclicLR max_lr", lambda: module.CyclicLR(opt, 0.01, [0.1, 0.2, 0.3])),
        ("CyclicLR base_momentum", lambda: module.CyclicLR(opt, 0.01, 0.1,
                                                           base_momentum=[0.8])),
        ("CyclicLR no momentum", lambda: module.CyclicLR(adagrad, 0.01, 0.1)),
        ("LambdaLR lambdas", lambda: module.LambdaLR(opt, [f])),
        ("MultiplicativeLR lambdas", lambda: module.MultiplicativeLR(opt, [f, f, f])),
        ("SequentialLR none", lambda: module.SequentialLR(opt, [], milestones=[])),
        ("SequentialLR milestones", lambda: module.SequentialLR(
            opt, [module.ConstantLR(opt), module.ExponentialLR(opt, 0.9)], milestones=[2, 4])),
        ("SequentialLR plateau", lambda: module.SequentialLR(
            opt, [module.ConstantLR(opt), module.ReduceLROnPlateau(opt)], milestones=[2])),
        ("ChainedScheduler none", lambda: module.ChainedScheduler([])),
        ("ChainedScheduler plateau", lambda: module.ChainedScheduler(
            [module.ReduceLROnPlateau(opt)])),
    ]


def _ours():
    return (_model_and_optimizer()[1], optim.Adagrad([chainrule.zeros(2, requires_grad=True)]),
            _model_and_optimizer()[1])


BAD_IDS = [label for label, _ in _bad(sched, _ours())]
MESSAGES = [
    "Constant multiplicative factor expected to be between 0 and 1.",
    "Constant multiplicative factor expected to be between 0 and 1.",
    "Expected positive integer T_0, but got 0",
    "Expected positive integer T_0, but got 2.5",
    "Expected integer T_mult >= 1, but got 0",
    "Expected integer T_mult >= 1, but got 1.5",
    "Expected float or int eta_min, but got 0 of type <class 'str'>",
    "Expected non-negative epoch, but got -1",
    "mode is invalid and scale_fn is None",
    "base_lr must have the same length as optimizer.param_groups. base_lr has 1 values, "
    "param_groups has 2.",
    "max_lr must have the same length as optimizer.param_groups. max_lr has 3 values, "
    "param_groups has 2.",
    "base_momentum must have the same length as optimizer.param_groups. base_momentum has 1 "
    "values, param_groups has 2.",
    "optimizer must support momentum or beta1 with `cycle_momentum` option enabled",
    "Expected 2 lr_lambdas, but got 1",
    "Expected 2 lr_lambdas, but got 3",
    "SequentialLR expects at least one scheduler, but got no scheduler.",
    "Sequential Schedulers expects number of schedulers provided to be one more than the number "
    "of milestone points, but got number of schedulers 2 and the number of milestones to be "
    "equal to 2",
    "SequentialLR does not support `ReduceLROnPlateau` scheduler as it requires additional "
    "kwargs to be specified when calling `step`, but got one at index 1 in the given "
    "schedulers sequence.",
    "ChainedScheduler expects at least one scheduler to be chained, but got no scheduler.",
    "ChainedScheduler does not support `ReduceLROnPlateau` scheduler as it requires additional "
    "kwargs to be specified when calling `step`, but got one at index 0 in the given "
    "schedulers sequence.",
]


@pytest.mark.parametrize("i", range(len(MESSAGES)), ids=BAD_IDS)
def test_bad_arguments_raise_pytorchs_value_error(i):
    _, call = _bad(sched, _ours())[i]
    with pytest.raises(ValueError) as err:
        call()
    assert str(err.value) == MESSAGES[i]


@pytest.mark.parametrize("i", range(len(MESSAGES)), ids=BAD_IDS)
def test_torch_raises_the_same_value_errors(i):
    torch = pytest.importorskip("torch")
    params = [{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in LRS]
    optimizers = (torch.optim.SGD(params), torch.optim.Adagrad([torch.zeros(2)]), None)
    _, call = _bad(torch.optim.lr_scheduler, optimizers)[i]
    with pytest.raises(ValueError) as err:
        call()
    assert str(err.value) == MESSAGES[i]


def test_schedulers_of_another_optimizer_are_refused():
    _, opt = _model_and_optimizer()
    _, other = _model_and_optimizer()
    with pytest.raises(ValueError, match="expects all schedulers to belong to the same "
                                         "optimizer, but got scheduler ExponentialLR at index 1"):
        sched.SequentialLR(opt, [sched.ConstantLR(opt), sched.ExponentialLR(other, 0.9)], [3])
    with pytest.raises(ValueError, match="ChainedScheduler expects all schedulers to belong"):
        sched.ChainedScheduler([sched.ConstantLR(opt), sched.ExponentialLR(other, 0.9)])
    with pytest.raises(TypeError, match="at index 0 should have `optimizer`"):
        sched.ChainedScheduler([object()], optimizer=opt)


def test_step_with_an_epoch_is_deprecated_and_uses_the_closed_form():
    _, opt = _model_and_optimizer()
    scheduler = sched.PolynomialLR(opt, total_iters=10, power=2.0)
    with pytest.warns(UserWarning, match="deprecated"):
        scheduler.step(4)
    assert scheduler.last_epoch == 4
    np.testing.assert_allclose(scheduler.get_last_lr(), [lr * 0.6**2 for lr in LRS],
                               rtol=1e-15)


def test_the_new_schedules_are_exported_as_in_torch():
    names = {"LambdaLR", "MultiplicativeLR", "ConstantLR", "PolynomialLR",
             "CosineAnnealingWarmRestarts", "CyclicLR", "SequentialLR", "ChainedScheduler"}
    assert names <= set(sched.__all__)
    assert all(getattr(optim.lr_scheduler, name).__doc__ for name in names)
