"""Optimizers against hand-computed steps, on a quadratic, and under misuse."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule
import chainrule.optim as optim

ALL = [
    (optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    (optim.Adam, {"lr": 0.1, "amsgrad": True, "weight_decay": 0.01}),
    (optim.AdamW, {"lr": 0.1}),
    (optim.RMSprop, {"lr": 0.01, "momentum": 0.5, "centered": True, "weight_decay": 0.01}),
    (optim.Adagrad, {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.01}),
    (optim.Adafactor, {"lr": 0.1, "weight_decay": 0.01, "d": 1.5}),
]
IDS = [f"{make.__name__}" for make, _ in ALL]

P0 = np.array([1.0, -2.0, 0.5])
G1 = np.array([0.5, 1.0, -0.25])
G2 = np.array([-0.1, 0.3, 0.2])


def two_steps(make, **kwargs) -> np.ndarray:
    """The parameter after steps with the gradients G1 then G2 (float64)."""
    p = chainrule.tensor(P0.copy(), requires_grad=True)
    opt = make([p], **kwargs)
    for g in (G1, G2):
        p.grad = g.copy()
        opt.step()
    return p.data


# ------------------------------------------------------------ one step against the rule


def test_sgd_plain_step_by_hand():
    p = chainrule.tensor(P0.copy(), requires_grad=True)
    p.grad = G1.copy()
    optim.SGD([p], lr=0.1).step()
    np.testing.assert_allclose(p.data, [0.95, -2.1, 0.525], rtol=1e-15)


def test_sgd_momentum_and_dampening_by_hand():
    # buf₁ = g₁ (no dampening on the first step); buf₂ = 0.9 buf₁ + (1 − 0.5) g₂
    buf2 = 0.9 * G1 + 0.5 * G2
    expected = P0 - 0.1 * G1 - 0.1 * buf2
    np.testing.assert_allclose(two_steps(optim.SGD, lr=0.1, momentum=0.9, dampening=0.5),
                               expected, rtol=1e-14)


def test_sgd_nesterov_weight_decay_maximize_by_hand():
    lr, mu, wd = 0.1, 0.9, 0.01
    g1 = -G1 + wd * P0
    p1 = P0 - lr * (g1 + mu * g1)
    g2 = -G2 + wd * p1
    buf2 = mu * g1 + g2
    expected = p1 - lr * (g2 + mu * buf2)
    got = two_steps(optim.SGD, lr=lr, momentum=mu, nesterov=True, weight_decay=wd,
                    maximize=True)
    np.testing.assert_allclose(got, expected, rtol=1e-14)


def test_adam_first_step_is_lr_times_sign():
    # m̂₁ = g and v̂₁ = g², so the first step is lr · g / (|g| + eps) ≈ lr · sign(g)
    p = chainrule.tensor(P0.copy(), requires_grad=True)
    p.grad = G1.copy()
    optim.Adam([p], lr=0.01).step()
    np.testing.assert_allclose(p.data, [0.99, -2.01, 0.51], rtol=1e-7)
    np.testing.assert_allclose(p.data, P0 - 0.01 * G1 / (np.abs(G1) + 1e-8), rtol=1e-15)


@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("decoupled", [False, True])
def test_adam_two_steps_by_hand(amsgrad, decoupled):
    lr, b1, b2, eps, wd = 0.01, 0.8, 0.9, 1e-8, 0.1
    p, m, v, vmax = P0.copy(), 0.0, 0.0, 0.0
    for t, g in enumerate((G1, G2), start=1):
        if decoupled:
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = np.maximum(vmax, v)
        vhat = (vmax if amsgrad else v) / (1 - b2**t)
        p = p - lr * (m / (1 - b1**t)) / (np.sqrt(vhat) + eps)
    make = optim.AdamW if decoupled else optim.Adam
    got = two_steps(make, lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd, amsgrad=amsgrad)
    np.testing.assert_allclose(got, p, rtol=1e-13)


@pytest.mark.parametrize("centered", [False, True])
@pytest.mark.parametrize("momentum", [0.0, 0.7])
def test_rmsprop_two_steps_by_hand(centered, momentum):
    lr, alpha, eps, wd = 0.01, 0.9, 1e-8, 0.1
    p, v, gbar, buf = P0.copy(), 0.0, 0.0, 0.0
    for g in (G1, G2):
        g = g + wd * p
        v = alpha * v + (1 - alpha) * g * g
        gbar = alpha * gbar + (1 - alpha) * g
        d = np.sqrt(v - gbar**2 if centered else v) + eps
        if momentum:
            buf = momentum * buf + g / d
            p = p - lr * buf
        else:
            p = p - lr * g / d
    got = two_steps(optim.RMSprop, lr=lr, alpha=alpha, eps=eps, weight_decay=wd,
                    momentum=momentum, centered=centered)
    np.testing.assert_allclose(got, p, rtol=1e-13)


def test_adagrad_two_steps_by_hand():
    lr, decay, wd, init, eps = 0.1, 0.5, 0.1, 0.2, 1e-10
    p, s = P0.copy(), np.full(3, init)
    for t, g in enumerate((G1, G2), start=1):
        g = g + wd * p
        s = s + g * g
        p = p - lr / (1 + (t - 1) * decay) * g / (np.sqrt(s) + eps)
    got = two_steps(optim.Adagrad, lr=lr, lr_decay=decay, weight_decay=wd,
                    initial_accumulator_value=init, eps=eps)
    np.testing.assert_allclose(got, p, rtol=1e-14)


def test_adagrad_takes_initial_accumulator_value_per_group():
    # NOTE: torch.optim.Adagrad fills every group's sum with the constructor's value instead.
    w = chainrule.tensor([1.0], requires_grad=True)
    b = chainrule.tensor([1.0], requires_grad=True)
    opt = optim.Adagrad([{"params": [w]}, {"params": [b], "initial_accumulator_value": 3.0}],
                        lr=0.1)
    w.grad = np.array([1.0], dtype=np.float32)
    b.grad = np.array([1.0], dtype=np.float32)
    opt.step()
    np.testing.assert_allclose([w.item(), b.item()], [0.9, 0.95], rtol=1e-6)


# ------------------------------------------------------------ convergence


@pytest.mark.parametrize(("make", "kwargs", "steps"), [
    (optim.SGD, {"lr": 0.1}, 200),
    (optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}, 200),
    (optim.Adam, {"lr": 0.05}, 600),
    (optim.Adam, {"lr": 0.05, "amsgrad": True}, 600),
    (optim.AdamW, {"lr": 0.05, "weight_decay": 0.0}, 600),
    (optim.RMSprop, {"lr": 0.01}, 600),
    (optim.RMSprop, {"lr": 0.01, "momentum": 0.5, "centered": True}, 600),
    (optim.Adagrad, {"lr": 0.5}, 600),
], ids=lambda v: v.__name__ if isinstance(v, type) else "")
def test_converges_on_a_quadratic(make, kwargs, steps):
    assert_converges(make, kwargs, steps)


def assert_converges(make, kwargs, steps, shape=(5,), atol=1e-3) -> None:
    """``make([x], **kwargs)`` brings x to the minimum c of ‖x − c‖² within ``steps``."""
    rng = np.random.default_rng(1)
    c = rng.standard_normal(shape)
    x = chainrule.tensor(rng.standard_normal(shape) * 3, requires_grad=True)
    opt = make([x], **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        diff = x - chainrule.tensor(c)
        (diff * diff).sum().backward()
        opt.step()
    np.testing.assert_allclose(x.data, c, atol=atol)


# ------------------------------------------------------------ mechanics


def test_zero_grad_sets_none_by_default_and_zeros_in_place_otherwise():
    w = chainrule.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    opt.zero_grad()
    assert w.grad is None
    (w * w).sum().backward()
    array = w._grad
    opt.zero_grad(set_to_none=False)
    assert w._grad is array and np.array_equal(array, [0.0, 0.0])


@pytest.mark.parametrize(("make", "kwargs"), ALL, ids=IDS)
def test_params_without_grad_are_skipped(make, kwargs):
    w = chainrule.tensor([1.0, 2.0], requires_grad=True)
    frozen = chainrule.tensor([3.0, 4.0], requires_grad=True)
    opt = make([w, frozen], **kwargs)
    w.grad = np.array([0.5, -0.5], dtype=np.float32)
    opt.step()
    assert np.array_equal(frozen.data, [3.0, 4.0])
    assert frozen not in opt.state and opt.state[w]["step"] == 1
    assert not np.array_equal(w.data, [1.0, 2.0])


@pytest.mark.parametrize(("make", "kwargs"), ALL, ids=IDS)
def test_float32_stays_float32(make, kwargs):
    w = chainrule.tensor(np.array([1.0, -2.0, 3.0], dtype=np.float32), requires_grad=True)
    opt = make([w], **kwargs)
    opt.param_groups[0]["lr"] = np.float64(kwargs["lr"])  # a NumPy scalar must not upcast
    data = w.data
    for g in ([0.1, 0.2, 0.3], [-0.3, 0.1, 0.0]):
        w._grad = np.array(g, dtype=np.float64)  # nor a float64 gradient (the setter refuses
        opt.step()                                # one; the array slot is written directly)
    assert w.dtype == np.float32 and w.data is data  # updated in place
    for value in opt.state[w].values():
        assert not isinstance(value, np.ndarray) or value.dtype == np.float32


@pytest.mark.parametrize(("make", "kwargs"), ALL, ids=IDS)
def test_step_leaves_the_gradient_array_alone(make, kwargs):
    w = chainrule.tensor([1.0, -2.0], requires_grad=True)
    opt = make([w], **kwargs)
    grad = np.array([0.5, 0.25], dtype=np.float32)
    for _ in range(3):
        w.grad = grad
        opt.step()
    assert np.array_equal(grad, [0.5, 0.25])


def test_param_groups_get_their_own_options_and_the_defaults():
    w = chainrule.tensor([1.0], requires_grad=True)
    b = chainrule.tensor([1.0], requires_grad=True)
    opt = optim.SGD([{"params": [w], "lr": 0.5}, {"params": b}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.5, 0.1]
    assert all(g["momentum"] == 0.9 and g["nesterov"] is False for g in opt.param_groups)
    w.grad = np.array([1.0], dtype=np.float32)
    b.grad = np.array([1.0], dtype=np.float32)
    opt.step()
    np.testing.assert_allclose([w.item(), b.item()], [0.5, 0.9], rtol=1e-6)


def test_add_param_group():
    w = chainrule.tensor([1.0], requires_grad=True)
    b = chainrule.tensor([2.0], requires_grad=True)
    opt = optim.Adam([w], lr=0.01)
    opt.add_param_group({"params": b, "betas": (0.5, 0.6)})
    assert len(opt.param_groups[1]["params"]) == 1 and opt.param_groups[1]["params"][0] is b
    assert opt.param_groups[1]["betas"] == (0.5, 0.6) and opt.param_groups[1]["lr"] == 0.01
    with pytest.raises(ValueError, match="appears twice"):
        opt.add_param_group({"params": [w]})


def test_closure_is_called_and_its_loss_returned():
    w = chainrule.tensor([2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with chainrule.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 4.0 and w.item() == 1.0


def test_step_bumps_the_version_so_a_stale_graph_cannot_backward():
    w = chainrule.tensor([2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    opt.step()
    with pytest.raises(RuntimeError, match="in-place"):
        loss.backward()


def test_repr_lists_each_group():
    opt = optim.SGD([chainrule.tensor([1.0], requires_grad=True)], lr=0.5, momentum=0.9)
    text = repr(opt)
    assert text.startswith("SGD (") and "Parameter Group 0" in text
    assert "    lr: 0.5" in text and "    momentum: 0.9" in text


# ------------------------------------------------------------ validation


def _param():
    return chainrule.tensor([1.0], requires_grad=True)


@pytest.mark.parametrize(("make", "kwargs", "value"), [
    (optim.SGD, {"lr": -0.1}, "-0.1"),
    (optim.SGD, {"lr": 0.1, "momentum": -0.5}, "-0.5"),
    (optim.SGD, {"lr": 0.1, "weight_decay": -1e-4}, "-0.0001"),
    (optim.SGD, {"lr": 0.1, "nesterov": True}, "momentum=0"),
    (optim.SGD, {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True},
     "dampening=0.1"),
    (optim.Adam, {"betas": (1.0, 0.999)}, "1.0"),
    (optim.Adam, {"betas": (0.9, -0.1)}, "-0.1"),
    (optim.AdamW, {"eps": -1e-8}, "-1e-08"),
    (optim.Adam, {"lr": math.nan}, "nan"),
    (optim.RMSprop, {"alpha": -0.9}, "-0.9"),
    (optim.RMSprop, {"momentum": -0.9}, "-0.9"),
    (optim.Adagrad, {"lr_decay": -0.5}, "-0.5"),
    (optim.Adagrad, {"initial_accumulator_value": -2.0}, "-2.0"),
    (optim.Rprop, {"etas": (1.5, 1.2)}, "1.5, 1.2"),
    (optim.Rprop, {"etas": (0.5, 0.9)}, "0.5, 0.9"),
    (optim.Rprop, {"step_sizes": (0.5, 0.1)}, "0.5, 0.1"),
], ids=lambda v: v.__name__ if isinstance(v, type) else None)
def test_bad_hyperparameters_raise_value_error_naming_the_value(make, kwargs, value):
    with pytest.raises(ValueError, match=value.replace(".", r"\.").replace("+", r"\+")):
        make([_param()], **kwargs)


def test_a_bad_group_option_is_rejected_too():
    with pytest.raises(ValueError, match="-1"):
        optim.SGD([{"params": [_param()], "lr": -1}], lr=0.1)


def test_empty_parameter_list():
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.Adam(iter(()))


def test_a_parameter_given_twice():
    w = _param()
    with pytest.raises(ValueError, match=r"\(shape \(1,\)\) appears twice"):
        optim.SGD([w, w], lr=0.1)
    with pytest.raises(ValueError, match="appears twice"):
        optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)


def test_a_non_tensor_parameter():
    with pytest.raises(ValueError, match="ndarray") as info:
        optim.SGD([_param(), np.ones(2)], lr=0.1)
    assert isinstance(info.value, TypeError)  # as PyTorch raises


def test_a_tensor_instead_of_an_iterable_and_a_set_and_a_non_leaf():
    w = _param()
    with pytest.raises(TypeError, match="iterable"):
        optim.SGD(w, lr=0.1)
    with pytest.raises(TypeError, match="ordered"):
        optim.SGD([{"params": {w}}], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([w * 2], lr=0.1)


def test_momentum_sgd_on_several_parameters_is_the_rule_bit_for_bit():
    """Small parameters take ``kernels.axpby_``'s NumPy body: b₂ = μ b₁ + g, θ − γ b,
    each product and sum rounded to float32."""
    rng = np.random.default_rng(0)
    shapes = [(3,), (5, 4), (2,), (5, 4)]
    params = [chainrule.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True)
              for s in shapes]
    grads = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    start = [p.data.copy() for p in params]
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    for _ in range(2):
        for p, g in zip(params, grads):
            p.grad = g.copy()
        opt.step()
    for p, p0, g in zip(params, start, grads):
        buf = np.float32(0.9) * g + g  # b₂ = μ b₁ + g with b₁ = g
        expected = (p0 - np.float32(0.1) * g) - np.float32(0.1) * buf
        np.testing.assert_array_equal(p.data, expected)
        assert p.dtype == np.float32


# ------------------------------------------------------------ the shared scratch buffer


def test_temporary_uses_one_buffer_per_dtype_and_slot_from_the_minimum_size_on():
    p = chainrule.zeros(6, requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    opt.scratch_min_size = 4
    small = opt.temporary(np.ones(3, np.float32))
    large = opt.temporary(np.ones((4, 5), np.float32))
    other_slot = opt.temporary(np.ones((4, 5), np.float32), 1)
    wide = opt.temporary(np.ones(7))
    assert (small.shape, small.dtype) == ((3,), np.float32) and small.base is None
    assert (large.shape, large.dtype) == ((4, 5), np.float32) and large.base is not None
    assert other_slot.base is not large.base
    assert (wide.shape, wide.dtype) == ((7,), np.float64) and wide.base is not large.base
    again = opt.temporary(np.ones((2, 2), np.float32))
    assert again.base is large.base  # the buffer grown for (4, 5) serves (2, 2) too
    p.grad = np.ones(6, np.float32)
    opt.step()
    assert opt.state_dict()["state"][0].keys() == {"step", "exp_avg", "exp_avg_sq"}


@pytest.mark.parametrize("make, kwargs", ALL + [(optim.RMSprop, {"lr": 0.01})],
                         ids=IDS + ["RMSprop-plain"])
def test_every_optimizer_gives_the_same_bits_through_the_shared_buffers(make, kwargs):
    """The buffers of ``temporary`` (slots 0 and 1, shared by all parameters) must not alias a
    live value: forcing them on for every parameter changes no bit of the result."""
    rng = np.random.default_rng(3)
    shapes = [(4, 3), (2,), (4, 3), (5,)]
    start = [rng.standard_normal(s) for s in shapes]
    grads = [[rng.standard_normal(s) for s in shapes] for _ in range(4)]

    def run(scratch_min_size):
        params = [chainrule.tensor(p.copy(), requires_grad=True) for p in start]
        opt = make(params, **kwargs)
        opt.scratch_min_size = scratch_min_size
        for step in grads:
            for p, g in zip(params, step):
                p.grad = g.copy()
            opt.step()
        return [p.data for p in params]

    for shared, fresh in zip(run(0), run(1 << 16)):
        np.testing.assert_array_equal(shared, fresh)
