"""Adamax: Adam with the infinity norm of past gradients in place of the second moment."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..kernels import axpby_
from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT, floats, refuse_differentiable


class Adamax(Optimizer):
    """Adamax, as ``torch.optim.Adamax``.

    The update of a parameter θ with gradient g at step t (γ learning rate, β₁ β₂ betas,
    λ weight decay, ε eps; m and u start at 0)::

        g ← −g                              if maximize
        g ← g + λ θ                         if λ ≠ 0
        m ← β₁ m + (1 − β₁) g
        u ← max(β₂ u, |g| + ε)
        θ ← θ − γ m / ((1 − β₁ᵗ) u)

    Convention (PyTorch's): ε is added to |g| inside the maximum, not to the denominator.
    ``m`` is stored as ``exp_avg`` and ``u`` as ``exp_inf``; both are flushed of subnormal
    numbers every ``subnormal_flush_every`` steps (see ``Optimizer``).

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate γ.
        betas: decay rates (β₁, β₂) of the first moment and of the infinity norm, in [0, 1).
        eps: ε, added to |g| in the maximum.
        weight_decay: L2 penalty λ, added to the gradient.
        foreach, capturable: accepted for PyTorch compatibility and ignored (they
            choose how PyTorch runs the same arithmetic).
        differentiable: only False; True raises NotImplementedError (``refuse_differentiable``).
        maximize: maximize the objective instead of minimizing it.

    Reference: Kingma & Ba, "Adam: A Method for Stochastic Optimization", section 7.1,
    https://arxiv.org/abs/1412.6980
    """

    _flushed = ("exp_avg", "exp_inf")

    def __init__(self, params: ParamsT, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        refuse_differentiable("Adamax", differentiable)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        lr, eps, decay = floats(group, "lr eps weight_decay")
        beta1, beta2 = (float(beta) for beta in group["betas"])
        grad = -grad if group["maximize"] else grad
        if decay != 0:
            grad = grad + decay * p.data
        if "exp_avg" not in state:
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_inf"] = np.zeros_like(p.data)
        m, u = state["exp_avg"], state["exp_inf"]
        axpby_(1 - beta1, grad, beta1, m)  # m ← β₁ m + (1 − β₁) g
        u *= beta2
        np.maximum(u, np.abs(grad) + eps, out=u)  # u ← max(β₂ u, |g| + ε)
        axpby_(-lr / (1 - beta1 ** state["step"]), m / u, 1, p.data)
