"""``MultiheadAttention`` with PyTorch's parameters, masks and return values."""

from __future__ import annotations

from typing import Any

from ..creation import empty
from ..device import require_cpu
from ..functional.attention import self_attention
from ..functional.multihead import attend, finish, merged_mask, split3, with_batch_dim
from ..tensor import Tensor
from . import init
from .linear import Linear
from .module import Module
from .parameter import Parameter


class MultiheadAttention(Module):
    """Attention over ``num_heads`` heads of ``embed_dim // num_heads`` features each
    (PyTorch's ``nn.MultiheadAttention``): softmax(Q Kᵀ/√d + mask) V per head, then
    ``out_proj``.

    Args:
        embed_dim: features of the query (and of the output).
        num_heads: parallel heads; must divide ``embed_dim``.
        dropout: dropout on the attention weights while training.
        bias: add biases to the input and output projections.
        add_bias_kv: append a learned key and value (``bias_k``, ``bias_v``) to the sequence.
        add_zero_attn: append a key and value of zeros to the sequence.
        kdim, vdim: features of key and value (default ``embed_dim``).
        batch_first: inputs and output are (N, L, E) instead of (L, N, E).
        dtype, generator: parameter dtype; random generator for the initialisation.

    Parameters: ``in_proj_weight`` (3E, E) (rows q, k, v) when kdim = vdim = E, else
    ``q_proj_weight`` (E, E), ``k_proj_weight`` (E, kdim), ``v_proj_weight`` (E, vdim);
    ``in_proj_bias`` (3E,); ``out_proj`` a Linear(E, E). Init as PyTorch: Xavier-uniform
    projections, zero biases.

    Differs from PyTorch: ``embed_dim`` not divisible by ``num_heads`` raises ValueError
    (PyTorch: AssertionError).
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False,
                 kdim: int | None = None, vdim: int | None = None, batch_first: bool = False,
                 device: Any = None, dtype: Any = None, generator: Any = None) -> None:
        super().__init__()
        require_cpu(device, "MultiheadAttention")
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim must be divisible by num_heads, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads}")
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.batch_first, self.head_dim = batch_first, embed_dim // num_heads
        self.add_zero_attn, self.generator = add_zero_attn, generator
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(empty(3 * embed_dim, embed_dim, dtype=dtype))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(empty(embed_dim, embed_dim, dtype=dtype))
            self.k_proj_weight = Parameter(empty(embed_dim, self.kdim, dtype=dtype))
            self.v_proj_weight = Parameter(empty(embed_dim, self.vdim, dtype=dtype))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(empty(3 * embed_dim, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype, generator=generator)
        if add_bias_kv:
            self.bias_k = Parameter(empty(1, 1, embed_dim, dtype=dtype))
            self.bias_v = Parameter(empty(1, 1, embed_dim, dtype=dtype))
        else:
            self.bias_k = self.bias_v = None
        self._reset_parameters(generator)

    def _reset_parameters(self, generator: Any = None) -> None:
        for name in ("in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight"):
            if self._parameters.get(name) is not None:
                init.xavier_uniform_(self._parameters[name], generator=generator)
        for b in (self.in_proj_bias, self.out_proj.bias):
            if b is not None:
                init.zeros_(b)
        for b in (self.bias_k, self.bias_v):
            if b is not None:
                init.xavier_normal_(b, generator=generator)

    def _projections(self) -> list[tuple[Tensor, Tensor | None]]:
        if self._qkv_same_embed_dim:
            weights = list(split3(self.in_proj_weight))
        else:
            weights = [self.q_proj_weight, self.k_proj_weight, self.v_proj_weight]
        b = self.in_proj_bias
        biases = [None] * 3 if b is None else list(split3(b))
        return list(zip(weights, biases))

    def forward(self, query: Tensor, key: Tensor, value: Tensor,
                key_padding_mask: Any = None, need_weights: bool = True, attn_mask: Any = None,
                average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        """Returns (output, weights): output (L, N, E) ((N, L, E) with batch_first, (L, E)
        unbatched); weights (N, L, S) averaged over heads, (N, num_heads, L, S) when not
        ``average_attn_weights``, None when not ``need_weights``.

        Masks: ``key_padding_mask`` (N, S), ``attn_mask`` (L, S) or (N·num_heads, L, S); a
        bool True means "may NOT attend" (PyTorch's convention here, the opposite of
        ``scaled_dot_product_attention``), a float is added to the scores. ``is_causal`` is a
        hint that ``attn_mask`` is the causal mask, which must then be given.
        """
        batched = self._check_inputs(query, key, value)
        same = query is key and key is value
        query, key, value, key_padding_mask = with_batch_dim(query, key, value, key_padding_mask,
                                                             batched, attn_mask, is_causal)
        # batch_first inputs stay (N, L, E) (no transposed copies) unless bias_k is appended
        seq_dim = 1 if batched and self.batch_first and self.bias_k is None else 0
        if batched and self.batch_first and not seq_dim:
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        length, batch, source = query.shape[seq_dim], query.shape[1 - seq_dim], key.shape[seq_dim]
        if same and self._fused(need_weights, attn_mask, key_padding_mask):
            mask = self._mask(attn_mask, key_padding_mask, length, source, batch, 0, query.dtype)
            out = self_attention(query.reshape(-1, self.embed_dim), self.in_proj_weight,
                                 self.in_proj_bias, self.num_heads, batch, bool(seq_dim), mask,
                                 self.dropout if self.training else 0.0, self.generator)
            return self._finish(self.out_proj(out).reshape(query.shape), None, batched,
                                seq_dim, average_attn_weights)
        out, weights = attend(query, key, value, self.num_heads, self._projections(),
                              self.bias_k, self.bias_v, self.add_zero_attn,
                              self.dropout if self.training else 0.0, self.out_proj.weight,
                              self.out_proj.bias, key_padding_mask, need_weights, attn_mask,
                              seq_dim, generator=self.generator)
        return self._finish(out, weights, batched, seq_dim, average_attn_weights)

    def _fused(self, need_weights, attn_mask, key_padding_mask) -> bool:
        """Whether self-attention takes the one-node route (``F.self_attention``): the same
        tensor as query, key and value, the packed in-projection, nothing appended to the keys,
        no weights returned, no mask to differentiate, and training mode (the route saves
        work in backward; in eval mode the op-by-op route is kept, which is also what the
        ONNX exporter traces and translates)."""
        masks = (m for m in (attn_mask, key_padding_mask) if isinstance(m, Tensor))
        return (self.training and self._qkv_same_embed_dim and self.bias_k is None
                and not self.add_zero_attn and not need_weights
                and not any(m.requires_grad for m in masks))

    def _finish(self, out, weights, batched, seq_dim, average_attn_weights):
        """The output and the weights in the caller's layout."""
        out, weights = finish(out, weights, batched, average_attn_weights)
        if batched and self.batch_first and not seq_dim:
            out = out.transpose(0, 1)
        return out, weights

    def _check_inputs(self, query: Tensor, key: Tensor, value: Tensor) -> bool:
        if query.ndim not in (2, 3):
            raise ValueError(f"MultiheadAttention: query should be unbatched 2D or batched 3D "
                             f"tensor but received {query.ndim}-D query tensor")
        if key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(f"MultiheadAttention: query, key and value must have the same "
                             f"number of dimensions, got shapes {tuple(query.shape)}, "
                             f"{tuple(key.shape)} and {tuple(value.shape)}")
        for name, t, size in (("query", query, self.embed_dim), ("key", key, self.kdim),
                              ("value", value, self.vdim)):
            if t.shape[-1] != size:
                raise ValueError(f"MultiheadAttention: was expecting {name} embedding dimension "
                                 f"of {size}, but got {t.shape[-1]} (shape {tuple(t.shape)})")
        if key.shape[:-1] != value.shape[:-1]:
            raise ValueError(f"MultiheadAttention: key shape {tuple(key.shape)} does not match "
                             f"value shape {tuple(value.shape)}")
        return query.ndim == 3

    def _mask(self, attn_mask, key_padding_mask, length, source, batch, extra, dtype):
        return merged_mask(attn_mask, key_padding_mask, length, source, batch,
                           self.num_heads, extra, dtype)

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"

