"""Adafactor: steps scaled by a second moment that a matrix keeps as one factor per row and one
per column, so its memory grows with m + n instead of m·n."""

from __future__ import annotations

import numbers
from typing import Any, Mapping

import numpy as np

from ..kernels import axpby_
from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT, floats
from .state_checks import factor_shape


class Adafactor(Optimizer):
    """Adafactor, as ``torch.optim.Adafactor``: a factored second moment, a relative step size.

    The update of a parameter θ with gradient g at step t (γ learning rate, τ beta2_decay,
    (ε₁, ε₂) eps, d clipping threshold, λ weight decay; RMS(x) = ‖x‖₂ / √numel(x); R, C and V
    start at 0)::

        g ← −g                                      if maximize
        β̂₂ₜ = 1 − t^τ
        ρₜ = min(γ, 1/√t)
        αₜ = max(ε₂, RMS(θ)) · ρₜ                   (θ before this step's decay)
        θ ← θ (1 − γ λ)
        if θ has 2 dims or more, (…, m, n): factored over the last two dims
            R ← β̂₂ₜ R + (1 − β̂₂ₜ) mean over n of g²     R: (…, m, 1)
            C ← β̂₂ₜ C + (1 − β̂₂ₜ) mean over m of g²     C: (…, 1, n)
            V̂ = R C / max(mean over m of R, ε₁)          V̂: (…, m, n)
        else (0 or 1 dims):
            V ← β̂₂ₜ V + (1 − β̂₂ₜ) g²
            V̂ = V
        U = g / √max(V̂, ε₁²)
        θ ← θ − αₜ U / max(1, RMS(U) / d)

    Conventions (PyTorch's, which differ from the paper's): γ only caps the relative step
    size ρₜ (the paper fixes the cap at 0.01, the default γ here) and scales the decoupled
    weight decay; ε₁ bounds the final V̂ and its row mean instead of being added to g²; the
    factors hold means where the paper sums (V̂ is the same); there is no first moment.
    ε₁ = None means the machine epsilon of θ's dtype (2⁻²³ in float32, 2⁻⁵² in float64).
    The state holds ``row_var`` (R) and ``col_var`` (C) for a parameter of 2 dims or more,
    else ``variance`` (V); they are flushed of subnormal numbers every
    ``subnormal_flush_every`` steps (see ``Optimizer``), which changes no step while ε₁² is
    far above the smallest normal number (as the default ε₁'s is).

    NOTE: PyTorch's single-tensor loop sets ε₁ = None to the epsilon of the *first* parameter
    of the group with a gradient and keeps it for the rest of the group; here each parameter
    uses its own dtype's, the same in a group of one dtype. An empty parameter is left alone
    (PyTorch divides 0 by 0 in RMS(θ) and raises ZeroDivisionError).

    Args:
        params: tensors or parameter groups to optimize.
        lr: learning rate γ: the cap of the relative step size ρₜ and the decay's scale.
        beta2_decay: τ ≤ 0, the exponent of the second moment's decay schedule β̂₂ₜ = 1 − t^τ.
        eps: (ε₁, ε₂): ε₁ ≥ 0 (or None) bounds V̂ from below; ε₂ ≥ 0 is the least RMS(θ)
            that scales a step, so that parameters at 0 still move.
        d: clipping threshold ≥ 1 of the RMS of the update U.
        weight_decay: λ, decoupled: θ ← θ (1 − γλ) each step.
        foreach: accepted for PyTorch compatibility and ignored.
        maximize: maximize the objective instead of minimizing it.

    Reference: Shazeer & Stern, "Adafactor: Adaptive Learning Rates with Sublinear Memory
    Cost", https://arxiv.org/abs/1804.04235

    Example:
        >>> import chainrule
        >>> from chainrule.optim import Adafactor
        >>> w = chainrule.tensor([[1.0, -2.0], [3.0, 0.5]], requires_grad=True)
        >>> opt = Adafactor([w])
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> opt.state[w]["row_var"].shape, opt.state[w]["col_var"].shape
        ((2, 1), (1, 2))
    """

    _flushed = ("row_var", "col_var", "variance")
    _state_kinds = {"row_var": "rows", "col_var": "columns"}  # the factors' own shapes

    def __init__(self, params: ParamsT, lr: float = 1e-2, beta2_decay: float = -0.8,
                 eps: tuple[float | None, float] = (None, 1e-3), d: float = 1.0,
                 weight_decay: float = 0.0, *, foreach: bool | None = None,
                 maximize: bool = False) -> None:
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d,
                        weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        if p.data.size == 0:
            return  # nothing to update, and RMS(θ) would be 0/0
        lr, beta2_decay, d, decay = floats(group, "lr beta2_decay d weight_decay")
        eps1, eps2 = group["eps"]
        eps1 = float(np.finfo(p.dtype).eps if eps1 is None else eps1)
        t = state["step"]
        grad = -grad if group["maximize"] else grad
        alpha = max(float(eps2), _rms(p.data)) * min(lr, 1 / t**0.5)  # αₜ, from θ before decay
        if decay != 0:
            p.data *= 1 - lr * decay
        v_hat = self._second_moment(grad, state, t**beta2_decay, eps1)  # 1 − β̂₂ₜ = t^τ
        u = np.sqrt(np.maximum(v_hat, eps1 * eps1, out=v_hat), out=v_hat)
        u = np.divide(1, u, out=u)  # 1/√max(V̂, ε₁²): PyTorch's rsqrt, then times g
        u *= grad
        axpby_(-alpha / max(1.0, _rms(u) / d), u, 1, p.data)  # θ ← θ − αₜ U / max(1, RMS/d)

    def _second_moment(self, grad: np.ndarray, state: dict[str, Any], weight: float,
                       eps1: float) -> np.ndarray:
        """V̂ in a new array, after the moving averages R, C (or V) took in g² with ``weight``
        = 1 − β̂₂ₜ (as PyTorch's ``lerp_``: x ← (1 − w) x + w y)."""
        square = np.multiply(grad, grad, out=self.temporary(grad))
        v_hat = self.temporary(grad, 1)
        if grad.ndim < 2:
            variance = state.setdefault("variance", np.zeros_like(grad))
            np.copyto(v_hat, axpby_(weight, square, 1 - weight, variance))
            return v_hat
        if "row_var" not in state:
            state["row_var"] = np.zeros(factor_shape(grad.shape, "rows"), grad.dtype)
            state["col_var"] = np.zeros(factor_shape(grad.shape, "columns"), grad.dtype)
        row_var, col_var = state["row_var"], state["col_var"]
        axpby_(weight, square.mean(axis=-1, keepdims=True), 1 - weight, row_var)
        axpby_(weight, square.mean(axis=-2, keepdims=True), 1 - weight, col_var)
        np.multiply(row_var, col_var, out=v_hat)
        v_hat /= np.maximum(row_var.mean(axis=-2, keepdims=True), eps1)  # R C / max(R̄, ε₁)
        return v_hat

    def _check_group(self, group: dict[str, Any]) -> None:
        """The common checks, and Adafactor's own: ``eps`` a pair, ``d`` ≥ 1, τ ≤ 0."""
        _checked_hyperparameters(group)
        super()._check_group(group)

    def _check_state(self, p: Tensor, entries: dict[str, Any]) -> None:
        """A (non-empty) parameter with state holds both factors (2 dims or more) or the
        variance."""
        if not entries or p.data.size == 0:
            return
        needed = {"row_var", "col_var"} if p.ndim >= 2 else {"variance"}
        if not needed <= set(entries):
            raise ValueError(f"loaded state of a parameter of shape {p.shape} lacks "
                             f"{sorted(needed - set(entries))}")


def _rms(x: np.ndarray) -> float:
    """RMS(x) = ‖x‖₂ / √numel(x), as a Python float (as PyTorch's ``norm().item()``)."""
    return float(np.linalg.norm(x.ravel())) / x.size**0.5


def _checked_hyperparameters(group: Mapping[str, Any]) -> None:
    """Check the ranges PyTorch checks, naming the argument (NaN is refused too)."""
    eps = group["eps"]
    if not isinstance(eps, (tuple, list)) or len(eps) != 2:
        raise ValueError(f"Invalid eps: {eps!r} (must be a pair (epsilon1, epsilon2), "
                         "epsilon1 may be None)")
    checks = [
        ("learning rate", group["lr"], lambda v: v >= 0, ">= 0"),
        ("beta2_decay", group["beta2_decay"], lambda v: v <= 0, "<= 0"),
        ("eps[0] (epsilon1)", eps[0], lambda v: v is None or v >= 0, "None or >= 0"),
        ("eps[1] (epsilon2)", eps[1], lambda v: v >= 0, ">= 0"),
        ("clipping threshold d", group["d"], lambda v: v >= 1, ">= 1"),
        ("weight_decay value", group["weight_decay"], lambda v: v >= 0, ">= 0"),
    ]
    for i, value in enumerate(eps):
        if not (value is None and i == 0 or _is_real(value)):
            raise ValueError(f"Invalid eps[{i}]: {value!r} (must be a number"
                             + (" or None)" if i == 0 else ")"))
    for words, value, valid, bound in checks:
        if not valid(value):  # `not v >= 0` also refuses NaN
            raise ValueError(f"Invalid {words}: {value} (must be {bound})")


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


