"""Attention: ``scaled_dot_product_attention`` (one fused Function, ``ops.attention``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..ops.attention import ScaledDotProductAttention, SelfAttention
from ..random import resolve
from ..tensor import Tensor


def _bool_to_additive(mask: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """A boolean mask (True = may attend) as 0 / −inf in ``dtype``."""
    return np.where(mask, np.zeros((), dtype), np.array(-np.inf, dtype))


def _check_shapes(query: Tensor, key: Tensor, value: Tensor) -> None:
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise ValueError(f"scaled_dot_product_attention: query, key and value need at least 2 "
                         f"dimensions (…, L, E), got shapes {tuple(query.shape)}, "
                         f"{tuple(key.shape)} and {tuple(value.shape)}")
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(f"scaled_dot_product_attention: query and key must have the same "
                           f"embedding size, got query {tuple(query.shape)} and key "
                           f"{tuple(key.shape)}")
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"scaled_dot_product_attention: key and value must have the same "
                           f"sequence length, got key {tuple(key.shape)} and value "
                           f"{tuple(value.shape)}")


def _repeat_heads(query: Tensor, key: Tensor, value: Tensor) -> tuple[Tensor, Tensor]:
    """Grouped-query attention: repeat each key/value head for its group of query heads."""
    if min(query.ndim, key.ndim, value.ndim) < 3:
        raise RuntimeError("scaled_dot_product_attention: enable_gqa needs a head dimension "
                           "(…, H, L, E)")
    hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
    if hk == 0 or hv == 0 or hq % hk or hq % hv:
        raise RuntimeError(f"Number of heads in key and value must divide the number of heads "
                           f"in query: got {hq} query heads, {hk} key heads and {hv} value "
                           "heads")
    lead = (Ellipsis,)
    key = key[lead + (np.repeat(np.arange(hk), hq // hk), slice(None), slice(None))]
    value = value[lead + (np.repeat(np.arange(hv), hq // hv), slice(None), slice(None))]
    return key, value


def _additive_mask(attn_mask: Any, is_causal: bool, query: Tensor, key: Tensor) -> Any:
    """The mask as something added to the scores (a Tensor, an array or None)."""
    length, source = query.shape[-2], key.shape[-2]
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("scaled_dot_product_attention: an explicit attn_mask should not "
                               "be set when is_causal=True")
        return _bool_to_additive(np.tri(length, source, dtype=bool), query.dtype)
    if attn_mask is None:
        return None
    mask = attn_mask if isinstance(attn_mask, Tensor) else Tensor(np.asarray(attn_mask))
    if mask.dtype == np.bool_:
        mask = _bool_to_additive(mask.data, query.dtype)
    elif mask.dtype != query.dtype:
        raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query "
                           f"dtype, but got attn_mask.dtype: {mask.dtype} and query.dtype: "
                           f"{query.dtype} instead.")
    try:
        np.broadcast_shapes(tuple(mask.shape), (length, source))
    except ValueError:
        raise RuntimeError(f"scaled_dot_product_attention: attn_mask of shape "
                           f"{tuple(mask.shape)} does not broadcast to the attention scores "
                           f"(…, L={length}, S={source})") from None
    return mask


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Any = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False, generator: Any = None) -> Tensor:
    """softmax(Q Kᵀ · scale + mask) V, PyTorch's ``F.scaled_dot_product_attention``.

    Args:
        query: (…, L, E); key: (…, S, E); value: (…, S, Eᵥ); batch dimensions broadcast.
        attn_mask: bool (True: the query may attend to that key, as PyTorch) or float (added
            to the scores), broadcastable to (…, L, S).
        dropout_p: dropout probability on the attention weights (always applied when > 0,
            as in PyTorch; pass 0.0 when evaluating).
        is_causal: mask out keys after each query (lower-triangular L × S mask); an error
            together with ``attn_mask``.
        scale: the factor on Q Kᵀ, 1/√E by default.
        enable_gqa: allow fewer key/value heads (dimension −3) than query heads, each serving a
            group of query heads.
        generator: random generator for the dropout mask (chainrule's addition).

    Returns:
        (…, L, Eᵥ). A query whose keys are all masked gets 0 (and no gradient), as PyTorch.
        One fused Function; the derivation is in ``ops.attention.ScaledDotProductAttention``.
    """
    _check_shapes(query, key, value)
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, got {dropout_p}")
    if enable_gqa:
        key, value = _repeat_heads(query, key, value)
    mask = _additive_mask(attn_mask, is_causal, query, key)
    length, source = query.shape[-2], key.shape[-2]
    batch = np.broadcast_shapes(query.shape[:-2], key.shape[:-2], value.shape[:-2],
                                tuple(np.shape(mask))[:-2] if mask is not None else ())
    query = query.expand(*batch, *query.shape[-2:])
    key = key.expand(*batch, *key.shape[-2:])
    value = value.expand(*batch, *value.shape[-2:])
    inputs = [query, key, value]
    if mask is not None:
        full = batch + (length, source)
        inputs.append(mask.expand(*full) if isinstance(mask, Tensor)
                      else np.broadcast_to(mask, full))
    keep = _keep_mask(batch + (length, source), dropout_p, query.dtype, generator)
    factor = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    return ScaledDotProductAttention.apply(*inputs, scale=factor, keep=keep)


def _keep_mask(shape: tuple, dropout_p: float, dtype: Any, generator: Any) -> Any:
    """The dropout keep mask of the attention weights, scaled by 1/(1 − p); None for p = 0."""
    if dropout_p <= 0.0:
        return None
    drawn = resolve(generator).random(shape, dtype=np.float32)
    if dropout_p >= 1.0:
        return np.zeros(shape, dtype)
    return (drawn >= dropout_p).astype(dtype) * (1.0 / (1.0 - dropout_p))


def self_attention(x: Tensor, in_proj_weight: Tensor, in_proj_bias: Tensor | None,
                   num_heads: int, batch: int, batch_first: bool, mask: Any = None,
                   dropout_p: float = 0.0, generator: Any = None) -> Tensor:
    """Multi-head self-attention up to the output projection, as one node
    (``ops.attention.SelfAttention``): the packed projection [Q | K | V] = X W_inᵀ + b_in, the
    scaled dot-product attention of each head, the heads side by side.

    Args:
        x: (M, E), the positions of ``batch`` sequences as rows: M = N·L, sequence by
            sequence when ``batch_first``, else position by position.
        in_proj_weight: (3E, E), rows q, k, v; in_proj_bias: (3E,) or None.
        num_heads: heads, dividing E.
        mask: additive float mask (array or Tensor, not differentiated) broadcastable to
            (N, heads, L, L), or None.
        dropout_p, generator: dropout on the attention weights (the same draws as
            ``scaled_dot_product_attention`` on the split heads).

    Returns:
        (M, E), rows as in ``x``. Scale 1/√(E/heads).
    """
    length = x.shape[0] // batch
    keep = _keep_mask((batch, num_heads, length, length), dropout_p, x.dtype, generator)
    if isinstance(mask, Tensor):
        mask = mask.data
    inputs = (x, in_proj_weight) if in_proj_bias is None else (x, in_proj_weight, in_proj_bias)
    return SelfAttention.apply(*inputs, heads=num_heads, batch=batch, batch_first=batch_first,
                               mask=mask, scale=1.0 / math.sqrt(x.shape[-1] // num_heads),
                               keep=keep)
