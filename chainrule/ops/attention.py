"""Scaled dot-product attention as one fused Function."""

from __future__ import annotations

import numpy as np

from ..autograd import Function


def masked_softmax(s: np.ndarray) -> np.ndarray:
    """softmax(S) along the last axis, max-shifted (never overflows, e.g. for logits ±1e4),
    with rows whose every entry is −inf (fully masked) giving all-zero weights."""
    m = np.amax(s, axis=-1, keepdims=True)
    m[~np.isfinite(m)] = 0.0  # a fully masked row: e^(−inf − 0) = 0 everywhere
    e = np.exp(s - m)
    total = np.sum(e, axis=-1, keepdims=True)
    np.divide(e, total, out=e, where=total > 0)
    return e


class ScaledDotProductAttention(Function):
    """O = dropout(softmax(Q Kᵀ · scale + M)) V, fused, with Q (…, L, E), K (…, S, E),
    V (…, S, Eᵥ), the additive mask M (…, L, S) (0 where a query may attend, −inf where it may
    not, any float otherwise), O (…, L, Eᵥ). Batch dimensions are equal (the functional
    broadcasts them first).

    Forward: S = Q Kᵀ·scale + M; P = softmax(S) along the keys, max-shifted so it never
    overflows; a row that is −inf everywhere gets P = 0 (and O = 0), as PyTorch does.
    With dropout, P̃ = P ⊙ D where D is the keep mask already scaled by 1/(1 − p) (given as
    the setting ``keep``); O = P̃ V.

    Backward, with G = dL/dO:
        dL/dV = P̃ᵀ G                                (…, S, L) @ (…, L, Eᵥ)
        dL/dP = (G Vᵀ) ⊙ D
        dL/dS = P ⊙ (dL/dP − Σ_keys dL/dP ⊙ P)       (softmax Jacobian diag(P) − P Pᵀ)
        dL/dQ = dL/dS K · scale,   dL/dK = dL/dSᵀ Q · scale,   dL/dM = dL/dS
    A fully masked row has P = 0, so its dL/dS, and its share of every gradient, is 0.
    Saves Q, K, V and P (not S: P is all the softmax backward needs).
    """

    @staticmethod
    def forward(ctx, q, k, v, mask=None, scale=1.0, keep=None):
        s = q @ np.swapaxes(k, -1, -2)
        s *= scale
        if mask is not None:
            s += mask
        p = masked_softmax(s)
        p_used = p if keep is None else p * keep
        ctx.save_for_backward(q, k, v, p, p_used)
        ctx.scale, ctx.keep = scale, keep
        return p_used @ v

    @staticmethod
    def backward(ctx, grad_out):
        q, k, v, p, p_used = ctx.saved
        need = ctx.needs_input_grad
        grad_v = np.swapaxes(p_used, -1, -2) @ grad_out if need[2] else None
        dp = grad_out @ np.swapaxes(v, -1, -2)
        if ctx.keep is not None:
            dp *= ctx.keep
        ds = p * (dp - np.sum(dp * p, axis=-1, keepdims=True))
        grad_q = ds @ k * ctx.scale if need[0] else None
        grad_k = np.swapaxes(ds, -1, -2) @ q * ctx.scale if need[1] else None
        grad_mask = ds if len(need) > 3 and need[3] else None
        return (grad_q, grad_k, grad_v, grad_mask)[: len(need)]
