"""Every optimizer against torch.optim: same float64 start, same 15 regression batches (each
framework differentiating the loss itself), parameters equal after 15 steps (rtol 1e-6)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import chainrule.optim as optim
from tests.optional import needs_torch, torch

from .helpers import B0, W0, batches, run

pytestmark = needs_torch


def _torch_run(name: str, kwargs: dict, groups: list[dict] | None) -> list[np.ndarray]:
    w = torch.tensor(W0, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(B0, dtype=torch.float64, requires_grad=True)
    params = [w, b] if groups is None else [
        {"params": [p], **options} for p, options in zip((w, b), groups)]
    opt = getattr(torch.optim, name)(params, foreach=False, **kwargs)
    for x, y in batches():
        opt.zero_grad()
        residual = torch.from_numpy(x) @ w + b - torch.from_numpy(y)
        (residual * residual).mean().backward()
        opt.step()
    return [w.detach().numpy(), b.detach().numpy()]


def _grid(**axes: list) -> list[dict]:
    return [dict(zip(axes, values)) for values in itertools.product(*axes.values())]


def _valid_sgd(kw: dict) -> bool:
    if kw["momentum"] == 0 and kw["dampening"] != 0:
        return False
    return not kw["nesterov"] or (kw["momentum"] > 0 and kw["dampening"] == 0)


CASES = (
    [("SGD", kw) for kw in _grid(lr=[0.05], momentum=[0.0, 0.9], dampening=[0.0, 0.3],
                                  nesterov=[False, True], weight_decay=[0.0, 0.1],
                                  maximize=[False, True]) if _valid_sgd(kw)]
    + [("Adam", kw) for kw in _grid(lr=[0.05], betas=[(0.9, 0.999), (0.3, 0.8)],
                                     amsgrad=[False, True], weight_decay=[0.0, 0.1],
                                     maximize=[False, True])]
    + [("Adam", {"lr": 0.05, "weight_decay": 0.2, "decoupled_weight_decay": True,
                 "amsgrad": amsgrad}) for amsgrad in (False, True)]
    + [("AdamW", kw) for kw in _grid(lr=[0.05], amsgrad=[False, True],
                                      weight_decay=[0.01, 0.3], maximize=[False, True])]
    + [("RMSprop", kw) for kw in _grid(lr=[0.01], alpha=[0.99, 0.8], momentum=[0.0, 0.6],
                                        centered=[False, True], weight_decay=[0.0, 0.1],
                                        maximize=[False, True])]
    + [("Adagrad", kw) for kw in _grid(lr=[0.1], lr_decay=[0.0, 0.2], weight_decay=[0.0, 0.1],
                                        initial_accumulator_value=[0.0, 0.5],
                                        maximize=[False, True])]
    + [("Adadelta", kw) for kw in _grid(lr=[1.0, 0.3], rho=[0.9, 0.5], weight_decay=[0.0, 0.1],
                                         maximize=[False, True])]
    + [("Adamax", kw) for kw in _grid(lr=[0.05], betas=[(0.9, 0.999), (0.3, 0.8)],
                                       eps=[1e-8, 1e-2], weight_decay=[0.0, 0.1],
                                       maximize=[False, True])]
    + [("NAdam", kw) for kw in _grid(lr=[0.05], betas=[(0.9, 0.999), (0.5, 0.8)],
                                      momentum_decay=[4e-3, 0.2], weight_decay=[0.0, 0.1],
                                      decoupled_weight_decay=[False, True],
                                      maximize=[False, True])]
    # β₂ = 0.9: ρₜ passes 5 at t = 6, so the 15 steps take both of RAdam's branches
    + [("RAdam", kw) for kw in _grid(lr=[0.05], betas=[(0.9, 0.999), (0.8, 0.9)],
                                      weight_decay=[0.0, 0.1],
                                      decoupled_weight_decay=[False, True],
                                      maximize=[False, True])]
    + [("ASGD", kw) for kw in _grid(lr=[0.05], lambd=[1e-4, 0.1], alpha=[0.75, 0.5],
                                     t0=[1e6, 4.0], weight_decay=[0.0, 0.1],
                                     maximize=[False, True])]
    + [("Rprop", kw) for kw in _grid(lr=[0.01, 0.2], etas=[(0.5, 1.2), (0.2, 1.9)],
                                      step_sizes=[(1e-6, 50), (0.05, 0.3)],
                                      maximize=[False, True])]
    # lr = 0.5: ρₜ = min(γ, 1/√t) takes γ up to t = 4 and 1/√t after
    + [("Adafactor", kw) for kw in _grid(lr=[0.05, 0.5], beta2_decay=[-0.8, -0.5],
                                          weight_decay=[0.0, 0.1], maximize=[False, True])]
)


def _id(case: tuple) -> str:
    name, kw = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in kw.items() if k != "lr")


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_matches_torch_after_15_steps(case):
    name, kwargs = case
    w, b = run(getattr(optim, name), kwargs)
    w_ref, b_ref = _torch_run(name, kwargs, None)
    assert not np.allclose(w, W0)  # the run moved
    np.testing.assert_allclose(w, w_ref, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(b, b_ref, rtol=1e-6, atol=1e-12)


GROUP_CASES = [
    ("SGD", {"lr": 0.05, "momentum": 0.9}, [{"lr": 0.2, "nesterov": True}, {"dampening": 0.5}]),
    ("Adam", {"lr": 0.05}, [{"lr": 0.01, "amsgrad": True}, {"betas": (0.5, 0.9),
                                                           "weight_decay": 0.2}]),
    ("AdamW", {"lr": 0.05}, [{"lr": 0.2}, {"weight_decay": 0.5, "maximize": True}]),
    ("RMSprop", {"lr": 0.01}, [{"lr": 0.03, "centered": True}, {"momentum": 0.5}]),
    # NOTE: not a per-group initial_accumulator_value: torch fills every group's sum with the
    # constructor's value, chainrule with the group's (test_optimizers checks it by hand).
    ("Adagrad", {"lr": 0.1}, [{"lr": 0.3, "lr_decay": 0.1}, {"weight_decay": 0.2}]),
    ("Adadelta", {}, [{"lr": 0.5}, {"rho": 0.6, "weight_decay": 0.1}]),
    ("Adamax", {"lr": 0.05}, [{"lr": 0.1}, {"betas": (0.5, 0.9), "maximize": True}]),
    ("NAdam", {"lr": 0.05}, [{"momentum_decay": 0.3}, {"weight_decay": 0.2,
                                                       "decoupled_weight_decay": True}]),
    ("RAdam", {"lr": 0.05}, [{"betas": (0.8, 0.9)}, {"lr": 0.1, "weight_decay": 0.2}]),
    ("ASGD", {"lr": 0.05}, [{"lr": 0.1, "t0": 3.0}, {"lambd": 0.2, "alpha": 0.5}]),
    ("Rprop", {"lr": 0.05}, [{"lr": 0.1, "etas": (0.3, 1.5)}, {"step_sizes": (0.01, 0.2)}]),
    ("Adafactor", {"lr": 0.05}, [{"lr": 0.3, "d": 1.5}, {"weight_decay": 0.2,
                                                         "eps": (1e-6, 1e-2)}]),
]


@pytest.mark.parametrize(("name", "kwargs", "groups"), GROUP_CASES,
                         ids=[c[0] for c in GROUP_CASES])
def test_param_groups_with_their_own_options_match_torch(name, kwargs, groups):
    w, b = run(getattr(optim, name), kwargs, groups)
    w_ref, b_ref = _torch_run(name, kwargs, groups)
    np.testing.assert_allclose(w, w_ref, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(b, b_ref, rtol=1e-6, atol=1e-12)
