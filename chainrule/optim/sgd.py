"""Stochastic gradient descent, with optional (Nesterov) momentum and weight decay."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..kernels import axpby_
from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT, floats, refuse_differentiable


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum, as ``torch.optim.SGD``.

    The update of a parameter θ with gradient g at step t (μ momentum, τ dampening,
    λ weight decay, γ learning rate)::

        g ← −g                     if maximize
        g ← g + λ θ                if λ ≠ 0
        if μ ≠ 0:
            b ← g                  at t = 1
            b ← μ b + (1 − τ) g    at t > 1
            g ← g + μ b            if nesterov, else g ← b
        θ ← θ − γ g

    Convention (PyTorch's, unlike Sutskever et al. and some other frameworks): the learning
    rate multiplies the momentum buffer when the parameter is updated, it is not folded into
    the buffer (``v ← μ v + γ g; θ ← θ − v``). The two agree while γ is constant; they differ
    once a scheduler changes γ.

    The momentum buffer is flushed of subnormal numbers every ``subnormal_flush_every`` steps
    (see ``Optimizer``).

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate γ.
        momentum: momentum factor μ (0 for plain SGD).
        dampening: dampening τ for momentum.
        weight_decay: L2 penalty λ, added to the gradient.
        nesterov: use Nesterov momentum (needs μ > 0 and τ = 0).
        maximize: maximize the objective instead of minimizing it.
        foreach, fused: accepted for PyTorch compatibility and ignored (they choose how
            PyTorch runs the same arithmetic).
        differentiable: only False; True raises NotImplementedError (``refuse_differentiable``).

    Example:
        >>> import chainrule
        >>> from chainrule.optim import SGD
        >>> w = chainrule.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = SGD([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([ 0.8000, -1.6000], requires_grad=True)
    """

    _flushed = ("momentum_buffer",)

    def __init__(self, params: ParamsT, lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        refuse_differentiable("SGD", differentiable)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        lr, momentum, dampening, decay = floats(group, "lr momentum dampening weight_decay")
        grad = -grad if group["maximize"] else grad
        if decay != 0:
            grad = grad + decay * p.data
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.copy()
            else:
                axpby_(1 - dampening, grad, momentum, buf)
            grad = grad + momentum * buf if group["nesterov"] else buf
        axpby_(-lr, grad, 1, p.data)
