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


def adadelta(theta, g, lr, t, state, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * theta
    state["v"] = rho * state.get("v", 0.0) + (1 - rho) * g * g
    delta = math.sqrt(state.get("u", 0.0) + eps) / math.sqrt(state["v"] + eps) * g
    state["u"] = rho * state.get("u", 0.0) + (1 - rho) * delta * delta
    return theta - lr * delta


def adamax(theta, g, lr, t, state, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
           maximize=False):
    beta1, beta2 = betas
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * theta
    state["m"] = beta1 * state.get("m", 0.0) + (1 - beta1) * g
    state["u"] = max(beta2 * state.get("u", 0.0), abs(g) + eps)
    return theta - lr * state["m"] / ((1 - beta1**t) * state["u"])


def nadam(theta, g, lr, t, state, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
          momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False):
    beta1, beta2 = betas
    if maximize:
        g = -g
    if decoupled_weight_decay:
        theta = theta * (1 - lr * weight_decay)
    elif weight_decay != 0:
        g = g + weight_decay * theta
    mu = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    state["prod"] = state.get("prod", 1.0) * mu
    state["m"] = beta1 * state.get("m", 0.0) + (1 - beta1) * g
    state["v"] = beta2 * state.get("v", 0.0) + (1 - beta2) * g * g
    m_hat = (mu_next * state["m"] / (1 - state["prod"] * mu_next)
             + (1 - mu) * g / (1 - state["prod"]))
    v_hat = state["v"] / (1 - beta2**t)
    return theta - lr * m_hat / (math.sqrt(v_hat) + eps)


def radam(theta, g, lr, t, state, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
          decoupled_weight_decay=False, maximize=False):
    beta1, beta2 = betas
    if maximize:
        g = -g
    if decoupled_weight_decay:
        theta = theta * (1 - lr * weight_decay)
    elif weight_decay != 0:
        g = g + weight_decay * theta
    state["m"] = beta1 * state.get("m", 0.0) + (1 - beta1) * g
    state["v"] = beta2 * state.get("v", 0.0) + (1 - beta2) * g * g
    m_hat = state["m"] / (1 - beta1**t)
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
    if rho_t <= 5:
        return theta - lr * m_hat
    l_t = math.sqrt(1 - beta2**t) / (math.sqrt(state["v"]) + eps)
    r_t = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
    return theta - lr * m_hat * r_t * l_t


def asgd(theta, g, lr, t, state, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0,
         maximize=False):
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * theta
    eta, mu = state.get("eta", LRS[0]), state.get("mu", 1.0)  # η₀ = γ at the first step
    theta = theta * (1 - lambd * eta) - eta * g
    state["ax"] = theta if mu == 1 else state["ax"] + mu * (theta - state["ax"])
    state["eta"] = lr / (1 + lambd * lr * t) ** alpha
    state["mu"] = 1 / max(1, t - t0)
    return theta


def rprop(theta, g, lr, t, state, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False):
    if maximize:
        g = -g
    size = state.get("size", LRS[0])  # Δ starts at the first step's γ; γ is not read again
    product = g * state.get("prev", 0.0)
    factor = etas[1] if product > 0 else etas[0] if product < 0 else 1.0
    size = min(max(size * factor, step_sizes[0]), step_sizes[1])
    if product < 0:
        g = 0.0
    state.update(prev=g, size=size)
    return theta - math.copysign(size, g) if g != 0 else theta


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
    (optim.Adadelta, adadelta, {}),
    (optim.Adadelta, adadelta, {"rho": 0.5, "eps": 1e-3}),
    (optim.Adadelta, adadelta, {"weight_decay": 0.2, "maximize": True}),
    (optim.Adadelta, adadelta, {"rho": 0.0}),
    (optim.Adamax, adamax, {}),
    (optim.Adamax, adamax, {"betas": (0.5, 0.3), "eps": 1e-3}),  # u decays below |g| + ε
    (optim.Adamax, adamax, {"weight_decay": 0.2, "maximize": True}),
    (optim.NAdam, nadam, {}),
    (optim.NAdam, nadam, {"momentum_decay": 0.5, "betas": (0.8, 0.9)}),
    (optim.NAdam, nadam, {"weight_decay": 0.2, "eps": 1e-3}),
    (optim.NAdam, nadam, {"weight_decay": 0.2, "decoupled_weight_decay": True,
                          "maximize": True}),
    (optim.RAdam, radam, {}),
    (optim.RAdam, radam, {"weight_decay": 0.2, "betas": (0.5, 0.9)}),
    (optim.RAdam, radam, {"weight_decay": 0.2, "decoupled_weight_decay": True,
                          "maximize": True}),
    (optim.ASGD, asgd, {}),
    (optim.ASGD, asgd, {"lambd": 0.5, "alpha": 0.5, "t0": 1.0}),
    (optim.ASGD, asgd, {"lambd": 0.1, "weight_decay": 0.2, "maximize": True, "t0": 0.0}),
    (optim.Rprop, rprop, {}),
    (optim.Rprop, rprop, {"etas": (0.3, 1.5), "step_sizes": (0.06, 0.13)}),  # both bounds bite
    (optim.Rprop, rprop, {"maximize": True}),
]


def _id(case):
    make, _, hyper = case
    return "-".join([make.__name__] + [f"{k}={v}" for k, v in hyper.items()])


@pytest.mark.parametrize("make,rule,hyper", CASES, ids=[_id(c) for c in CASES])
def test_three_steps_match_the_documented_algorithm(make, rule, hyper):
    np.testing.assert_allclose(run(make, **hyper), by_hand(rule, **hyper), rtol=RTOL, atol=ATOL)


def test_every_optimizer_is_covered_here():
    # LBFGS: below. Adafactor scales each step by RMS norms of the whole tensor, so its rule
    # is not one per coordinate: tests/optim/test_adafactor.py::test_steps_match_the_documented_rule
    # Muon orthogonalises a whole matrix (Newton–Schulz): tests/optim/test_muon.py.
    covered = {make.__name__ for make, _, _ in CASES} | {"LBFGS", "Adafactor", "Muon"}
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


@pytest.mark.parametrize("hyper", [{"betas": (0.5, 0.9)}, {"betas": (0.8, 0.7), "eps": 1e-3},
                                   {"weight_decay": 0.1, "maximize": True}])
def test_radam_rectified_steps_match_the_documented_algorithm(hyper):
    # ρₜ = 1 at t = 1 and passes 5 only later: run 12 steps, cycling the gradients, so both
    # branches show (ρₜ > 5 from t = 6 for β₂ = 0.9, from t = 10 for β₂ = 0.7).
    p = chainrule.tensor(np.array(P0), requires_grad=True)
    opt = optim.RAdam([p], lr=0.1, **hyper)
    theta, states, seen, want = list(P0), [{} for _ in P0], [], []
    for t in range(1, 13):
        grads = GRADS[(t - 1) % 3]
        p.grad = np.array(grads)
        opt.step()
        seen.append(p.data.copy())
        theta = [radam(th, g, 0.1, t, st, **hyper) for th, g, st in zip(theta, grads, states)]
        want.append(theta)
    np.testing.assert_allclose(np.array(seen), np.array(want), rtol=RTOL, atol=ATOL)


def test_asgd_keeps_the_average_of_the_iterates():
    # t₀ = 1: μ set after step t is 1/max(1, t − 1), used at step t + 1: θ̄ = θ up to t = 3,
    # then θ̄₄ = θ̄₃ + ½ (θ₄ − θ̄₃), θ̄₅ = θ̄₄ + ⅓ (θ₅ − θ̄₄): the mean of θ₃, θ₄, θ₅.
    p = chainrule.tensor(np.array(P0), requires_grad=True)
    opt = optim.ASGD([p], lr=0.1, lambd=0.0, t0=1.0)
    iterates = []
    for t in range(1, 6):
        p.grad = np.array(GRADS[(t - 1) % 3])
        opt.step()
        iterates.append(p.data.copy())
    mean = (iterates[2] + iterates[3] + iterates[4]) / 3  # from the third iterate on
    np.testing.assert_allclose(opt.state[p]["ax"], mean, rtol=RTOL)
    assert opt.state[p]["mu"] == 1 / 4 and opt.state[p]["eta"] == 0.1


def test_lbfgs_first_iterations_by_hand():
    # f(x) = ½ xᵀAx − bᵀx, no line search, lr = 1, max_iter = 3: x₁ = x₀ − t₀ g₀ with
    # t₀ = min(1, 1/‖g₀‖₁); then the two-loop direction with one pair, then with two. The
    # third iteration makes no closure call (the loop ends there), so 3 calls in all.
    a = np.array([[3.0, 0.5], [0.5, 1.0]])
    b = np.array([1.0, -2.0])
    x = chainrule.tensor(np.array([2.0, 1.0]), requires_grad=True)
    opt = optim.LBFGS([x], lr=1, max_iter=3, max_eval=10)  # default max_eval: 3 * 5 // 4

    def closure():
        opt.zero_grad()
        loss = 0.5 * (x @ (chainrule.tensor(a) @ x)) - (chainrule.tensor(b) * x).sum()
        loss.backward()
        return loss

    opt.step(closure)
    xs = [np.array([2.0, 1.0])]
    grad = lambda v: a @ v - b  # noqa: E731
    g = grad(xs[0])
    d = -g
    t = min(1.0, 1.0 / np.abs(g).sum())
    pairs = []
    for k in range(3):
        if k > 0:
            g_new = grad(xs[-1])
            s, y = t * d, g_new - g
            pairs.append((s, y))
            g = g_new
            q, alphas = -g, []
            for s_i, y_i in reversed(pairs):
                alphas.append((s_i @ q) / (y_i @ s_i))
                q = q - alphas[-1] * y_i
            s_n, y_n = pairs[-1]
            r = q * (y_n @ s_n) / (y_n @ y_n)
            for (s_i, y_i), a_i in zip(pairs, reversed(alphas)):
                r = r + (a_i - (y_i @ r) / (y_i @ s_i)) * s_i
            d, t = r, 1.0
        xs.append(xs[-1] + t * d)
    np.testing.assert_allclose(x.data, xs[-1], rtol=RTOL)
    assert opt.state[x]["n_iter"] == 3 and opt.state[x]["func_evals"] == 3
