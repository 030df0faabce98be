"""Adadelta, Adamax, NAdam, RAdam, ASGD, Adafactor and LBFGS beyond their first steps: LBFGS
on the Rosenbrock function and on a quadratic (against torch where it is installed), its strong
Wolfe search, bad hyperparameters, float32 parameters, and state dicts that resume bit for bit."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

import chainrule
import chainrule.optim as optim
from chainrule.optim.lbfgs import strong_wolfe
from tests.optional import needs_torch, torch

from .helpers import batches, loss_and_backward, make_params

PER_PARAMETER = [
    (optim.Adadelta, {"lr": 0.5}),
    (optim.Adamax, {"lr": 0.05, "weight_decay": 0.1}),
    (optim.NAdam, {"lr": 0.05, "momentum_decay": 0.1}),
    (optim.RAdam, {"lr": 0.05, "betas": (0.8, 0.9)}),
    (optim.ASGD, {"lr": 0.05, "t0": 3.0}),
    (optim.Adafactor, {"lr": 0.05, "weight_decay": 0.1}),
]


def _ids(cases):
    return [make.__name__ for make, _ in cases]


# ------------------------------------------------------------ LBFGS


def rosenbrock(x):
    """(1 − x₀)² + 100 (x₁ − x₀²)², minimum 0 at (1, 1)."""
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def lbfgs_on(fn, x0, steps=1, **kwargs):
    x = chainrule.tensor(np.array(x0, dtype=float), requires_grad=True)
    opt = optim.LBFGS([x], **kwargs)

    def closure():
        opt.zero_grad()
        loss = fn(x)
        loss.backward()
        return loss

    for _ in range(steps):
        opt.step(closure)
    return x, opt


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_finds_the_minimum_of_rosenbrock(line_search_fn):
    # Without a line search a fixed step of 1 overshoots in the curved valley: lr = 0.5 there.
    # The default tolerance_change stops once the loss changes by < 1e-9, ~4e-5 from (1, 1).
    lr = 1 if line_search_fn else 0.5
    x, opt = lbfgs_on(rosenbrock, [-1.2, 1.0], steps=1, lr=lr, max_iter=500, max_eval=1000,
                      tolerance_grad=1e-12, tolerance_change=1e-30,
                      line_search_fn=line_search_fn)
    np.testing.assert_allclose(x.data, [1.0, 1.0], rtol=0, atol=1e-10)
    assert opt.state[x]["n_iter"] > 10


def test_strong_wolfe_needs_fewer_evaluations_on_rosenbrock():
    evals = {}
    for search, lr in [(None, 0.5), ("strong_wolfe", 1)]:
        x, opt = lbfgs_on(rosenbrock, [-1.2, 1.0], steps=1, lr=lr, max_iter=500,
                          max_eval=1000, tolerance_grad=1e-12, tolerance_change=1e-30,
                          line_search_fn=search)
        np.testing.assert_allclose(x.data, [1.0, 1.0], rtol=0, atol=1e-10)
        evals[search] = opt.state[x]["func_evals"]
    assert evals["strong_wolfe"] < 0.7 * evals[None]


def test_the_strong_wolfe_step_satisfies_both_conditions():
    # A 1-D line φ(t) = f(x + t d) along the steepest descent of Rosenbrock from (−1.2, 1).
    x0 = np.array([-1.2, 1.0])

    def f_and_grad(x):
        f = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
        g = np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2),
                      200 * (x[1] - x[0] ** 2)])
        return f, g

    f0, g0 = f_and_grad(x0)
    d = -g0
    for t_first in [1e-4, 1e-3, 1.0, 10.0]:  # too short (extrapolates), too long (zooms)
        t, f, g, evals = strong_wolfe(lambda t: f_and_grad(x0 + t * d), t_first, d, f0, g0,
                                      float(g0 @ d))
        assert f <= f0 + 1e-4 * t * (g0 @ d)
        assert abs(g @ d) <= -0.9 * (g0 @ d)
        assert (f, list(g)) == (f_and_grad(x0 + t * d)[0], list(f_and_grad(x0 + t * d)[1]))
        assert 1 <= evals <= 25


@pytest.mark.parametrize("t_first", [0.01, 1.95, 5.0])
def test_strong_wolfe_on_a_parabola_refuses_a_steep_climb(t_first):
    # φ(t) = (t − 1)²: t = 1.95 decreases φ enough (0.9025 < 1) but climbs at φ' = 1.9 >
    # 0.9 |φ'(0)| = 1.8, which the weak Wolfe conditions accept and the strong ones refuse.
    def phi(t):
        return (t - 1.0) ** 2, np.array([2 * (t - 1.0)])

    d = np.array([1.0])
    t, f, g, _ = strong_wolfe(phi, t_first, d, 1.0, np.array([-2.0]), -2.0)
    assert f <= 1.0 - 1e-4 * t * 2.0
    assert abs(g[0]) <= 0.9 * 2.0


def quadratic(x):
    a = chainrule.tensor(np.array([[3.0, 0.5, 0.0], [0.5, 1.0, 0.2], [0.0, 0.2, 2.0]]))
    b = chainrule.tensor(np.array([1.0, -2.0, 0.5]))
    return 0.5 * (x @ (a @ x)) - (b * x).sum()


def test_lbfgs_solves_a_quadratic():
    a = np.array([[3.0, 0.5, 0.0], [0.5, 1.0, 0.2], [0.0, 0.2, 2.0]])
    x, _ = lbfgs_on(quadratic, [2.0, 1.0, -1.0], lr=1, max_iter=50, tolerance_change=1e-30,
                    line_search_fn="strong_wolfe")
    np.testing.assert_allclose(x.data, np.linalg.solve(a, [1.0, -2.0, 0.5]), rtol=1e-7)


def test_lbfgs_keeps_history_size_pairs_and_counts_evaluations():
    x, opt = lbfgs_on(rosenbrock, [-1.2, 1.0], steps=3, lr=0.5, max_iter=10, history_size=3)
    state = opt.state[x]
    assert len(state["old_dirs"]) == len(state["old_stps"]) == len(state["ro"]) == 3
    assert state["n_iter"] == 30
    assert state["func_evals"] == 3 * 10  # max_iter calls each step (the last has none)


def test_lbfgs_returns_the_first_loss_and_stops_at_a_stationary_point():
    calls = []
    x = chainrule.tensor(np.array([1.0, 1.0]), requires_grad=True)
    opt = optim.LBFGS([x])

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = rosenbrock(x)
        loss.backward()
        return loss

    assert float(opt.step(closure)) == 0.0
    assert len(calls) == 1 and list(x.data) == [1.0, 1.0]


def test_lbfgs_needs_a_closure_and_one_group():
    x = chainrule.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="closure"):
        optim.LBFGS([x]).step()
    y = chainrule.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [x]}, {"params": [y]}])
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([x]).add_param_group({"params": [y]})


def test_lbfgs_defaults_are_pytorchs():
    opt = optim.LBFGS([chainrule.tensor(np.ones(2), requires_grad=True)], max_iter=8)
    group = opt.param_groups[0]
    assert (group["lr"], group["max_eval"], group["tolerance_grad"], group["tolerance_change"],
            group["history_size"], group["line_search_fn"]) == (1, 10, 1e-7, 1e-9, 100, None)


def test_lbfgs_moves_several_parameters_of_mixed_shapes():
    w = chainrule.tensor(np.array([[0.5, -1.0], [2.0, 0.0]]), requires_grad=True)
    b = chainrule.tensor(np.array([3.0]), requires_grad=True)
    opt = optim.LBFGS([w, b], max_iter=100, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = ((w - 1.0) ** 2).sum() + ((b + 2.0) ** 2).sum() * 3
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(w.data, np.ones((2, 2)), atol=1e-7)
    np.testing.assert_allclose(b.data, [-2.0], atol=1e-7)


def _torch_lbfgs(fn, x0, steps, **kwargs):
    x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([x], **kwargs)

    def closure():
        opt.zero_grad()
        loss = fn(x)
        loss.backward()
        return loss

    seen = []
    for _ in range(steps):
        opt.step(closure)
        seen.append(x.detach().numpy().copy())
    return np.array(seen)


def _torch_quadratic(x):
    a = torch.tensor([[3.0, 0.5, 0.0], [0.5, 1.0, 0.2], [0.0, 0.2, 2.0]], dtype=torch.float64)
    b = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    return 0.5 * (x @ (a @ x)) - (b * x).sum()


@needs_torch
@pytest.mark.parametrize(("fn", "torch_fn", "x0", "kwargs"), [
    (quadratic, _torch_quadratic, [2.0, 1.0, -1.0], {"lr": 0.8, "max_iter": 2}),
    (quadratic, _torch_quadratic, [2.0, 1.0, -1.0], {"lr": 1, "max_iter": 3,
                                                     "history_size": 2}),
    (rosenbrock, rosenbrock, [-1.2, 1.0], {"lr": 0.5, "max_iter": 4}),
    (rosenbrock, rosenbrock, [-1.2, 1.0], {"lr": 0.5, "max_iter": 5, "history_size": 3}),
], ids=["quadratic", "quadratic-history-2", "rosenbrock", "rosenbrock-history-3"])
def test_lbfgs_iterates_match_torch_without_line_search(fn, torch_fn, x0, kwargs):
    want = _torch_lbfgs(torch_fn, x0, 6, **kwargs)
    x = chainrule.tensor(np.array(x0), requires_grad=True)
    opt = optim.LBFGS([x], **kwargs)

    def closure():
        opt.zero_grad()
        loss = fn(x)
        loss.backward()
        return loss

    for i in range(6):
        opt.step(closure)
        np.testing.assert_allclose(x.data, want[i], rtol=1e-9, atol=1e-12)


@needs_torch
def test_lbfgs_with_strong_wolfe_reaches_torchs_minimum():
    # The searches interpolate differently, so the paths may differ; the minimum does not.
    want = _torch_lbfgs(rosenbrock, [-1.2, 1.0], 3, max_iter=100,
                        line_search_fn="strong_wolfe")
    x, _ = lbfgs_on(rosenbrock, [-1.2, 1.0], steps=3, max_iter=100,
                    line_search_fn="strong_wolfe")
    np.testing.assert_allclose(x.data, want[-1], atol=1e-6)


# ------------------------------------------------------------ hyperparameters


@pytest.mark.parametrize(("make", "kwargs", "message"), [
    (optim.Adadelta, {"lr": -1.0}, "learning rate"),
    (optim.Adadelta, {"rho": 1.5}, "rho"),
    (optim.Adadelta, {"rho": -0.1}, "rho"),
    (optim.Adadelta, {"eps": -1e-6}, "epsilon"),
    (optim.Adadelta, {"weight_decay": -0.1}, "weight_decay"),
    (optim.Adamax, {"lr": -1.0}, "learning rate"),
    (optim.Adamax, {"betas": (1.0, 0.9)}, "beta parameter at index 0"),
    (optim.Adamax, {"betas": (0.9, -0.1)}, "beta parameter at index 1"),
    (optim.Adamax, {"eps": -1.0}, "epsilon"),
    (optim.NAdam, {"lr": -1.0}, "learning rate"),
    (optim.NAdam, {"momentum_decay": -0.1}, "momentum_decay"),
    (optim.NAdam, {"betas": (0.9, 1.0)}, "beta parameter at index 1"),
    (optim.NAdam, {"weight_decay": -1.0}, "weight_decay"),
    (optim.RAdam, {"lr": -1.0}, "learning rate"),
    (optim.RAdam, {"betas": (-0.5, 0.9)}, "beta parameter at index 0"),
    (optim.RAdam, {"eps": -1.0}, "epsilon"),
    (optim.ASGD, {"lr": -1.0}, "learning rate"),
    (optim.ASGD, {"weight_decay": -1.0}, "weight_decay"),
    (optim.LBFGS, {"lr": -1.0}, "learning rate"),
    (optim.LBFGS, {"max_iter": 0}, "max_iter"),
    (optim.LBFGS, {"max_eval": 0}, "max_eval"),
    (optim.LBFGS, {"history_size": 0}, "history_size"),
    (optim.LBFGS, {"tolerance_grad": -1.0}, "tolerance_grad"),
    (optim.LBFGS, {"tolerance_change": float("nan")}, "tolerance_change"),
    (optim.LBFGS, {"line_search_fn": "armijo"}, "line_search_fn"),
])
def test_bad_hyperparameters_raise_naming_them(make, kwargs, message):
    with pytest.raises(ValueError, match=message):
        make([chainrule.tensor(np.ones(2), requires_grad=True)], **kwargs)


def test_a_bad_group_hyperparameter_raises_too():
    w, b = make_params()
    opt = optim.Adadelta([w])
    with pytest.raises(ValueError, match="rho"):
        opt.add_param_group({"params": [b], "rho": 2.0})
    with pytest.raises(ValueError, match="momentum_decay"):
        optim.NAdam([{"params": [w]}, {"params": [b], "momentum_decay": -1.0}])


@pytest.mark.parametrize(("make", "field", "value"), [
    (optim.Adadelta, "rho", 1.5),
    (optim.NAdam, "momentum_decay", -0.5),
])
def test_load_state_dict_refuses_out_of_range_hyperparameters(make, field, value):
    w, b = make_params()
    opt = make([w, b])
    state = opt.state_dict()
    state["param_groups"][0][field] = value
    with pytest.raises(ValueError, match=field):
        opt.load_state_dict(state)


def test_defaults_are_pytorchs():
    p = [chainrule.tensor(np.ones(2), requires_grad=True)]
    assert optim.Adadelta(p).defaults == dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0,
                                              maximize=False)
    assert optim.Adamax(p).defaults == dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8,
                                            weight_decay=0, maximize=False)
    assert optim.NAdam(p).defaults == dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8,
                                           weight_decay=0, momentum_decay=4e-3,
                                           decoupled_weight_decay=False, maximize=False)
    assert optim.RAdam(p).defaults == dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                                           weight_decay=0, decoupled_weight_decay=False,
                                           maximize=False)
    assert optim.ASGD(p).defaults == dict(lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6,
                                          weight_decay=0, maximize=False)
    # accepted and ignored, as the docstrings say
    optim.Adadelta(p, foreach=True, capturable=True, differentiable=False)
    optim.NAdam(p, foreach=False, capturable=False, differentiable=False)
    optim.ASGD(p, foreach=None, maximize=True, differentiable=False, capturable=False)


# ------------------------------------------------------------ dtypes and state dicts


@pytest.mark.parametrize(("make", "kwargs"), PER_PARAMETER, ids=_ids(PER_PARAMETER))
def test_float32_parameters_and_state_stay_float32(make, kwargs):
    w, b = make_params(np.float32)
    opt = make([w, b], **kwargs)
    for x, y in batches(5):
        opt.zero_grad()
        loss_and_backward(w, b, x.astype(np.float32), y.astype(np.float32))
        opt.step()
    for p in (w, b):
        assert p.data.dtype == np.float32
        for value in opt.state[p].values():
            assert not isinstance(value, np.ndarray) or value.dtype == np.float32


def test_lbfgs_keeps_float32_parameters_float32():
    x = chainrule.tensor(np.array([-1.2, 1.0], np.float32), requires_grad=True)
    opt = optim.LBFGS([x], line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = rosenbrock(x)
        loss.backward()
        return loss

    opt.step(closure)
    assert x.data.dtype == np.float32
    assert opt.state[x]["d"].dtype == np.float32
    assert all(s.dtype == np.float32 for s in opt.state[x]["old_stps"])


def _train(make, kwargs, data, opt=None, params=None):
    w, b = params if params is not None else make_params()
    opt = opt if opt is not None else make([w, b], **kwargs)
    for x, y in data:
        opt.zero_grad()
        loss_and_backward(w, b, x, y)
        opt.step()
    return opt, (w, b)


@pytest.mark.parametrize(("make", "kwargs"), PER_PARAMETER, ids=_ids(PER_PARAMETER))
def test_a_state_dict_resumes_bit_for_bit(make, kwargs):
    data = batches(12)
    _, (w_ref, b_ref) = _train(make, kwargs, data)
    opt, (w, b) = _train(make, kwargs, data[:6])
    # the saved state goes through JSON-like plain data: numbers as Python numbers
    saved = copy.deepcopy(opt.state_dict())
    json.dumps(saved["param_groups"])
    w2 = chainrule.tensor(w.data.copy(), requires_grad=True)
    b2 = chainrule.tensor(b.data.copy(), requires_grad=True)
    fresh = make([w2, b2], **kwargs)
    fresh.load_state_dict(saved)
    _train(make, kwargs, data[6:], opt=fresh, params=(w2, b2))
    assert np.array_equal(w2.data, w_ref) and np.array_equal(b2.data, b_ref)


def test_lbfgs_state_dict_resumes_bit_for_bit_and_is_a_copy():
    def run(opt, x, steps):
        def closure():
            opt.zero_grad()
            loss = rosenbrock(x)
            loss.backward()
            return loss
        for _ in range(steps):
            opt.step(closure)

    for search in (None, "strong_wolfe"):
        kwargs = dict(lr=0.5 if search is None else 1, max_iter=3, history_size=4,
                      line_search_fn=search)
        x_ref = chainrule.tensor(np.array([-1.2, 1.0]), requires_grad=True)
        run(optim.LBFGS([x_ref], **kwargs), x_ref, 6)
        x = chainrule.tensor(np.array([-1.2, 1.0]), requires_grad=True)
        opt = optim.LBFGS([x], **kwargs)
        run(opt, x, 3)
        saved = opt.state_dict()
        before = copy.deepcopy(saved)
        run(opt, x, 1)  # the live history changes; the saved copy must not
        assert len(saved["state"][0]["old_dirs"]) == len(before["state"][0]["old_dirs"])
        for a, b in zip(saved["state"][0]["old_dirs"], before["state"][0]["old_dirs"]):
            assert np.array_equal(a, b)
        x2 = chainrule.tensor(np.array(_point_after(kwargs, 3)), requires_grad=True)
        fresh = optim.LBFGS([x2], **kwargs)
        fresh.load_state_dict(before)
        run(fresh, x2, 3)
        assert np.array_equal(x2.data, x_ref.data)


def _point_after(kwargs, steps):
    x, _ = lbfgs_on(rosenbrock, [-1.2, 1.0], steps=steps, **kwargs)
    return x.data.copy()


def test_lbfgs_load_state_dict_refuses_a_history_of_the_wrong_size():
    x, opt = lbfgs_on(rosenbrock, [-1.2, 1.0], lr=0.5, max_iter=3)
    state = opt.state_dict()
    state["state"][0]["old_dirs"][0] = np.zeros(3)
    with pytest.raises(ValueError, match="old_dirs"):
        opt.load_state_dict(state)
    state = opt.state_dict()
    state["state"][0]["H_diag"] = float("nan")
    with pytest.raises(ValueError, match="H_diag"):
        opt.load_state_dict(state)


@pytest.mark.parametrize("make", [
    lambda params: optim.NAdam(params, lr=0.05),
    lambda params: optim.ASGD(params, lr=0.05, t0=2.0),
    lambda params: optim.LBFGS(params, lr=0.5, max_iter=3, history_size=2),
    lambda params: optim.LBFGS(params, max_iter=3, line_search_fn="strong_wolfe"),
], ids=["NAdam", "ASGD", "LBFGS", "LBFGS-strong-wolfe"])
def test_a_checkpoint_file_resumes_bit_for_bit(make, tmp_path):
    # Through the safetensors checkpoint: number state (NAdam's mu_product, ASGD's eta and
    # mu) as JSON, LBFGS's history lists of flat vectors as arrays.
    from chainrule.train.checkpoint import Checkpoint

    data = batches(8)

    def train(model, opt, part):
        for x, y in part:
            def closure(x=x, y=y):
                opt.zero_grad()
                residual = model(chainrule.tensor(x)).reshape(-1) - chainrule.tensor(y)
                loss = (residual * residual).mean()
                loss.backward()
                return loss
            opt.step(closure)

    chainrule.manual_seed(0)
    model = chainrule.nn.Linear(3, 1).double()
    opt = make(list(model.parameters()))
    train(model, opt, data[:4])
    Checkpoint(model, opt).save(tmp_path / "ckpt.safetensors")
    train(model, opt, data[4:])

    chainrule.manual_seed(1)
    fresh = chainrule.nn.Linear(3, 1).double()
    fresh_opt = make(list(fresh.parameters()))
    Checkpoint(fresh, fresh_opt).load(tmp_path / "ckpt.safetensors")
    train(fresh, fresh_opt, data[4:])
    for a, b in zip(model.parameters(), fresh.parameters()):
        assert np.array_equal(a.data, b.data)


@pytest.mark.parametrize(("make", "entry", "value", "message"), [
    (optim.NAdam, "mu_product", "x", "mu_product"),
    (optim.ASGD, "eta", float("inf"), "eta"),
    (optim.ASGD, "ax", 1.0, "ax"),
])
def test_load_state_dict_refuses_bad_number_state(make, entry, value, message):
    opt, _ = _train(make, {"lr": 0.05}, batches(2))
    state = opt.state_dict()
    state["state"][0][entry] = value
    with pytest.raises(ValueError, match=message):
        opt.load_state_dict(state)
