"""Scaled dot-product attention as one fused Function, and multi-head self-attention from its
input (the packed Q, K, V projection and the attention of every head) as another."""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..kernels import column_sums
from .workspace import WORKSPACE


def masked_softmax(s: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """softmax(S) along the last axis, max-shifted (never overflows, e.g. for logits ±1e4),
    with rows whose every entry is −inf (fully masked) giving all-zero weights. Written into
    ``out`` if given (which may be ``s`` itself)."""
    m = np.amax(s, axis=-1, keepdims=True)
    m[~np.isfinite(m)] = 0.0  # a fully masked row: e^(−inf − 0) = 0 everywhere
    e = np.subtract(s, m, out=out)
    np.exp(e, out=e)
    total = np.einsum("...i->...", e)[..., None]  # row sums (faster than np.sum on short rows)
    total[total == 0] = 1  # a fully masked row: 0 / 1 = 0
    return np.divide(e, total, out=e)


def attend(q, k, v, mask, scale, keep, out=None):
    """The forward of ``ScaledDotProductAttention``: (O, P, P̃), O written into ``out`` if
    given. P lives in a reused array (``WORKSPACE.spare``)."""
    shape = np.broadcast_shapes(q.shape[:-1], k.shape[:-2] + (1,)) + (k.shape[-2],)
    s = np.matmul(q, np.swapaxes(k, -1, -2), out=WORKSPACE.spare("attn_p", shape, q.dtype))
    s *= scale
    if mask is not None:
        s += mask
    p = masked_softmax(s, out=s)
    p_used = p if keep is None else p * keep
    return np.matmul(p_used, v, out=out), p, p_used


def attend_backward(grad_out, q, k, v, p, p_used, scale, keep, outs=(None, None, None)):
    """The gradients of ``attend`` (``ScaledDotProductAttention``'s backward): (dQ, dK, dV, dS).
    ``outs`` says, for dQ, dK and dV, where to write each: an array, None (a new array) or
    False (not computed; None is returned for it). dS lives in a reused array."""
    out_q, out_k, out_v = outs
    grad_v = None if out_v is False else \
        np.matmul(np.swapaxes(p_used, -1, -2), grad_out, out=out_v)
    dp = np.matmul(grad_out, np.swapaxes(v, -1, -2),
                   out=WORKSPACE.get("attn_dp", p.shape, p.dtype))
    if keep is not None:
        dp *= keep
    # dS = P ⊙ (dP − Σ_keys dP ⊙ P), in place in dP's array
    dp -= np.einsum("...i,...i->...", dp, p)[..., None]
    ds = np.multiply(dp, p, out=dp)
    grad_q = grad_k = None
    if out_q is not False:
        grad_q = np.matmul(ds, k, out=out_q)
        grad_q *= scale
    if out_k is not False:
        grad_k = np.matmul(np.swapaxes(ds, -1, -2), q, out=out_k)
        grad_k *= scale
    return grad_q, grad_k, grad_v, ds


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
        out, p, p_used = attend(q, k, v, mask, scale, keep)
        ctx.save_for_backward(q, k, v, p, p_used)
        ctx.scale, ctx.keep = scale, keep
        return out

    @staticmethod
    def backward(ctx, grad_out):
        q, k, v, p, p_used = ctx.saved
        need = ctx.needs_input_grad
        outs = tuple(None if n else False for n in need[:3])
        grad_q, grad_k, grad_v, ds = attend_backward(grad_out, q, k, v, p, p_used, ctx.scale,
                                                     ctx.keep, outs)
        grad_mask = ds.copy() if len(need) > 3 and need[3] else None  # ds: a reused array
        return (grad_q, grad_k, grad_v, grad_mask)[: len(need)]


def _split(packed: np.ndarray, blocks: int, batch: int, heads: int,
           batch_first: bool) -> np.ndarray:
    """The rows of a C-ordered (M, blocks·E) array, M = N·L (``batch_first``: sequence by
    sequence) or L·N (position by position), as ``blocks`` views (N, heads, L, E/heads), one
    per block of E columns, stacked on a leading axis: no copy."""
    m, width = packed.shape
    length, per = m // batch, width // (blocks * heads)
    if batch_first:
        return packed.reshape(batch, length, blocks, heads, per).transpose(2, 0, 3, 1, 4)
    return packed.reshape(length, batch, blocks, heads, per).transpose(2, 1, 3, 0, 4)


class SelfAttention(Function):
    """Multi-head self-attention up to the output projection, from the input X (M, E) whose
    rows are the positions of N sequences of length L (M = N·L, sequence by sequence when
    ``batch_first``, else position by position):

        [Q | K | V] = X W_inᵀ + b_in            one (M, E) × (E, 3E) product
        Oₕ = ScaledDotProductAttention(Qₕ, Kₕ, Vₕ, mask, scale, keep)   per head h of E/heads
        O = [O₁ | … | O_heads]                    (M, E), the heads side by side

    Settings: ``heads``, ``batch`` (N), ``batch_first``, ``mask`` (additive, broadcastable to
    (N, heads, L, L), not differentiated), ``scale``, ``keep`` (the scaled dropout keep mask).

    Backward, with G = dL/dO split into heads as O was: the attention gradients dQₕ, dKₕ, dVₕ
    (``ScaledDotProductAttention``) are written straight into one (M, 3E) array
    dA = [dQ | dK | dV] laid out as [Q | K | V], and then
        dL/dX = dA W_in,   dL/dW_in = dAᵀ X,   dL/db_in = 1ᵀ dA
    (one product each instead of one per projection and a sum of three). Saves X, W_in,
    [Q | K | V], P and P̃.
    """

    @staticmethod
    def forward(ctx, x, w_in, b_in=None, *, heads, batch, batch_first, mask=None, scale=1.0,
                keep=None):
        qkv = x @ w_in.T
        if b_in is not None:
            qkv += b_in
        q, k, v = _split(qkv, 3, batch, heads, batch_first)
        out = np.empty(x.shape, qkv.dtype)
        merged = _split(out, 1, batch, heads, batch_first)[0]  # O's heads, side by side
        _, p, p_used = attend(q, k, v, mask, scale, keep, out=merged)
        ctx.save_for_backward(x, w_in, qkv, p, p_used)
        ctx.settings = (heads, batch, batch_first, scale, keep)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, w_in, qkv, p, p_used = ctx.saved
        heads, batch, batch_first, scale, keep = ctx.settings
        grad_packed = np.empty(qkv.shape, qkv.dtype)  # [dQ | dK | dV], laid out as [Q | K | V]
        q, k, v = _split(qkv, 3, batch, heads, batch_first)
        g = _split(np.ascontiguousarray(grad_out), 1, batch, heads, batch_first)[0]
        attend_backward(g, q, k, v, p, p_used, scale, keep,
                        tuple(_split(grad_packed, 3, batch, heads, batch_first)))
        need = ctx.needs_input_grad
        grad_x = grad_packed @ w_in if need[0] else None
        grad_w = grad_packed.T @ x if need[1] else None
        grad_b = column_sums(grad_packed) if len(need) > 2 and need[2] else None
        return (grad_x, grad_w, grad_b)[: len(need)]
