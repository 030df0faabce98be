"""Multi-head attention from explicit weights: PyTorch's ``F.multi_head_attention_forward``.

``nn.MultiheadAttention`` calls ``attend`` here with its parameters (outside its fused
self-attention route), so the computation is written once.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..creation import zeros
from ..methods.shape import cat
from ..tensor import Tensor
from .activation import softmax
from .attention import scaled_dot_product_attention
from .basic import linear
from .layers import dropout


def multi_head_attention_forward(
        query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
        in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
        bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor,
        out_proj_bias: Tensor | None, training: bool = True, key_padding_mask: Any = None,
        need_weights: bool = True, attn_mask: Any = None, use_separate_proj_weight: bool = False,
        q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
        v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
        static_v: Tensor | None = None, average_attn_weights: bool = True,
        is_causal: bool = False, generator: Any = None) -> tuple[Tensor, Tensor | None]:
    """``nn.MultiheadAttention``'s computation with the weights passed in (PyTorch's
    ``F.multi_head_attention_forward``).

    Args:
        query: (L, N, E) or unbatched (L, E); key: (S, N, Eₖ); value: (S, N, Eᵥ).
        embed_dim_to_check: E, checked against the query.
        in_proj_weight: (3E, E), rows q, k, v (unused with ``use_separate_proj_weight``, which
            takes ``q_proj_weight`` (E, E), ``k_proj_weight`` (E, Eₖ), ``v_proj_weight``
            (E, Eᵥ)); in_proj_bias: (3E,) or None.
        bias_k, bias_v: (1, 1, E), a key and a value appended to the sequence, or None.
        add_zero_attn: append a key and a value of zeros (after ``bias_k``).
        dropout_p, training: dropout on the attention weights, only while ``training``.
        out_proj_weight: (E, E); out_proj_bias: (E,) or None.
        key_padding_mask: (N, S); attn_mask: (L, S) or (N·num_heads, L, S). A bool True means
            "may NOT attend"; a float is added to the scores.
        need_weights, average_attn_weights: return the weights, averaged over heads.
        static_k, static_v: (N·num_heads, S', E/num_heads), used instead of the projected
            keys / values.
        is_causal: a hint that ``attn_mask`` is the causal mask, which must then be given.
        generator: random generator for the dropout mask (chainrule's addition).

    Returns:
        (output (L, N, E) or (L, E), weights (N, L, S) — (N, num_heads, L, S) when not
        ``average_attn_weights``, unbatched without N — or None when not ``need_weights``).

    Raises AssertionError on a wrong ``embed_dim_to_check`` and the other argument checks, as
    PyTorch. Differs from PyTorch: a mask of another dtype than bool or float raises TypeError
    (PyTorch: AssertionError).
    """
    batched = _check_batched(query, key, value, key_padding_mask, attn_mask)
    embed_dim = query.shape[-1]
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    if embed_dim % num_heads:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if key.shape[:-1] != value.shape[:-1]:
            raise AssertionError(f"key's sequence and batch dims {tuple(key.shape[:-1])} do "
                                 f"not match value's {tuple(value.shape[:-1])}")
        for name, w in (("q", q_proj_weight), ("k", k_proj_weight), ("v", v_proj_weight)):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name}_proj_weight "
                                     "is None")
        weights = [q_proj_weight, k_proj_weight, v_proj_weight]
    else:
        if key.shape != value.shape:
            raise AssertionError(f"key shape {tuple(key.shape)} does not match value shape "
                                 f"{tuple(value.shape)}")
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        weights = list(split3(in_proj_weight))
    if (bias_k is None) != (bias_v is None):
        raise AssertionError(f"{'bias_k' if bias_v is None else 'bias_v'} is set but "
                             f"{'bias_v' if bias_v is None else 'bias_k'} is None")
    if bias_k is not None and (static_k is not None or static_v is not None):
        raise AssertionError("bias cannot be added to static key.")
    query, key, value, key_padding_mask = with_batch_dim(query, key, value, key_padding_mask,
                                                         batched, attn_mask, is_causal)
    biases = [None] * 3 if in_proj_bias is None else list(split3(in_proj_bias))
    out, attn = attend(query, key, value, num_heads, list(zip(weights, biases)), bias_k,
                       bias_v, add_zero_attn, dropout_p if training else 0.0, out_proj_weight,
                       out_proj_bias, key_padding_mask, need_weights, attn_mask,
                       static_k=static_k, static_v=static_v, generator=generator)
    return finish(out, attn, batched, average_attn_weights)


def with_batch_dim(query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Any,
                   batched: bool, attn_mask: Any, is_causal: bool) -> tuple:
    """(query, key, value, key_padding_mask) with a batch dimension of 1 put in when the call
    is unbatched ((L, E) inputs become (L, 1, E), an (S,) padding mask (1, S)), after checking
    that an ``is_causal`` hint comes with its ``attn_mask`` (as PyTorch requires)."""
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint.")
    if batched:
        return query, key, value, key_padding_mask
    if key_padding_mask is not None:
        key_padding_mask = mask_tensor(key_padding_mask).unsqueeze(0)
    return query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1), key_padding_mask


def split3(t: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """The q, k and v thirds of a packed projection weight (3E, E) or bias (3E,)."""
    e = t.shape[0] // 3
    return t[:e], t[e: 2 * e], t[2 * e:]


def attend(query: Tensor, key: Tensor, value: Tensor, num_heads: int,
           projections: list[tuple[Tensor, Tensor | None]], bias_k: Tensor | None,
           bias_v: Tensor | None, add_zero_attn: bool, p: float, out_proj_weight: Tensor,
           out_proj_bias: Tensor | None, key_padding_mask: Any, need_weights: bool,
           attn_mask: Any, seq_dim: int = 0, static_k: Tensor | None = None,
           static_v: Tensor | None = None, generator: Any = None) -> tuple[Tensor, Tensor | None]:
    """The batched computation: (L, N, E) inputs, or (N, L, E) with ``seq_dim`` 1 (then
    ``bias_k`` must be None), ``projections`` the (weight, bias) of q, k and v, ``p`` the
    dropout probability in effect. Returns the output in the inputs' layout and the
    per-head weights (N, heads, L, S) or None."""
    length, batch = query.shape[seq_dim], query.shape[1 - seq_dim]
    embed_dim = query.shape[-1]
    head_dim = embed_dim // num_heads
    (wq, bq), (wk, bk), (wv, bv) = projections
    q = linear(query, wq, bq)
    k = None if static_k is not None else linear(key, wk, bk)
    v = None if static_v is not None else linear(value, wv, bv)
    extra = 0
    if bias_k is not None:
        k = cat([k, bias_k.expand(1, batch, embed_dim)], dim=0)
        v = cat([v, bias_v.expand(1, batch, embed_dim)], dim=0)
        extra += 1
    q = _heads(q, num_heads, seq_dim)
    k = _heads(k, num_heads, seq_dim) if static_k is None else \
        _static(static_k, "static_k", batch, num_heads, head_dim)
    v = _heads(v, num_heads, seq_dim) if static_v is None else \
        _static(static_v, "static_v", batch, num_heads, head_dim)
    source = k.shape[2] - extra
    if add_zero_attn:
        pad = zeros(*k.shape[:2], 1, head_dim, dtype=k.dtype)
        k, v = cat([k, pad], dim=2), cat([v, pad], dim=2)
        extra += 1
    mask = merged_mask(attn_mask, key_padding_mask, length, source, batch, num_heads, extra,
                       q.dtype)
    if need_weights:
        scores = (q * (1.0 / math.sqrt(head_dim))) @ k.transpose(-1, -2)
        if mask is not None:
            scores = scores + mask
        weights = softmax(scores, dim=-1)
        if p > 0.0:
            weights = dropout(weights, p, True, generator=generator)
        out = weights @ v
    else:
        out, weights = scaled_dot_product_attention(q, k, v, mask, p,
                                                    generator=generator), None
    if seq_dim:
        out = out.permute(0, 2, 1, 3).reshape(batch, length, embed_dim)
    else:
        out = out.permute(2, 0, 1, 3).reshape(length, batch, embed_dim)
    return linear(out, out_proj_weight, out_proj_bias), weights


def finish(out: Tensor, weights: Tensor | None, batched: bool,
           average_attn_weights: bool) -> tuple[Tensor, Tensor | None]:
    """Average the weights over heads if asked; drop the batch dimension of unbatched input."""
    if weights is not None and average_attn_weights:
        weights = weights.mean(dim=1)
    if not batched:
        out = out.squeeze(1)
        weights = None if weights is None else weights.squeeze(0)
    return out, weights


def merged_mask(attn_mask: Any, key_padding_mask: Any, length: int, source: int, batch: int,
                num_heads: int, extra: int, dtype: Any) -> Tensor | None:
    """attn_mask and key_padding_mask as one additive mask (N or 1, heads or 1, L, S + extra),
    the ``extra`` appended keys (bias_k, zero attention) open to every query."""
    total = None
    if attn_mask is not None:
        m = _additive(attn_mask, "attn_mask", dtype)
        if m.ndim == 2:
            if tuple(m.shape) != (length, source):
                raise RuntimeError(f"The shape of the 2D attn_mask is {tuple(m.shape)}, but "
                                   f"should be {(length, source)}.")
            m = m.reshape(1, 1, length, source)
        elif m.ndim == 3:
            want = (batch * num_heads, length, source)
            if tuple(m.shape) != want:
                raise RuntimeError(f"The shape of the 3D attn_mask is {tuple(m.shape)}, but "
                                   f"should be {want}.")
            m = m.reshape(batch, num_heads, length, source)
        else:
            raise RuntimeError(f"attn_mask's dimension {m.ndim} is not supported (2 or 3)")
        total = _pad_keys(m, extra)
    if key_padding_mask is not None:
        m = _additive(key_padding_mask, "key_padding_mask", dtype)
        if tuple(m.shape) != (batch, source):
            raise RuntimeError(f"expecting key_padding_mask shape of {(batch, source)}, "
                               f"but got {tuple(m.shape)}")
        m = _pad_keys(m.reshape(batch, 1, 1, source), extra)
        total = m if total is None else total + m
    return total


def _check_batched(query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Any,
                   attn_mask: Any) -> bool:
    """Whether the input is batched (3-D) rather than unbatched (2-D); AssertionError on
    inconsistent dimensions, as PyTorch."""
    dims = (query.ndim, key.ndim, value.ndim)
    if dims not in ((2, 2, 2), (3, 3, 3)):
        raise AssertionError(f"query, key and value should be all 2-D (unbatched) or all 3-D "
                             f"(batched), got {query.ndim}-D, {key.ndim}-D and {value.ndim}-D")
    batched = query.ndim == 3
    if key_padding_mask is not None and np.ndim(mask_tensor(key_padding_mask).data) != \
            query.ndim - 1:
        raise AssertionError(f"For {'' if batched else 'un'}batched {query.ndim}-D query, "
                             f"expected key_padding_mask to be {query.ndim - 1}-D")
    if attn_mask is not None and np.ndim(mask_tensor(attn_mask).data) not in (2, 3):
        raise AssertionError("attn_mask should be 2-D or 3-D")
    return batched


def _heads(x: Tensor, num_heads: int, seq_dim: int) -> Tensor:
    """(L, N, E), or (N, L, E) when ``seq_dim`` is 1 -> (N, heads, L, head_dim)."""
    x = x.reshape(x.shape[0], x.shape[1], num_heads, x.shape[2] // num_heads)
    return x.permute(0, 2, 1, 3) if seq_dim else x.permute(1, 2, 0, 3)


def _static(t: Tensor, name: str, batch: int, num_heads: int, head_dim: int) -> Tensor:
    """A static key or value (N·heads, S, head_dim) -> (N, heads, S, head_dim)."""
    if t.ndim != 3 or t.shape[0] != batch * num_heads:
        raise AssertionError(f"expecting {name}.size(0) of {batch * num_heads}, but got "
                             f"{t.shape[0] if t.ndim else t.shape}")
    if t.shape[2] != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {t.shape[2]}")
    return t.reshape(batch, num_heads, t.shape[1], head_dim)


def mask_tensor(mask: Any) -> Tensor:
    return mask if isinstance(mask, Tensor) else Tensor(np.asarray(mask))


def _additive(mask: Any, name: str, dtype: Any) -> Tensor:
    """A bool mask (True = may not attend) as 0/−inf, or a float mask as it is."""
    mask = mask_tensor(mask)
    if mask.dtype == np.bool_:
        return Tensor(np.where(mask.data, np.array(-np.inf, dtype), np.zeros((), dtype)))
    if mask.dtype.kind != "f":
        raise TypeError(f"only bool and floating types of {name} are supported, got "
                        f"{mask.dtype}")
    return mask if mask.dtype == dtype else mask.to(dtype)


def _pad_keys(mask: Tensor, extra: int) -> Tensor:
    """Room for the appended bias/zero keys, which every query may attend to."""
    if not extra:
        return mask
    pad = zeros(*mask.shape[:-1], extra, dtype=mask.dtype)
    return cat([mask, pad], dim=-1)
