"""Self-attention's one-node route (``ops.attention.SelfAttention``: the packed Q, K, V
projection as one GEMM, the heads' attention written in place, one GEMM each for dL/dX and
dL/dW_in) against the plain formulation: the same layer with that route switched off and the
weights asked for, i.e. three Linear nodes, the heads split by reshape and permute, and the
scores, softmax and products as separate graph nodes. Values and every gradient agree in
float64 to 1e-12 of each array's scale and in float32 within 64 ulps of it.

Also: which route a call takes (self-attention in training mode only: not cross-attention,
not kdim/vdim, not with the weights returned or bias_k/zero keys appended, not in eval mode)."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from tests.tolerance import assert_close_to_scale

E, HEADS, N, L = 8, 2, 3, 5


def _functions(t) -> set[str]:
    """The names of the Functions in the graph that produced ``t``."""
    seen, stack, names = set(), [t._ctx], set()
    while stack:
        ctx = stack.pop()
        if ctx is None or id(ctx) in seen:
            continue
        seen.add(id(ctx))
        names.add(ctx.fn.__name__)
        stack.extend(p._ctx for p in ctx.parents)
    return names


def _masks(kind, rng, dtype):
    if kind == "none":
        return {}
    pad = np.zeros((N, L), bool)
    pad[1, 3] = pad[2, 4] = True
    masks = {
        "float": {"attn_mask": cr.tensor(rng.standard_normal((L, L)).astype(dtype))},
        "bool": {"attn_mask": cr.tensor(np.triu(np.ones((L, L), bool), 1))},
        "per_head": {"attn_mask": cr.tensor(rng.standard_normal((N * HEADS, L, L))
                                            .astype(dtype))},
        "padding": {"key_padding_mask": cr.tensor(pad)},
        "both": {"key_padding_mask": cr.tensor(pad),
                 "attn_mask": cr.tensor(np.triu(np.ones((L, L), bool), 1)),
                 "is_causal": True},
    }
    return masks[kind]


def _run(layer, x, call, fused, monkeypatch):
    """Output and the gradients of x and every parameter; the route forced off unless
    ``fused``, and then the reference asks for the weights (the plain composite)."""
    layer.zero_grad()
    x = cr.tensor(x, requires_grad=True)
    with monkeypatch.context() as m:
        if not fused:
            m.setattr(nn.MultiheadAttention, "_fused", lambda *a, **k: False)
        out, weights = layer(x, x, x, need_weights=not fused, **call)
    assert ("SelfAttention" in _functions(out)) == fused
    assert (weights is None) == fused
    g = np.random.default_rng(7).standard_normal(out.shape).astype(x.dtype)
    (out * cr.tensor(g)).sum().backward()
    return [out.detach().numpy(), x.grad.numpy()] + \
        [p.grad.numpy() for _, p in sorted(layer.named_parameters())]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("masks", ["none", "float", "bool", "per_head", "padding", "both"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_fused_self_attention_matches_plain(batch_first, masks, dtype, monkeypatch):
    rng = np.random.default_rng(0)
    layer = nn.MultiheadAttention(E, HEADS, batch_first=batch_first, dtype=dtype,
                                  generator=np.random.default_rng(1))
    with cr.no_grad():
        layer.in_proj_bias.copy_(cr.tensor(rng.standard_normal(3 * E).astype(dtype)))
        layer.out_proj.bias.copy_(cr.tensor(rng.standard_normal(E).astype(dtype)))
    shape = (N, L, E) if batch_first else (L, N, E)
    x = rng.standard_normal(shape).astype(dtype)
    call = _masks(masks, rng, dtype)
    fast = _run(layer, x, call, True, monkeypatch)
    plain = _run(layer, x, call, False, monkeypatch)
    assert_close_to_scale(fast, plain, dtype)


@pytest.mark.parametrize("batched", [True, False])
def test_fused_without_bias_and_unbatched(batched, monkeypatch):
    layer = nn.MultiheadAttention(E, HEADS, bias=False, dtype=np.float64)
    x = np.random.default_rng(2).standard_normal((L, N, E) if batched else (L, E))
    assert_close_to_scale(_run(layer, x, {}, True, monkeypatch),
                  _run(layer, x, {}, False, monkeypatch), np.float64)


def test_fused_dropout_draws_as_the_plain_route(monkeypatch):
    """In training, with dropout: the same keep mask from the same generator state, so the
    fused route and ``scaled_dot_product_attention`` on the split heads agree."""
    outs = []
    for fused in (True, False):
        layer = nn.MultiheadAttention(E, HEADS, dropout=0.5, dtype=np.float64,
                                      generator=np.random.default_rng(3))
        x = cr.tensor(np.random.default_rng(4).standard_normal((L, N, E)), requires_grad=True)
        with monkeypatch.context() as m:
            if not fused:
                m.setattr(nn.MultiheadAttention, "_fused", lambda *a, **k: False)
            out = layer(x, x, x, need_weights=False)[0]
        assert ("SelfAttention" in _functions(out)) == fused
        out.sum().backward()
        outs.append([out.detach().numpy(), x.grad.numpy(), layer.in_proj_weight.grad.numpy()])
    assert not np.allclose(outs[0][0], 0)
    assert_close_to_scale(outs[0], outs[1], np.float64)


@pytest.mark.parametrize("case", ["cross", "kdim", "weights", "bias_kv", "zero_attn",
                                  "mask_grad", "eval"])
def test_other_calls_take_the_plain_route(case):
    rng = np.random.default_rng(5)
    kw = {"kdim": 3, "vdim": 4} if case == "kdim" else \
        {"add_bias_kv": True} if case == "bias_kv" else \
        {"add_zero_attn": True} if case == "zero_attn" else {}
    layer = nn.MultiheadAttention(E, HEADS, dtype=np.float64, **kw)
    layer.train(case != "eval")
    x = cr.tensor(rng.standard_normal((L, N, E)), requires_grad=True)
    key = value = x
    call = {"need_weights": case == "weights"}
    if case == "cross":
        key = value = cr.tensor(rng.standard_normal((L + 1, N, E)))
    if case == "kdim":
        key, value = cr.tensor(rng.standard_normal((L, N, 3))), \
            cr.tensor(rng.standard_normal((L, N, 4)))
    if case == "mask_grad":
        call["attn_mask"] = cr.tensor(rng.standard_normal((L, L)), requires_grad=True)
    out = layer(x, key, value, **call)[0]
    assert "SelfAttention" not in _functions(out)
    assert "ScaledDotProductAttention" in _functions(out) or case == "weights"
