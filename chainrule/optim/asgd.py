"""ASGD: stochastic gradient descent that also keeps a running average of the iterates."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT, floats, refuse_differentiable


class ASGD(Optimizer):
    """Averaged SGD, as ``torch.optim.ASGD``.

    The update of a parameter θ with gradient g at step t (γ learning rate, λ the decay term
    ``lambd``, α the power ``alpha``, t₀ the step averaging starts at, w weight decay; the
    step size η starts at γ, the averaging rate μ at 1, the average θ̄ at 0)::

        g ← −g                              if maximize
        g ← g + w θ                         if w ≠ 0
        θ ← θ (1 − λ η)
        θ ← θ − η g
        θ̄ ← θ̄ + μ (θ − θ̄)                  (θ̄ ← θ while μ = 1)
        η ← γ / (1 + λ γ t)^α
        μ ← 1 / max(1, t − t₀)

    η and μ are updated after the step, for the next one: the first step uses η = γ as it was
    when the state was created. They are kept in the state as the numbers ``eta`` and ``mu``,
    and θ̄ as the array ``ax``: the averaged parameters, which a caller may copy into the
    model to evaluate it (θ itself is the SGD iterate).

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate γ.
        lambd: decay term λ.
        alpha: power α of the step size's decay.
        t0: the step t₀ from which the iterates are averaged.
        weight_decay: L2 penalty w, added to the gradient.
        foreach, capturable: accepted for PyTorch compatibility and ignored (they
            choose how PyTorch runs the same arithmetic).
        differentiable: only False; True raises NotImplementedError (``refuse_differentiable``).
        maximize: maximize the objective instead of minimizing it.

    Reference: Polyak & Juditsky, "Acceleration of Stochastic Approximation by Averaging",
    SIAM J. Control and Optimization 30(4), 1992.
    """

    _number_state = ("eta", "mu")

    def __init__(self, params: ParamsT, lr: float = 1e-2, lambd: float = 1e-4,
                 alpha: float = 0.75, t0: float = 1e6, weight_decay: float = 0,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        refuse_differentiable("ASGD", differentiable)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        lr, lambd, alpha, t0, decay = floats(group, "lr lambd alpha t0 weight_decay")
        t = state["step"]
        grad = -grad if group["maximize"] else grad
        if decay != 0:
            grad = grad + decay * p.data
        if "ax" not in state:
            state["eta"], state["mu"] = lr, 1.0
            state["ax"] = np.zeros_like(p.data)
        eta, mu, ax = float(state["eta"]), float(state["mu"]), state["ax"]
        p.data *= 1 - lambd * eta  # θ ← θ (1 − λ η)
        p.data -= eta * grad  # θ ← θ − η g
        if mu != 1:
            ax += mu * (p.data - ax)  # θ̄ ← θ̄ + μ (θ − θ̄)
        else:
            ax[...] = p.data
        state["eta"] = lr / (1 + lambd * lr * t) ** alpha
        state["mu"] = 1 / max(1, t - t0)
