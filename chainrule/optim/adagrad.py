"""Adagrad: per-coordinate steps divided by the root of the summed squared gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..kernels import axpby_
from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT, floats, refuse_differentiable


class Adagrad(Optimizer):
    """Adagrad, as ``torch.optim.Adagrad`` (dense gradients).

    The update of a parameter θ with gradient g at step t (γ learning rate, η lr decay,
    λ weight decay, ε eps, τ initial accumulator value; s starts at τ)::

        g ← −g                          if maximize
        g ← g + λ θ                     if λ ≠ 0
        γₜ = γ / (1 + (t − 1) η)
        s ← s + g²
        θ ← θ − γₜ g / (√s + ε)

    Convention (PyTorch's): ε is added outside the square root. The sum ``s`` only grows, so it
    is not flushed of subnormal numbers.

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate γ.
        lr_decay: learning rate decay η.
        weight_decay: L2 penalty λ, added to the gradient.
        initial_accumulator_value: starting value τ of the sum of squares.
        eps: ε, added to the denominator for numerical stability.
        maximize: maximize the objective instead of minimizing it.
        foreach, fused: accepted for PyTorch compatibility and ignored (they choose how
            PyTorch runs the same arithmetic).
        differentiable: only False; True raises NotImplementedError (``refuse_differentiable``).

    Reference: Duchi, Hazan & Singer, "Adaptive Subgradient Methods for Online Learning and
    Stochastic Optimization", JMLR 2011.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        refuse_differentiable("Adagrad", differentiable)
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps,
                        maximize=maximize)
        super().__init__(params, defaults)

    def update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        lr, lr_decay, decay, eps = floats(group, "lr lr_decay weight_decay eps")
        grad = -grad if group["maximize"] else grad
        if decay != 0:
            grad = grad + decay * p.data
        if "sum" not in state:
            state["sum"] = np.full_like(p.data, float(group["initial_accumulator_value"]))
        total = state["sum"]
        square = np.multiply(grad, grad, out=self.temporary(grad))
        total += square
        clr = lr / (1 + (state["step"] - 1) * lr_decay)
        denom = np.sqrt(total, out=self.temporary(grad, 1))
        denom += eps
        step = np.divide(grad, denom, out=denom)
        axpby_(-clr, step, 1, p.data)  # θ ← θ − γ_t g / (√s + ε)
