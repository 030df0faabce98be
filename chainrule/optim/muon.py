"""Muon: momentum whose update is orthogonalised by a Newton–Schulz iteration, for the 2-D
weights of hidden layers."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT, floats

# Keller Jordan's constants, PyTorch's defaults.
EPS = 1e-7
DEFAULT_A, DEFAULT_B, DEFAULT_C = 3.4445, -4.7750, 2.0315
DEFAULT_NS_STEPS = 5
_ADJUST_LR_FNS = (None, "original", "match_rms_adamw")


def zeropower_via_newtonschulz(grad: np.ndarray, ns_coefficients: tuple[float, float, float],
                               ns_steps: int, eps: float) -> np.ndarray:
    """Approximately U·Vᵀ of G = U·S·Vᵀ (every singular value near 1) by the quintic
    Newton–Schulz iteration, on the wide orientation of G (transposed back at the end):

        X ← G / max(‖G‖_F, ε)            (spectral norm ≤ 1)
        repeat ns_steps times:  A = X·Xᵀ,  X ← a·X + (b·A + c·A²)·X

    PyTorch's coefficients push small singular values up fast and leave the result's in about
    [0.5, 1.5], which works as well as U·Vᵀ in training.
    """
    if ns_steps >= 100:
        raise ValueError(f"Number of steps must be less than 100 for computational "
                         f"efficiency, got ns_steps={ns_steps}")
    if grad.ndim != 2:
        raise ValueError(f"Input tensor gradient must be a 2D matrix, got shape {grad.shape}")
    if len(ns_coefficients) != 3:
        raise ValueError(f"Coefficients must be a tuple of exactly 3 values, got "
                         f"{ns_coefficients!r}")
    a, b, c = (float(v) for v in ns_coefficients)
    tall = grad.shape[0] > grad.shape[1]
    x = grad.T if tall else grad
    x = x / max(float(np.linalg.norm(x)), eps)
    for _ in range(ns_steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * (gram @ gram)) @ x
    return x.T if tall else x


def adjusted_lr(lr: float, adjust_lr_fn: str | None, shape: tuple[int, ...]) -> float:
    """γ scaled for an A×B matrix: "original" (the default) √max(1, A/B), "match_rms_adamw"
    0.2·√max(A, B) (an update of AdamW's RMS)."""
    rows, cols = shape[:2]
    if adjust_lr_fn == "match_rms_adamw":
        return lr * 0.2 * math.sqrt(max(rows, cols))
    return lr * math.sqrt(max(1.0, rows / cols))


class Muon(Optimizer):
    """Muon, as ``torch.optim.Muon``: SGD-momentum whose step is orthogonalised.

    The update of a 2-D parameter θ (A×B) with gradient g (γ learning rate, λ weight decay,
    μ momentum; the buffer b starts at 0)::

        b ← μ b + (1 − μ) g
        u ← (1 − μ) g + μ b              if nesterov, else u ← b
        O ← NS(u)                        (zeropower_via_newtonschulz: ns_coefficients,
                                          ns_steps, eps)
        θ ← θ (1 − γ λ)                  (decoupled weight decay, with the unadjusted γ)
        θ ← θ − adjusted_lr(γ) O         (adjust_lr_fn: None or "original" √max(1, A/B),
                                          "match_rms_adamw" 0.2·√max(A, B))

    Convention (PyTorch's code, which its docstring writes unscaled as b ← μ b + g): the
    buffer is an exponential average, ``b.lerp_(g, 1 − μ)``. The scale of u hardly matters,
    since NS normalises it first.
    NOTE: PyTorch runs the Newton–Schulz iteration in bfloat16 (for GPU speed); here it runs
    in the parameter's dtype, so steps agree with PyTorch's to bfloat16 precision (≈ 1e-2
    relative) and exactly with its iteration done in that dtype.

    Args:
        params: 2-D tensors (or groups of them) to optimize; give biases, embeddings and
            other parameters to a standard optimizer such as AdamW.
        lr: learning rate γ (default 1e-3).
        weight_decay: λ (default 0.1).
        momentum: μ (default 0.95).
        nesterov: use Nesterov momentum (default True).
        ns_coefficients: (a, b, c) of the Newton–Schulz polynomial.
        eps: ε, the smallest norm divided by.
        ns_steps: Newton–Schulz iterations (fewer than 100).
        adjust_lr_fn: None, "original" or "match_rms_adamw".

    Reference: Jordan et al., "Muon: An optimizer for hidden layers in neural networks",
    https://kellerjordan.github.io/posts/muon/; Liu et al., "Muon is Scalable for LLM
    Training", https://arxiv.org/abs/2502.16982

    Example:
        >>> import chainrule
        >>> from chainrule.optim import Muon
        >>> w = chainrule.tensor([[3.0, 0.0], [0.0, 1.0]], requires_grad=True)
        >>> opt = Muon([w], lr=0.1, weight_decay=0.0)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w.shape
        (2, 2)
    """

    _flushed = ("momentum_buffer",)

    def __init__(self, params: ParamsT, lr: float = 1e-3, weight_decay: float = 0.1,
                 momentum: float = 0.95, nesterov: bool = True,
                 ns_coefficients: tuple[float, float, float] = (DEFAULT_A, DEFAULT_B,
                                                                DEFAULT_C),
                 eps: float = EPS, ns_steps: int = DEFAULT_NS_STEPS,
                 adjust_lr_fn: str | None = None) -> None:
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                        ns_coefficients=tuple(ns_coefficients), eps=eps, ns_steps=ns_steps,
                        adjust_lr_fn=adjust_lr_fn)
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        """PyTorch's checks, with its messages (and no SGD-style nesterov rule: Muon's
        nesterov needs no dampening)."""
        for key, words in (("lr", "Learning rate"), ("momentum", "momentum"),
                           ("weight_decay", "weight decay")):
            if not 0.0 <= group[key]:
                raise ValueError(f"{words} should be >= 0 but is: {group[key]}")
        if group["adjust_lr_fn"] not in _ADJUST_LR_FNS:
            raise ValueError(f"Adjust learning rate function {group['adjust_lr_fn']} is not "
                             "supported (use None, 'original' or 'match_rms_adamw')")
        for p in group["params"]:
            if p.ndim != 2:
                raise ValueError("Muon only supports 2D parameters whereas we found a "
                                 f"parameter with size: {tuple(p.shape)}")

    def update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        lr, decay, momentum, eps = floats(group, "lr weight_decay momentum eps")
        buf = state.setdefault("momentum_buffer", np.zeros_like(grad))
        buf += (1 - momentum) * (grad - buf)
        update = grad + momentum * (buf - grad) if group["nesterov"] else buf
        ortho = zeropower_via_newtonschulz(update, group["ns_coefficients"],
                                           group["ns_steps"], eps)
        p.data *= 1 - lr * decay
        p.data -= adjusted_lr(lr, group["adjust_lr_fn"], p.shape) * ortho


__all__ = ["Muon"]
