"""RMSprop: steps divided by a running root mean square of the gradient."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..kernels import axpby_
from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT, floats, refuse_differentiable


class RMSprop(Optimizer):
    """RMSprop, as ``torch.optim.RMSprop``.

    The update of a parameter θ with gradient g (γ learning rate, α smoothing constant,
    λ weight decay, μ momentum, ε eps; v, ḡ and b start at 0)::

        g ← −g                          if maximize
        g ← g + λ θ                     if λ ≠ 0
        v ← α v + (1 − α) g²
        ḡ ← α ḡ + (1 − α) g             if centered
        d = √(v − ḡ²) + ε  if centered, else  d = √v + ε
        if μ > 0:  b ← μ b + g / d;   θ ← θ − γ b
        else:      θ ← θ − γ g / d

    Conventions (PyTorch's): ε is added outside the square root, and the learning rate
    multiplies the momentum buffer rather than being folded into it (Tieleman & Hinton's
    lecture notes and TensorFlow fold it in). The state buffers are flushed of subnormal
    numbers every ``subnormal_flush_every`` steps (see ``Optimizer``); when centered, ḡ is
    zeroed too wherever v is 0 after the flush, so that v − ḡ² stays ≥ 0.

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate γ.
        alpha: smoothing constant α of the squared-gradient average.
        eps: ε, added to the denominator for numerical stability.
        weight_decay: L2 penalty λ, added to the gradient.
        momentum: momentum factor μ.
        centered: divide by an estimate of the gradient's variance instead of its second
            moment.
        maximize: maximize the objective instead of minimizing it.
        capturable, foreach: accepted for PyTorch compatibility and ignored (they choose how
            PyTorch runs the same arithmetic).
        differentiable: only False; True raises NotImplementedError (``refuse_differentiable``).

    Reference: Hinton, Srivastava & Swersky, Neural Networks for Machine Learning, lecture 6e.
    """

    _flushed = ("square_avg", "grad_avg", "momentum_buffer")

    def __init__(self, params: ParamsT, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, capturable: bool = False, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False) -> None:
        refuse_differentiable("RMSprop", differentiable)
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        lr, alpha, eps, decay, momentum = floats(group, "lr alpha eps weight_decay momentum")
        grad = -grad if group["maximize"] else grad
        if decay != 0:
            grad = grad + decay * p.data
        square_avg, grad_avg, buf = _buffers(state, p.data, group)
        variance = self._update_averages(square_avg, grad_avg, grad, alpha)
        step = np.sqrt(variance, out=self.temporary(grad, 1))
        step += eps
        step = np.divide(grad, step, out=step)  # g / (√v + ε)
        if buf is not None:
            step = axpby_(1, step, momentum, buf)  # b ← μ b + g / d
        axpby_(-lr, step, 1, p.data)

    def _update_averages(self, square_avg: np.ndarray, grad_avg: np.ndarray | None,
                         grad: np.ndarray, alpha: float) -> np.ndarray:
        """v ← α v + (1 − α) g² and, if centered, ḡ ← α ḡ + (1 − α) g, in place; returns v,
        or v − ḡ² (in a temporary) if centered."""
        axpby_(1 - alpha, np.multiply(grad, grad, out=self.temporary(grad)), alpha, square_avg)
        if grad_avg is None:
            return square_avg
        axpby_(1 - alpha, grad, alpha, grad_avg)
        centered = np.multiply(grad_avg, grad_avg, out=self.temporary(grad, 1))
        return np.subtract(square_avg, centered, out=centered)

    def _flush(self, state: dict[str, Any]) -> None:
        super()._flush(state)
        if "grad_avg" in state:
            # NOTE: v ≥ ḡ² must survive the flush, else √(v − ḡ²) is NaN: where v was zeroed,
            # zero ḡ (|ḡ| ≤ √v < 1.1e-19 in float32 there, so d ≈ ε is unchanged). Multiplying
            # by [v ≠ 0] streams through ḡ once, where a masked write would touch every zero of
            # v; where v is 0, ḡ is finite, so the product is 0 there and ḡ everywhere else.
            grad_avg = state["grad_avg"]
            np.multiply(grad_avg, state["square_avg"] != 0, out=grad_avg)


def _buffers(state: dict[str, Any], like: np.ndarray,
             group: dict[str, Any]) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """The running averages of g² and g (None unless centered) and the momentum buffer (None
    unless momentum > 0), created as zeros shaped like ``like`` on first use."""
    wanted = ("square_avg", "grad_avg" if group["centered"] else None,
              "momentum_buffer" if group["momentum"] > 0 else None)
    for key in wanted:
        if key is not None and key not in state:
            state[key] = np.zeros_like(like)
    return tuple(None if key is None else state[key] for key in wanted)
