"""Rprop: a step per coordinate that grows while the gradient keeps its sign and shrinks when
it flips, using only the gradient's sign."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT, floats, refuse_differentiable


class Rprop(Optimizer):
    """Resilient backpropagation, as ``torch.optim.Rprop`` (its "Rprop−" variant).

    Per coordinate, with step size Δ (starting at γ), previous gradient g′ (starting at 0),
    factors η₋ < 1 < η₊ and bounds Δmin, Δmax::

        g ← −g                                   if maximize
        s = sign(g · g′)
        Δ ← clip(Δ · (η₊ if s > 0, η₋ if s < 0, 1 if s = 0), Δmin, Δmax)
        g ← 0 where s < 0                         (no move after a sign flip)
        θ ← θ − sign(g) · Δ
        g′ ← g

    Args:
        params: tensors or parameter groups to optimize.
        lr: the initial step size γ.
        etas: (η₋, η₊), the factors that shrink and grow the step.
        step_sizes: (Δmin, Δmax), the bounds of the step.
        maximize: maximize the objective instead of minimizing it.
        capturable, foreach: accepted for PyTorch compatibility and ignored (they choose how
            PyTorch runs the same arithmetic).
        differentiable: only False; True raises NotImplementedError (``refuse_differentiable``).

    Reference: Riedmiller & Braun, "A Direct Adaptive Method for Faster Backpropagation
    Learning: The RPROP Algorithm", ICNN 1993.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        refuse_differentiable("Rprop", differentiable)
        defaults = dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes),
                        maximize=maximize)
        super().__init__(params, defaults)

    def update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        (lr,) = floats(group, "lr")
        eta_minus, eta_plus = (float(e) for e in group["etas"])
        low, high = (float(s) for s in group["step_sizes"])
        grad = -grad if group["maximize"] else grad.copy()
        if "prev" not in state:
            state["prev"] = np.zeros_like(p.data)
            state["step_size"] = np.full_like(p.data, lr)
        sign = np.sign(grad * state["prev"])
        factor = np.where(sign > 0, eta_plus, np.where(sign < 0, eta_minus, 1.0))
        step_size = state["step_size"]
        step_size *= factor.astype(step_size.dtype, copy=False)
        np.clip(step_size, low, high, out=step_size)
        grad[sign < 0] = 0
        p.data -= np.sign(grad) * step_size
        state["prev"] = grad
