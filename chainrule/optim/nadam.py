"""NAdam: Adam with Nesterov momentum and a momentum schedule."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..kernels import axpby_
from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT, decayed_gradient, floats, refuse_differentiable


class NAdam(Optimizer):
    """NAdam, as ``torch.optim.NAdam``.

    The update of a parameter θ with gradient g at step t (γ learning rate, β₁ β₂ betas,
    λ weight decay, ψ momentum decay, ε eps; m and v start at 0, the product Π at 1)::

        g ← −g                              if maximize
        θ ← θ (1 − γ λ)                     if λ ≠ 0 and decoupled_weight_decay
        g ← g + λ θ                         if λ ≠ 0 otherwise
        μₜ = β₁ (1 − ½ · 0.96^(t ψ)),   μₜ₊₁ = β₁ (1 − ½ · 0.96^((t + 1) ψ))
        Π ← Π μₜ
        m ← β₁ m + (1 − β₁) g
        v ← β₂ v + (1 − β₂) g²
        m̂ = μₜ₊₁ m / (1 − Π μₜ₊₁) + (1 − μₜ) g / (1 − Π)
        v̂ = v / (1 − β₂ᵗ)
        θ ← θ − γ m̂ / (√v̂ + ε)

    Π (the product μ₁ ⋯ μₜ) is kept in the state as the number ``mu_product``; ``m`` and ``v``
    as ``exp_avg`` and ``exp_avg_sq``, flushed of subnormal numbers every
    ``subnormal_flush_every`` steps (see ``Optimizer``).

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate γ.
        betas: decay rates (β₁, β₂) of the moment averages, in [0, 1).
        eps: ε, added to the denominator.
        weight_decay: λ, an L2 penalty added to the gradient (or a decoupled decay).
        momentum_decay: ψ, the rate at which μₜ approaches β₁ (>= 0).
        decoupled_weight_decay: decay θ directly (as AdamW; "NAdamW") instead of adding λθ
            to the gradient.
        foreach, capturable: accepted for PyTorch compatibility and ignored (they
            choose how PyTorch runs the same arithmetic).
        differentiable: only False; True raises NotImplementedError (``refuse_differentiable``).
        maximize: maximize the objective instead of minimizing it.

    Reference: Dozat, "Incorporating Nesterov Momentum into Adam", ICLR 2016 workshop.
    """

    _flushed = ("exp_avg", "exp_avg_sq")
    _number_state = ("mu_product",)

    def __init__(self, params: ParamsT, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        refuse_differentiable("NAdam", differentiable)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        psi = param_group.get("momentum_decay", self.defaults["momentum_decay"])
        if not psi >= 0:
            raise ValueError(f"Invalid momentum_decay value: {psi} (must be >= 0)")
        super().add_param_group(param_group)

    def update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        lr, eps, decay, psi = floats(group, "lr eps weight_decay momentum_decay")
        beta1, beta2 = (float(beta) for beta in group["betas"])
        t = state["step"]
        grad = decayed_gradient(p, grad, group, lr, decay)
        if "exp_avg" not in state:
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_avg_sq"] = np.zeros_like(p.data)
            state["mu_product"] = 1.0
        mu = beta1 * (1 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
        product = state["mu_product"] = state["mu_product"] * mu
        m, v = state["exp_avg"], state["exp_avg_sq"]
        axpby_(1 - beta1, grad, beta1, m)  # m ← β₁ m + (1 − β₁) g
        axpby_(1 - beta2, grad * grad, beta2, v)  # v ← β₂ v + (1 − β₂) g²
        denom = np.sqrt(v / (1 - beta2**t)) + eps  # √v̂ + ε
        axpby_(-lr * (1 - mu) / (1 - product), grad / denom, 1, p.data)
        axpby_(-lr * mu_next / (1 - product * mu_next), m / denom, 1, p.data)
