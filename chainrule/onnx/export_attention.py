"""``F.scaled_dot_product_attention`` as standard ONNX operators (opset 17 has no Attention):
S = MatMul(Q, Kᵀ) · scale (+ mask), P = Softmax(S), O = MatMul(P, V).

``nn.MultiheadAttention`` and the Transformer layers need nothing more: their projections,
head reshapes, norms and residual sums are traced op by op around this one Function. A mask
that is a constant of the traced forward is written as a constant, except the causal mask
(``is_causal=True``, or a constant equal to it): that one is built from the runtime lengths
(Shape, ConstantOfShape, Trilu, Where), so the sequence length stays dynamic. A bool mask is
turned into 0/−inf by the forward before the trace sees it, so it is a constant of the file;
a float mask passed as a model input stays an input.

Differs from PyTorch: a query whose keys are all masked gets NaN in ONNX Runtime (Softmax of
a row of −inf), where chainrule and PyTorch give 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops
from .builder import GraphBuilder, UnsupportedOperatorError


def attention(b: GraphBuilder, ctx: Any, inputs: list[str], out: Any) -> str:
    """The nodes of one ScaledDotProductAttention (eval mode: no dropout)."""
    if ctx.keep is not None:
        raise UnsupportedOperatorError(
            "export: scaled_dot_product_attention with dropout_p > 0 has no ONNX translation; "
            "export in eval mode (dropout_p=0)")
    q, k, v = inputs[:3]
    k_rank = _rank(ctx.parents[1])
    perm = list(range(k_rank - 2)) + [k_rank - 1, k_rank - 2]
    scores = b.node("MatMul", [q, b.node("Transpose", [k], perm=perm)])
    scores = b.node("Mul", [scores, b.floats(ctx.scale)])
    if len(inputs) > 3:
        mask = ctx.parents[3]
        causal = _is_causal(mask)
        scores = b.node("Add", [scores, causal_mask(b, q, k) if causal else inputs[3]])
    return b.node("MatMul", [b.node("Softmax", [scores], axis=-1), v])


def _rank(t: Any) -> int:
    """The rank of ``t`` before chainrule broadcast it (the exporter's operand)."""
    ctx = t._ctx
    if ctx is not None and ctx.fn is ops.BroadcastTo and ctx.parents:
        return ctx.parents[0].ndim
    return t.ndim


def _is_causal(mask: Any) -> bool:
    """A constant mask equal to the causal one (0 on and below the diagonal, −inf above),
    the same for every batch entry."""
    if mask._ctx is not None or mask.requires_grad or mask.ndim < 2:
        return False
    data = mask.data
    length, source = data.shape[-2:]
    want = np.where(np.tri(length, source, dtype=bool), 0.0, -np.inf)
    return bool(np.all(data == want))


def causal_mask(b: GraphBuilder, q: str, k: str) -> str:
    """(L, S): 0 where key j ≤ query i, −inf above, from the runtime L and S."""
    sizes = b.node("Concat", [b.node("Shape", [q], start=-2, end=-1),
                              b.node("Shape", [k], start=-2, end=-1)], axis=0)
    ones = b.node("ConstantOfShape", [sizes],
                  value=b.onnx.numpy_helper.from_array(np.ones(1, b.float_dtype)))
    above = b.node("Cast", [b.node("Trilu", [ones, b.ints(1)], upper=1)],
                   to=b.onnx.TensorProto.BOOL)
    return b.node("Where", [above, b.floats(-np.inf), b.floats(0.0)])
