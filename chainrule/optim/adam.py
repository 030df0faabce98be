"""Adam (with the AMSGrad variant) and AdamW (Adam with decoupled weight decay)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..kernels import axpby_
from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT, floats, refuse_differentiable


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam``: steps scaled by running moments of the gradient.

    The update of a parameter θ with gradient g at step t (γ learning rate, β₁ β₂ betas,
    λ weight decay, ε eps; m, v and v̂ₘₐₓ start at 0)::

        g ← −g                              if maximize
        θ ← θ (1 − γ λ)                     if λ ≠ 0 and decoupled_weight_decay (AdamW)
        g ← g + λ θ                         if λ ≠ 0 otherwise (L2 penalty)
        m ← β₁ m + (1 − β₁) g
        v ← β₂ v + (1 − β₂) g²
        m̂ = m / (1 − β₁ᵗ)
        v̂ = v / (1 − β₂ᵗ),  or with amsgrad:  vₘₐₓ ← max(vₘₐₓ, v),  v̂ = vₘₐₓ / (1 − β₂ᵗ)
        θ ← θ − γ m̂ / (√v̂ + ε)

    Convention (PyTorch's): ε is added to √v̂ after the bias correction, and with amsgrad the
    maximum is taken of the uncorrected v. The moment buffers are flushed of subnormal
    numbers every ``subnormal_flush_every`` steps (see ``Optimizer``).

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate γ.
        betas: decay rates (β₁, β₂) of the first and second moment averages, each in [0, 1).
        eps: ε, added to the denominator for numerical stability.
        weight_decay: λ, an L2 penalty added to the gradient (or a decoupled decay).
        amsgrad: use the maximum of past second moments (AMSGrad, Reddi et al. 2018).
        maximize: maximize the objective instead of minimizing it.
        foreach, capturable, fused: accepted for PyTorch compatibility and ignored (they choose how
            PyTorch runs the same arithmetic).
        differentiable: only False; True raises NotImplementedError (``refuse_differentiable``).
        decoupled_weight_decay: decay the parameter directly (AdamW) instead of adding λθ to
            the gradient.

    Reference: Kingma & Ba, "Adam: A Method for Stochastic Optimization",
    https://arxiv.org/abs/1412.6980

    Example:
        >>> import chainrule
        >>> from chainrule.optim import Adam
        >>> w = chainrule.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = Adam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    _flushed = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, decoupled_weight_decay: bool = False) -> None:
        refuse_differentiable(type(self).__name__, differentiable)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        lr, eps, decay = floats(group, "lr eps weight_decay")
        beta1, beta2 = (float(beta) for beta in group["betas"])
        t = state["step"]
        grad = -grad if group["maximize"] else grad
        shrink = 1.0
        if decay != 0 and group["decoupled_weight_decay"]:
            shrink = 1 - lr * decay  # θ ← θ (1 − γλ), in the final update
        elif decay != 0:
            grad = grad + decay * p.data
        m, v = _moments(state, p.data, group["amsgrad"])
        axpby_(1 - beta1, grad, beta1, m)  # m ← β₁ m + (1 − β₁) g
        g2 = np.multiply(grad, grad, out=self.temporary(v))
        axpby_(1 - beta2, g2, beta2, v)  # v ← β₂ v + (1 − β₂) g²
        if group["amsgrad"]:  # vₘₐₓ ← max(vₘₐₓ, v), and v̂ is made from vₘₐₓ
            v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        denom = np.sqrt(v, out=self.temporary(v, 1))
        denom /= (1 - beta2**t) ** 0.5
        denom += eps  # √v̂ + ε, with v̂ = v / (1 − β₂ᵗ)
        step = np.divide(m, denom, out=denom)
        # θ ← θ (1 − γλ) − γ m̂ / (√v̂ + ε), with m̂ = m / (1 − β₁ᵗ) and 1 − γλ = 1 unless AdamW
        axpby_(-lr / (1 - beta1**t), step, shrink, p.data)


class AdamW(Adam):
    """AdamW, as ``torch.optim.AdamW``: Adam with decoupled weight decay.

    The rule is ``Adam``'s with ``decoupled_weight_decay=True``: before the Adam step the
    parameter is shrunk, θ ← θ (1 − γ λ), instead of λθ being added to the gradient, so the
    decay is not rescaled by the adaptive denominator. Note the default λ = 1e-2.

    Reference: Loshchilov & Hutter, "Decoupled Weight Decay Regularization",
    https://arxiv.org/abs/1711.05101

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate γ.
        betas: decay rates (β₁, β₂) of the moment averages.
        eps: ε, added to the denominator for numerical stability.
        weight_decay: decoupled decay coefficient λ.
        amsgrad: use the maximum of past second moments.
        maximize: maximize the objective instead of minimizing it.
        foreach, capturable, fused: accepted for PyTorch compatibility and ignored (they choose how
            PyTorch runs the same arithmetic).
        differentiable: only False; True raises NotImplementedError (``refuse_differentiable``).
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         differentiable=differentiable, decoupled_weight_decay=True)


def _moments(state: dict[str, Any], like: np.ndarray,
             amsgrad: bool) -> tuple[np.ndarray, np.ndarray]:
    """The first and second moment buffers, created as zeros on the first step."""
    if "exp_avg" not in state:
        state["exp_avg"] = np.zeros_like(like)
        state["exp_avg_sq"] = np.zeros_like(like)
    if amsgrad and "max_exp_avg_sq" not in state:
        state["max_exp_avg_sq"] = np.zeros_like(like)
    return state["exp_avg"], state["exp_avg_sq"]
