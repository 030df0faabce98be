"""Adadelta: steps scaled by the ratio of running RMS of past updates and of gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..kernels import axpby_
from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT, floats, refuse_differentiable


class Adadelta(Optimizer):
    """Adadelta, as ``torch.optim.Adadelta``.

    The update of a parameter θ with gradient g (γ learning rate, ρ decay rate, λ weight
    decay, ε eps; v and u start at 0)::

        g ← −g                              if maximize
        g ← g + λ θ                         if λ ≠ 0
        v ← ρ v + (1 − ρ) g²
        Δ = √(u + ε) / √(v + ε) · g
        u ← ρ u + (1 − ρ) Δ²
        θ ← θ − γ Δ

    Convention (PyTorch's): ε is added inside both square roots, and the step is scaled by γ
    (Zeiler's paper has no learning rate, i.e. γ = 1, the default). ``v`` is stored as
    ``square_avg`` and ``u`` as ``acc_delta``; both are flushed of subnormal numbers every
    ``subnormal_flush_every`` steps (see ``Optimizer``).

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate γ, multiplying Δ.
        rho: decay rate ρ of the running averages, in [0, 1].
        eps: ε, added inside the square roots.
        weight_decay: L2 penalty λ, added to the gradient.
        foreach, capturable: accepted for PyTorch compatibility and ignored (they
            choose how PyTorch runs the same arithmetic).
        differentiable: only False; True raises NotImplementedError (``refuse_differentiable``).
        maximize: maximize the objective instead of minimizing it.

    Reference: Zeiler, "ADADELTA: An Adaptive Learning Rate Method",
    https://arxiv.org/abs/1212.5701
    """

    _flushed = ("square_avg", "acc_delta")

    def __init__(self, params: ParamsT, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        refuse_differentiable("Adadelta", differentiable)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        rho = param_group.get("rho", self.defaults["rho"])
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho} (must be in [0, 1])")
        super().add_param_group(param_group)

    def update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        lr, rho, eps, decay = floats(group, "lr rho eps weight_decay")
        grad = -grad if group["maximize"] else grad
        if decay != 0:
            grad = grad + decay * p.data
        if "square_avg" not in state:
            state["square_avg"] = np.zeros_like(p.data)
            state["acc_delta"] = np.zeros_like(p.data)
        v, u = state["square_avg"], state["acc_delta"]
        axpby_(1 - rho, grad * grad, rho, v)  # v ← ρ v + (1 − ρ) g²
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * grad  # Δ = √(u + ε) / √(v + ε) · g
        axpby_(1 - rho, delta * delta, rho, u)  # u ← ρ u + (1 − ρ) Δ²
        axpby_(-lr, delta, 1, p.data)  # θ ← θ − γ Δ
