"""RAdam: Adam whose adaptive step is rectified by the variance of its own estimate."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..kernels import axpby_
from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT, decayed_gradient, floats, refuse_differentiable


class RAdam(Optimizer):
    """RAdam, as ``torch.optim.RAdam``.

    The update of a parameter θ with gradient g at step t (γ learning rate, β₁ β₂ betas,
    λ weight decay, ε eps; m and v start at 0)::

        g ← −g                              if maximize
        θ ← θ (1 − γ λ)                     if λ ≠ 0 and decoupled_weight_decay
        g ← g + λ θ                         if λ ≠ 0 otherwise
        m ← β₁ m + (1 − β₁) g
        v ← β₂ v + (1 − β₂) g²
        m̂ = m / (1 − β₁ᵗ)
        ρ∞ = 2 / (1 − β₂) − 1,   ρₜ = ρ∞ − 2 t β₂ᵗ / (1 − β₂ᵗ)
        if ρₜ > 5:
            l = √(1 − β₂ᵗ) / (√v + ε)
            r = √((ρₜ − 4)(ρₜ − 2) ρ∞ / ((ρ∞ − 4)(ρ∞ − 2) ρₜ))
            θ ← θ − γ m̂ r l
        else:
            θ ← θ − γ m̂                    (momentum SGD while the variance is untractable)

    ρₜ = 1 at t = 1 and grows towards ρ∞, so with the default β₂ the first five steps take the
    unrectified branch. ``m`` and ``v`` are stored as ``exp_avg`` and ``exp_avg_sq`` and
    flushed of subnormal numbers every ``subnormal_flush_every`` steps (see ``Optimizer``).

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate γ.
        betas: decay rates (β₁, β₂) of the moment averages, in [0, 1).
        eps: ε, added to √v in the adaptive term.
        weight_decay: λ, an L2 penalty added to the gradient (or a decoupled decay).
        decoupled_weight_decay: decay θ directly (as AdamW) instead of adding λθ to the
            gradient.
        foreach, capturable: accepted for PyTorch compatibility and ignored (they
            choose how PyTorch runs the same arithmetic).
        differentiable: only False; True raises NotImplementedError (``refuse_differentiable``).
        maximize: maximize the objective instead of minimizing it.

    Reference: Liu et al., "On the Variance of the Adaptive Learning Rate and Beyond",
    https://arxiv.org/abs/1908.03265
    """

    _flushed = ("exp_avg", "exp_avg_sq")

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False) -> None:
        refuse_differentiable("RAdam", differentiable)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        lr, eps, decay = floats(group, "lr eps weight_decay")
        beta1, beta2 = (float(beta) for beta in group["betas"])
        t = state["step"]
        grad = decayed_gradient(p, grad, group, lr, decay)
        if "exp_avg" not in state:
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_avg_sq"] = np.zeros_like(p.data)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        axpby_(1 - beta1, grad, beta1, m)  # m ← β₁ m + (1 − β₁) g
        axpby_(1 - beta2, grad * grad, beta2, v)  # v ← β₂ v + (1 − β₂) g²
        correction2 = 1 - beta2**t
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * beta2**t / correction2
        m_hat = m / (1 - beta1**t)
        if rho_t > 5:
            r = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                          / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            l = math.sqrt(correction2) / (np.sqrt(v) + eps)  # noqa: E741 (the paper's l)
            axpby_(-lr * r, m_hat * l, 1, p.data)  # θ ← θ − γ m̂ r l
        else:
            axpby_(-lr, m_hat, 1, p.data)  # θ ← θ − γ m̂
