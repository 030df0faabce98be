"""Scaled dot-product attention as one fused Function."""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from .workspace import WORKSPACE


def masked_softmax(s: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """softmax(S) along the last axis, max-shifted (never overflows, e.g. for logits ±1e4),
    with rows whose every entry is −inf (fully masked) giving all-zero weights. Written into
    ``out`` if given (which may be ``s`` itself)."""
    m = np.amax(s, axis=-1, keepdims=True)
    m[~np.isfinite(m)] = 0.0  # a fully masked row: e^(−inf − 0) = 0 everywhere
    e = np.subtract(s, m, out=out)
    np.exp(e, out=e)
    total = np.sum(e, axis=-1, keepdims=True)
    total[total == 0] = 1  # a fully masked row: 0 / 1 = 0
    return np.divide(e, total, out=e)


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
        shape = np.broadcast_shapes(q.shape[:-1], k.shape[:-2] + (1,)) + (k.shape[-2],)
        s = np.matmul(q, np.swapaxes(k, -1, -2), out=WORKSPACE.spare("attn_p", shape, q.dtype))
        s *= scale
        if mask is not None:
            s += mask
        p = masked_softmax(s, out=s)
        p_used = p if keep is None else p * keep
        ctx.save_for_backward(q, k, v, p, p_used)
        ctx.scale, ctx.keep = scale, keep
        return p_used @ v

    @staticmethod
    def backward(ctx, grad_out):
        q, k, v, p, p_used = ctx.saved
        need = ctx.needs_input_grad
        grad_v = np.swapaxes(p_used, -1, -2) @ grad_out if need[2] else None
        dp = np.matmul(grad_out, np.swapaxes(v, -1, -2),
                       out=WORKSPACE.get("attn_dp", p.shape, p.dtype))
        if ctx.keep is not None:
            dp *= ctx.keep
        # dS = P ⊙ (dP − Σ_keys dP ⊙ P), in place in dP's array
        row = np.multiply(dp, p, out=WORKSPACE.get("attn_dp_p", p.shape, p.dtype))
        dp -= np.sum(row, axis=-1, keepdims=True)
        ds = np.multiply(dp, p, out=dp)
        grad_q = grad_k = grad_mask = None
        if need[0]:
            grad_q = ds @ k
            grad_q *= ctx.scale
        if need[1]:
            grad_k = np.swapaxes(ds, -1, -2) @ q
            grad_k *= ctx.scale
        if len(need) > 3 and need[3]:
            grad_mask = ds.copy()  # ds lives in a reused array
        return (grad_q, grad_k, grad_v, grad_mask)[: len(need)]
