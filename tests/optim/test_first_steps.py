"""Each optimizer's first three steps, in float64, against its algorithm as PyTorch's
documentation writes it, computed here coordinate by coordinate with Python floats (no torch).

The gradients are fixed numbers, not a loss, so every branch of a rule shows in the result:
weight decay, maximize, momentum with dampening, Nesterov, bias correction, AMSGrad's maximum
(the second gradient is small enough in two coordinates for v to fall), centred RMSprop, the
Adagrad lr decay. The learning rate changes before the third step, as a scheduler would change
it, which separates "γ multiplies the momentum buffer" from "γ folded into the buffer".
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule
import chainrule.optim as optim

P0 = [1.25, -2.0, 0.5, 3.0]
GRADS = [[0.5, 1.0, -0.25, 2.0], [-0.1, 0.3, 0.2, 0.05], [0.7, -0.4, 0.01, -1.5]]
LRS = [0.1, 0.1, 0.05]  # the group's lr at steps 1, 2, 3
RTOL = 1e-12
ATOL = 1e-14  # the parameters are O(1): 100 ulps of 1.0, for a coordinate that nears zero


def run(make, **kwargs):
    """The parameter after each of the three steps, through the optimizer under test."""
    p = chainrule.tensor(np.array(P0), requires_grad=True)
    opt = make([p], lr=LRS[0], **kwargs)
    seen = []
    for lr, grad in zip(LRS, GRADS):
        opt.param_groups[0]["lr"] = lr
        p.grad = np.array(grad)
        opt.step()
        seen.append(p.data.copy())
    assert p.data.dtype == np.float64
    return np.array(seen)


def by_hand(rule, **hyper):
    """The parameter after each step of ``rule(theta, g, lr, t, state, **hyper)``, applied to
    each coordinate on its own (``state`` is that coordinate's dict of buffers)."""
    theta = list(P0)
    states = [{} for _ in P0]
    seen = []
    for t, (lr, grads) in enumerate(zip(LRS, GRADS), start=1):
        theta = [rule(th, g, lr, t, state, **hyper)
                 for th, g, state in zip(theta, grads, states)]
        seen.append(list(theta))
    return np.array(seen)


# ------------------------------------------------------------ the documented algorithms


def sgd(theta, g, lr, t, state, momentum=0.0, dampening=0.0, weight_decay=0.0,
        nesterov=False, maximize=False):
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * theta
    if momentum != 0:
        if t > 1:
            state["b"] = momentum * state["b"] + (1 - dampening) * g
        else:
            state["b"] = g
        g = g + momentum * state["b"] if nesterov else state["b"]
    return theta - lr * g


def adam(theta, g, lr, t, state, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
         amsgrad=False, maximize=False, decoupled=False):
    beta1, beta2 = betas
    if maximize:
        g = -g
    if decoupled:
        theta = theta * (1 - lr * weight_decay)
    elif weight_decay != 0:
        g = g + weight_decay * theta
    state["m"] = beta1 * state.get("m", 0.0) + (1 - beta1) * g
    state["v"] = beta2 * state.get("v", 0.0) + (1 - beta2) * g * g
    m_hat = state["m"] / (1 - beta1**t)
    if amsgrad:
        state["v_max"] = max(state.get("v_max", 0.0), state["v"])
        v_hat = state["v_max"] / (1 - beta2**t)
    else:
        v_hat = state["v"] / (1 - beta2**t)
    return theta - lr * m_hat / (math.sqrt(v_hat) + eps)


def adamw(theta, g, lr, t, state, weight_decay=1e-2, **hyper):
    return adam(theta, g, lr, t, state, weight_decay=weight_decay, decoupled=True, **hyper)


def rmsprop(theta, g, lr, t, state, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
            centered=False, maximize=False):
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * theta
    state["v"] = alpha * state.get("v", 0.0) + (1 - alpha) * g * g
    v_tilde = state["v"]
    if centered:
        state["g_ave"] = alpha * state.get("g_ave", 0.0) + (1 - alpha) * g
        v_tilde = v_tilde - state["g_ave"] ** 2
    if momentum > 0:
        state["b"] = momentum * state.get("b", 0.0) + g / (math.sqrt(v_tilde) + eps)
        return theta - lr * state["b"]
    return theta - lr * g / (math.sqrt(v_tilde) + eps)


def adagrad(theta, g, lr, t, state, lr_decay=0.0, weight_decay=0.0,
            initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    if maximize:
        g = -g
    clr = lr / (1 + (t - 1) * lr_decay)
    if weight_decay != 0:
        g = g + weight_decay * theta
    state["sum"] = state.get("sum", initial_accumulator_value) + g * g
    return theta - clr * g / (math.sqrt(state["sum"]) + eps)


CASES = [  # (optimizer, reference rule, hyperparameters)
    (optim.SGD, sgd, {}),
    (optim.SGD, sgd, {"momentum": 0.9}),
    (optim.SGD, sgd, {"momentum": 0.9, "dampening": 0.5}),
    (optim.SGD, sgd, {"momentum": 0.8, "nesterov": True}),
    (optim.SGD, sgd, {"weight_decay": 0.1}),
    (optim.SGD, sgd, {"maximize": True}),
    (optim.SGD, sgd, {"momentum": 0.7, "dampening": 0.3, "weight_decay": 0.05,
                      "maximize": True}),
    (optim.SGD, sgd, {"momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    (optim.Adam, adam, {}),
    (optim.Adam, adam, {"betas": (0.5, 0.9)}),
    (optim.Adam, adam, {"betas": (0.8, 0.9), "amsgrad": True}),
    (optim.Adam, adam, {"weight_decay": 0.1}),
    (optim.Adam, adam, {"betas": (0.8, 0.9), "amsgrad": True, "weight_decay": 0.1,
                        "maximize": True, "eps": 1e-3}),
    (optim.AdamW, adamw, {}),
    (optim.AdamW, adamw, {"weight_decay": 0.3, "betas": (0.8, 0.9), "amsgrad": True}),
    (optim.AdamW, adamw, {"weight_decay": 0.3, "maximize": True}),
    (optim.RMSprop, rmsprop, {}),
    (optim.RMSprop, rmsprop, {"centered": True}),
    (optim.RMSprop, rmsprop, {"momentum": 0.9}),
    (optim.RMSprop, rmsprop, {"alpha": 0.9, "momentum": 0.5, "centered": True,
                              "weight_decay": 0.1, "eps": 1e-3}),
    (optim.RMSprop, rmsprop, {"maximize": True, "alpha": 0.8}),
    (optim.Adagrad, adagrad, {}),
    (optim.Adagrad, adagrad, {"lr_decay": 0.5}),
    (optim.Adagrad, adagrad, {"lr_decay": 0.1, "weight_decay": 0.2,
                              "initial_accumulator_value": 0.3, "eps": 1e-3}),
    (optim.Adagrad, adagrad, {"maximize": True}),
]


def _id(case):
    make, _, hyper = case
    return "-".join([make.__name__] + [f"{k}={v}" for k, v in hyper.items()])


@pytest.mark.parametrize("make,rule,hyper", CASES, ids=[_id(c) for c in CASES])
def test_three_steps_match_the_documented_algorithm(make, rule, hyper):
    np.testing.assert_allclose(run(make, **hyper), by_hand(rule, **hyper), rtol=RTOL, atol=ATOL)


def test_every_optimizer_is_covered_here():
    covered = {make.__name__ for make, _, _ in CASES}
    present = {name for name in optim.__all__
               if isinstance(getattr(optim, name), type)
               and issubclass(getattr(optim, name), optim.Optimizer)
               and getattr(optim, name) is not optim.Optimizer}
    assert present == covered


def test_first_adam_step_is_lr_times_the_sign_of_the_gradient():
    # With bias correction, m̂₁ = g and v̂₁ = g², so the first step is γ·g/(|g| + ε) ≈ γ·sign(g)
    # whatever β₁, β₂ and the size of g: a closed form that needs no reference rule at all.
    for betas in [(0.9, 0.999), (0.5, 0.5), (0.0, 0.99)]:
        p = chainrule.tensor(np.array(P0), requires_grad=True)
        opt = optim.Adam([p], lr=0.01, betas=betas, eps=0.0)
        p.grad = np.array(GRADS[0]) * 1e-3
        opt.step()
        np.testing.assert_allclose(p.data, np.array(P0) - 0.01 * np.sign(GRADS[0]),
                                   rtol=RTOL)


def test_sgd_dampening_scales_only_the_later_gradients():
    # b₁ = g₁ (no dampening on the first step), b₂ = μ b₁ + (1 − τ) g₂
    p = chainrule.tensor(np.array([0.0]), requires_grad=True)
    opt = optim.SGD([p], lr=1.0, momentum=0.5, dampening=0.75)
    p.grad = np.array([4.0])
    opt.step()
    assert p.data[0] == -4.0
    p.grad = np.array([8.0])
    opt.step()
    assert p.data[0] == -4.0 - (0.5 * 4.0 + 0.25 * 8.0)
