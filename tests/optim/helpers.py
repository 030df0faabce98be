"""Shared pieces of the optimizer tests: a seeded regression problem whose gradient batches
both chainrule and torch can compute, and a driver that runs an optimizer over them."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

import chainrule
import chainrule.optim as optim

STEPS = 15
W0 = np.array([0.5, -1.0, 2.0])
B0 = np.array([0.25])


def batches(steps: int = STEPS, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """``steps`` regression batches (X: (8, 3), y: (8,)), float64, from a seeded generator."""
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((8, 3)), rng.standard_normal(8)) for _ in range(steps)]


def loss_and_backward(w: chainrule.Tensor, b: chainrule.Tensor, x: np.ndarray,
                      y: np.ndarray) -> None:
    """Set w.grad and b.grad to the gradient of mean((X w + b − y)²) through chainrule."""
    residual = chainrule.tensor(x) @ w + b - chainrule.tensor(y)
    (residual * residual).mean().backward()


def make_params(dtype: Any = np.float64) -> tuple[chainrule.Tensor, chainrule.Tensor]:
    return (chainrule.tensor(W0.astype(dtype), requires_grad=True),
            chainrule.tensor(B0.astype(dtype), requires_grad=True))


def groups_of(w: chainrule.Tensor, b: chainrule.Tensor, groups: list[dict] | None) -> list:
    """The ``params`` argument: [w, b], or one group per dict of ``groups`` (w, then b)."""
    if groups is None:
        return [w, b]
    return [{"params": [p], **options} for p, options in zip((w, b), groups)]


def run(make: Callable[..., optim.Optimizer], kwargs: dict, groups: list[dict] | None = None,
        data: list | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Parameters after one optimizer step per batch of ``data``."""
    w, b = make_params()
    opt = make(groups_of(w, b, groups), **kwargs)
    for x, y in batches() if data is None else data:
        opt.zero_grad()
        loss_and_backward(w, b, x, y)
        opt.step()
    return w.data, b.data
