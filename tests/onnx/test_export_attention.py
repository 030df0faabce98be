"""ONNX export of attention: ``F.scaled_dot_product_attention``, ``nn.MultiheadAttention`` and
the Transformer layers (eval mode) as MatMul/Softmax/... nodes, with each mask kind, against
ONNX Runtime at two batch sizes and two sequence lengths, re-imported with ``load``."""

from __future__ import annotations

import io

import numpy as np
import pytest

import chainrule
import chainrule.functional as F
from chainrule import nn
from chainrule.onnx import UnsupportedOperatorError, export, load
from tests.optional import needs_onnx, needs_onnxruntime

pytestmark = [needs_onnx, needs_onnxruntime]
TOL = dict(rtol=1e-5, atol=1e-5)
SIZES = [(3, 6), (1, 9)]  # (batch, length), neither the traced (2, 5)
E = 8


def causal_bool(length: int) -> np.ndarray:
    """True where a query may attend (F.scaled_dot_product_attention's convention)."""
    return np.tri(length, dtype=bool)


class SDPA(nn.Module):
    """Heads (N, 2, L, 4); ``mask`` picks the kind of mask."""

    def __init__(self, mask: str) -> None:
        super().__init__()
        self.mask = mask

    def forward(self, q, k, v, *extra):
        length = q.shape[-2]
        if self.mask == "causal":
            return F.scaled_dot_product_attention(q, k, v, is_causal=True)
        if self.mask == "bool_causal":  # a bool mask equal to the causal one
            return F.scaled_dot_product_attention(q, k, v, attn_mask=causal_bool(length))
        if self.mask == "float_input":
            return F.scaled_dot_product_attention(q, k, v, attn_mask=extra[0])
        if self.mask == "scale":
            return F.scaled_dot_product_attention(q, k, v, scale=0.3)
        return F.scaled_dot_product_attention(q, k, v)


class SelfAttention(nn.Module):
    """nn.MultiheadAttention on one sequence, with the mask kind of ``mask``."""

    def __init__(self, mask: str, batch_first: bool, need_weights: bool) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(E, 2, batch_first=batch_first)
        self.mask, self.need_weights, self.batch_first = mask, need_weights, batch_first

    def forward(self, x, *extra):
        length = x.shape[1] if self.batch_first else x.shape[0]
        kwargs = {}
        if self.mask == "causal":  # True: may NOT attend, as nn.MultiheadAttention reads it
            kwargs = dict(attn_mask=nn.Transformer.generate_square_subsequent_mask(length),
                          is_causal=True)
        elif self.mask == "float_input":
            kwargs = dict(attn_mask=extra[0])
        elif self.mask == "key_padding_input":
            kwargs = dict(key_padding_mask=extra[0])
        out, weights = self.attn(x, x, x, need_weights=self.need_weights, **kwargs)
        return out if weights is None else (out, weights)


def _run_checks(model, make, names, axes, outputs_count, sizes=SIZES):
    """Export on make(2, 5); compare ONNX Runtime and the re-imported module with chainrule
    at each (batch, length) of ``sizes``."""
    import onnx
    import onnxruntime

    model.eval()
    buffer = io.BytesIO()
    outputs = [f"out{i}" for i in range(outputs_count)]
    export(model, tuple(make(2, 5)), buffer, input_names=names, output_names=outputs,
           dynamic_axes=axes(outputs))
    proto = onnx.load_from_string(buffer.getvalue())
    onnx.checker.check_model(proto, full_check=True)
    session = onnxruntime.InferenceSession(buffer.getvalue(),
                                           providers=["CPUExecutionProvider"])
    loaded = load(proto)
    for batch, length in sizes:
        xs = make(batch, length)
        want = model(*[chainrule.tensor(x) for x in xs])
        want = [t.detach().numpy() for t in (want if isinstance(want, tuple) else (want,))]
        again = loaded(*[chainrule.tensor(x) for x in xs])
        again = again if isinstance(again, tuple) else (again,)
        for w, g, a in zip(want, session.run(None, dict(zip(names, xs))), again):
            np.testing.assert_allclose(g, w, **TOL)
            np.testing.assert_allclose(a.detach().numpy(), w, **TOL)
    return proto


@pytest.mark.parametrize("mask", ["none", "causal", "bool_causal", "float_input", "scale"])
def test_scaled_dot_product_attention(mask):
    rng = np.random.default_rng(0)

    def make(batch, length):
        xs = [rng.standard_normal((batch, 2, length, 4)).astype(np.float32) for _ in range(3)]
        if mask == "float_input":
            xs.append(rng.standard_normal((length, length)).astype(np.float32))
        return xs

    names = ["q", "k", "v"] + (["mask"] if mask == "float_input" else [])

    def axes(outputs):
        found = {n: {0: "batch", 2: "length"} for n in ["q", "k", "v", *outputs]}
        found.update({"mask": {0: "length", 1: "length"}} if mask == "float_input" else {})
        return found

    proto = _run_checks(SDPA(mask), make, names, axes, 1)
    ops = {n.op_type for n in proto.graph.node}
    assert {"MatMul", "Softmax"} <= ops and "Attention" not in ops


def test_bool_mask_other_than_causal_is_a_constant():
    """A bool mask that is not causal is written as the constant it was while tracing: the
    batch stays dynamic, the length is the traced one."""
    rng = np.random.default_rng(1)
    allowed = rng.random((5, 5)) > 0.3
    allowed[:, 0] = True  # every query sees at least one key

    class Fixed(nn.Module):
        def forward(self, q, k, v):
            return F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)

    def make(batch, length):
        return [rng.standard_normal((batch, 2, length, 4)).astype(np.float32) for _ in range(3)]

    _run_checks(Fixed(), make, ["q", "k", "v"],
                lambda outs: {n: {0: "batch"} for n in ["q", "k", "v", *outs]}, 1,
                sizes=[(3, 5), (1, 5)])


@pytest.mark.parametrize("mask", ["none", "causal", "float_input", "key_padding_input"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights", [False, True])
def test_multihead_attention(mask, batch_first, need_weights):
    # With need_weights the causal mask is added as the constant it was while tracing (only
    # the fused path rebuilds it from the runtime length): the length stays the traced one.
    sizes = [(3, 5), (1, 5)] if mask == "causal" and need_weights else SIZES
    rng = np.random.default_rng(2)
    b_axis, l_axis = (0, 1) if batch_first else (1, 0)

    def make(batch, length):
        shape = (batch, length, E) if batch_first else (length, batch, E)
        xs = [rng.standard_normal(shape).astype(np.float32)]
        if mask == "float_input":
            xs.append(rng.standard_normal((length, length)).astype(np.float32))
        if mask == "key_padding_input":  # −inf on the last key of each row but the first
            pad = np.zeros((batch, length), np.float32)
            pad[1:, -1] = -np.inf
            xs.append(pad)
        return xs

    names = ["x"] + (["mask"] if mask in ("float_input", "key_padding_input") else [])

    def axes(outputs):
        found = {"x": {b_axis: "batch", l_axis: "length"},
                 outputs[0]: {b_axis: "batch", l_axis: "length"}}
        if mask == "causal" and need_weights:
            found = {"x": {b_axis: "batch"}, outputs[0]: {b_axis: "batch"}}
        if need_weights:
            found[outputs[1]] = {0: "batch"} if mask == "causal" else \
                {0: "batch", 1: "length", 2: "length"}
        if mask == "float_input":
            found["mask"] = {0: "length", 1: "length"}
        if mask == "key_padding_input":
            found["mask"] = {0: "batch", 1: "length"}
        return found

    _run_checks(SelfAttention(mask, batch_first, need_weights), make, names, axes,
                1 + need_weights, sizes)


class Encoder(nn.Module):
    def __init__(self, causal: bool, **kw) -> None:
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(E, 2, 16, **kw)
        self.causal = causal

    def forward(self, x):
        if not self.causal:
            return self.layer(x)
        length = x.shape[1] if self.layer.self_attn.batch_first else x.shape[0]
        mask = nn.Transformer.generate_square_subsequent_mask(length)
        return self.layer(x, src_mask=mask, is_causal=True)


class Decoder(nn.Module):
    def __init__(self, **kw) -> None:
        super().__init__()
        self.layer = nn.TransformerDecoderLayer(E, 2, 16, **kw)

    def forward(self, tgt, memory):
        mask = nn.Transformer.generate_square_subsequent_mask(tgt.shape[0])
        return self.layer(tgt, memory, tgt_mask=mask, tgt_is_causal=True)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("options", [dict(), dict(norm_first=True, activation="gelu"),
                                     dict(batch_first=True)])
def test_transformer_encoder_layer(causal, options):
    rng = np.random.default_rng(3)
    batch_first = options.get("batch_first", False)
    b_axis, l_axis = (0, 1) if batch_first else (1, 0)

    def make(batch, length):
        shape = (batch, length, E) if batch_first else (length, batch, E)
        return [rng.standard_normal(shape).astype(np.float32)]

    dynamic = {b_axis: "batch", l_axis: "length"}
    proto = _run_checks(Encoder(causal, **options), make, ["x"],
                        lambda outs: {"x": dynamic, outs[0]: dynamic}, 1)
    assert "LayerNormalization" in {n.op_type for n in proto.graph.node}


@pytest.mark.parametrize("options", [dict(), dict(norm_first=True)])
def test_transformer_decoder_layer(options):
    rng = np.random.default_rng(4)

    def make(batch, length):
        return [rng.standard_normal((length, batch, E)).astype(np.float32),
                rng.standard_normal((length + 2, batch, E)).astype(np.float32)]

    axes = {1: "batch", 0: "length"}
    _run_checks(Decoder(**options), make, ["tgt", "memory"],
                lambda outs: {"tgt": axes, outs[0]: axes, "memory": {1: "batch", 0: "source"}},
                1)


def test_whole_transformer_with_causal_target_mask():
    """nn.Transformer (encoder and decoder stacks, final norms), batch_first, the target's
    causal mask built in the forward: batch, source and target lengths all dynamic."""
    class Full(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.t = nn.Transformer(E, 2, 2, 2, 16, batch_first=True)

        def forward(self, src, tgt):
            mask = nn.Transformer.generate_square_subsequent_mask(tgt.shape[1])
            return self.t(src, tgt, tgt_mask=mask, tgt_is_causal=True)

    rng = np.random.default_rng(5)

    def make(batch, length):
        return [rng.standard_normal((batch, length + 1, E)).astype(np.float32),
                rng.standard_normal((batch, length, E)).astype(np.float32)]

    _run_checks(Full(), make, ["src", "tgt"],
                lambda outs: {"src": {0: "batch", 1: "source"}, "tgt": {0: "batch", 1: "length"},
                              outs[0]: {0: "batch", 1: "length"}}, 1)


def test_constant_operands_keep_their_matrix_axes():
    """A constant broadcast over the batch is cut to one batch entry, but a constant matrix
    with equal rows stays a matrix (MatMul broadcasts only the axes before the last two)."""
    import onnxruntime

    weight = np.ones((3, 4), np.float32)
    table = np.tile(np.arange(4, dtype=np.float32), (3, 1))  # (3, 4), equal rows

    class Consts(nn.Module):
        def forward(self, x):
            return x @ chainrule.tensor(weight) + chainrule.tensor(table)

    buffer = io.BytesIO()
    export(Consts(), np.zeros((3, 3), np.float32), buffer)
    x = np.random.default_rng(8).standard_normal((2, 3)).astype(np.float32)
    got = onnxruntime.InferenceSession(buffer.getvalue(),
                                       providers=["CPUExecutionProvider"]).run(None, {"input": x})
    np.testing.assert_allclose(got[0], x @ weight + table[0], **TOL)


def test_bool_mask_input_is_refused_by_name():
    """A bool mask is turned into 0/−inf by NumPy, out of the trace's sight: the file would
    keep the example's mask, so the export refuses, naming the input."""
    class Padded(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.attn = nn.MultiheadAttention(E, 2)

        def forward(self, x, pad):
            return self.attn(x, x, x, key_padding_mask=pad, need_weights=False)[0]

    pad = np.zeros((2, 5), bool)
    with pytest.raises(UnsupportedOperatorError, match=r"\['pad'\] do not reach.*float mask"):
        export(Padded(), (np.zeros((5, 2, E), np.float32), pad), io.BytesIO(),
               input_names=["x", "pad"])


def test_dropout_in_attention_is_refused():
    class Dropping(nn.Module):
        def forward(self, q, k, v):
            return F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)

    q = np.zeros((1, 2, 3, 4), np.float32)
    with pytest.raises(UnsupportedOperatorError, match="dropout_p > 0"):
        export(Dropping(), (q, q, q), io.BytesIO())
