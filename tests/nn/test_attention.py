"""Scaled dot-product attention and MultiheadAttention: a NumPy reference, PyTorch parity
(values and gradients), masks of each kind, softmax stability, and the errors."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F
from chainrule import nn
from chainrule.ops.attention import ScaledDotProductAttention
from tests.optional import needs_torch, torch


def _reference(q, k, v, additive, scale):
    """softmax(QKᵀ·scale + M) V in NumPy, written out with explicit loops over rows."""
    s = q @ np.swapaxes(k, -1, -2) * scale + additive
    out = np.zeros(s.shape[:-1] + (v.shape[-1],))
    weights = np.zeros_like(s)
    for index in np.ndindex(*s.shape[:-1]):
        row = s[index]
        if np.all(np.isneginf(row)):
            continue
        e = np.exp(row - row.max())
        weights[index] = e / e.sum()
    for index in np.ndindex(*s.shape[:-2]):
        out[index] = weights[index] @ v[index]
    return out


def _qkv(seed=0, shapes=((2, 3, 4), (2, 5, 4), (2, 5, 6))):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes]


@pytest.mark.parametrize("mask_kind", ["none", "bool", "float", "causal"])
def test_sdpa_matches_numpy_reference(mask_kind):
    q, k, v = _qkv()
    rng = np.random.default_rng(1)
    additive, kwargs = np.zeros((3, 5)), {}
    if mask_kind == "bool":
        allowed = rng.random((3, 5)) > 0.4
        allowed[0] = False  # one fully masked row
        additive = np.where(allowed, 0.0, -np.inf)
        kwargs["attn_mask"] = cr.tensor(allowed)
    elif mask_kind == "float":
        additive = rng.standard_normal((3, 5))
        kwargs["attn_mask"] = cr.tensor(additive)
    elif mask_kind == "causal":
        additive = np.where(np.tri(3, 5, dtype=bool), 0.0, -np.inf)
        kwargs["is_causal"] = True
    out = F.scaled_dot_product_attention(cr.tensor(q), cr.tensor(k), cr.tensor(v), **kwargs)
    np.testing.assert_allclose(out.numpy(), _reference(q, k, v, additive, 0.5), atol=1e-12)


def test_sdpa_is_one_fused_node():
    q, k, v = (cr.tensor(a, requires_grad=True) for a in _qkv())
    out = F.scaled_dot_product_attention(q, k, v)
    assert out.grad_fn.fn is ScaledDotProductAttention


@needs_torch
@pytest.mark.parametrize("mask_kind", ["none", "bool", "bool_full_row", "float", "causal",
                                       "broadcast_batch"])
def test_sdpa_matches_torch(mask_kind):
    shapes = ((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 6))
    if mask_kind == "broadcast_batch":
        shapes = ((2, 2, 3, 4), (1, 2, 5, 4), (2, 1, 5, 6))
    arrays = _qkv(2, shapes)
    rng = np.random.default_rng(3)
    kw_c, kw_t, masks = {"scale": 0.7}, {"scale": 0.7}, []
    if mask_kind.startswith("bool"):
        allowed = rng.random((2, 1, 3, 5)) > 0.3
        allowed[..., 0] = True
        if mask_kind == "bool_full_row":
            allowed[1, 0, 2] = False
        kw_c["attn_mask"], kw_t["attn_mask"] = cr.tensor(allowed), torch.tensor(allowed)
    elif mask_kind == "float":
        m = rng.standard_normal((3, 5))
        masks = [cr.tensor(m, requires_grad=True), torch.tensor(m, requires_grad=True)]
        kw_c["attn_mask"], kw_t["attn_mask"] = masks
    elif mask_kind == "causal":
        kw_c["is_causal"] = kw_t["is_causal"] = True
    xc = [cr.tensor(a, requires_grad=True) for a in arrays]
    xt = [torch.tensor(a, requires_grad=True) for a in arrays]
    out_c = F.scaled_dot_product_attention(*xc, **kw_c)
    out_t = torch.nn.functional.scaled_dot_product_attention(*xt, **kw_t)
    np.testing.assert_allclose(out_c.detach().numpy(), out_t.detach().numpy(), atol=1e-12)
    g = rng.standard_normal(tuple(out_t.shape))
    out_c.backward(g)
    out_t.backward(torch.tensor(g))
    for a, b in zip(xc + masks[:1], xt + masks[1:]):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-12)


@needs_torch
def test_sdpa_gqa_matches_torch():
    arrays = _qkv(4, ((1, 4, 3, 2), (1, 2, 5, 2), (1, 2, 5, 3)))
    xc = [cr.tensor(a, requires_grad=True) for a in arrays]
    xt = [torch.tensor(a, requires_grad=True) for a in arrays]
    out_c = F.scaled_dot_product_attention(*xc, enable_gqa=True)
    out_t = torch.nn.functional.scaled_dot_product_attention(*xt, enable_gqa=True)
    np.testing.assert_allclose(out_c.detach().numpy(), out_t.detach().numpy(), atol=1e-12)
    out_c.sum().backward()
    out_t.sum().backward()
    for a, b in zip(xc, xt):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-12)


def test_sdpa_dropout_keeps_expectation_and_all_zero_at_one():
    q, k, v = (cr.tensor(a) for a in _qkv())
    full = F.scaled_dot_product_attention(q, k, v).numpy()
    runs = [F.scaled_dot_product_attention(q, k, v, dropout_p=0.5,
                                           generator=np.random.default_rng(s)).numpy()
            for s in range(400)]
    assert not np.allclose(runs[0], full)
    np.testing.assert_allclose(np.mean(runs, axis=0), full, atol=0.15)
    assert not F.scaled_dot_product_attention(q, k, v, dropout_p=1.0).numpy().any()


def test_softmax_never_overflows_in_float32():
    rng = np.random.default_rng(5)
    q = cr.tensor((rng.standard_normal((2, 3, 4)) * 100).astype(np.float32), requires_grad=True)
    k = cr.tensor((rng.standard_normal((2, 5, 4)) * 100).astype(np.float32))
    v = cr.tensor(rng.standard_normal((2, 5, 3)).astype(np.float32))
    mask = cr.tensor(np.where(rng.random((3, 5)) > 0.5, 1e4, -1e4).astype(np.float32))
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    out.sum().backward()
    assert out.dtype == cr.float32 and q.grad.dtype == cr.float32
    assert np.all(np.isfinite(q.grad.numpy()))
    expected = _reference(*(t.detach().numpy().astype(np.float64) for t in (q, k, v)),
                          mask.numpy().astype(np.float64), 0.5)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-4, atol=1e-4)


def test_sdpa_errors():
    q, k, v = (cr.tensor(a) for a in _qkv())
    with pytest.raises(RuntimeError, match="same embedding size"):
        F.scaled_dot_product_attention(q, k[..., :3], v)
    with pytest.raises(RuntimeError, match="same sequence length"):
        F.scaled_dot_product_attention(q, k, v[:, :4])
    with pytest.raises(RuntimeError, match=r"attn_mask of shape \(4, 5\) does not broadcast"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=cr.ones(4, 5, dtype=cr.float64))
    with pytest.raises(RuntimeError, match="attn_mask dtype to be bool or float"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=cr.tensor(np.ones((3, 5), np.int64)))
    with pytest.raises(RuntimeError, match="attn_mask should not be set when is_causal"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=cr.ones(3, 5, dtype=cr.float64),
                                       is_causal=True)
    heads = [cr.randn(1, 3, 2, 2), cr.randn(1, 2, 2, 2), cr.randn(1, 2, 2, 2)]
    with pytest.raises(RuntimeError, match="must divide the number of heads in query"):
        F.scaled_dot_product_attention(*heads, enable_gqa=True)


# ---------------------------------------------------------------- MultiheadAttention

def _mha_pair(*args, **kwargs):
    ours = nn.MultiheadAttention(*args, **kwargs).double()
    theirs = torch.nn.MultiheadAttention(*args, **kwargs).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    return ours.eval(), theirs.eval()


MHA_CASES = [
    dict(kw={}, call={}),
    dict(kw={"batch_first": True}, call={"average_attn_weights": False}),
    dict(kw={"kdim": 3, "vdim": 5}, call={}),
    dict(kw={"bias": False}, call={"need_weights": False}),
    dict(kw={"add_bias_kv": True, "add_zero_attn": True}, call={}),
    dict(kw={}, call={"key_padding_mask": "bool", "attn_mask": "bool"}),
    dict(kw={"batch_first": True}, call={"key_padding_mask": "float", "attn_mask": "float3d",
                                         "need_weights": False}),
    dict(kw={"add_bias_kv": True}, call={"key_padding_mask": "float", "attn_mask": "float"}),
    dict(kw={}, call={"attn_mask": "causal", "is_causal": True, "need_weights": False}),
]


def _masks(call, rng, n=2, heads=2, length=3, source=4):
    """Translate the names in ``call`` into (chainrule kwargs, torch kwargs)."""
    c, t = {}, {}
    for name, value in call.items():
        if name == "key_padding_mask":
            pad = np.zeros((n, source), bool)
            pad[0, -1] = pad[1, 0] = True
            array = pad if value == "bool" else np.where(pad, -2.0, 0.5)
        elif name == "attn_mask" and value == "bool":
            array = np.zeros((length, source), bool)
            array[0, 1] = array[2, 2] = True
        elif name == "attn_mask" and value == "float":
            array = rng.standard_normal((length, source))
        elif name == "attn_mask" and value == "float3d":
            array = rng.standard_normal((n * heads, length, source))
        elif name == "attn_mask":
            array = np.triu(np.full((length, source), -np.inf), 1)
        else:
            c[name] = t[name] = value
            continue
        c[name], t[name] = cr.tensor(array), torch.tensor(array)
    return c, t


# the masks are built for a batch of 2, so the unbatched runs take the cases without masks
MHA_RUNS = [(case, True) for case in MHA_CASES] + [
    (case, False) for case in MHA_CASES
    if not {"key_padding_mask", "attn_mask"} & set(case["call"])]


@needs_torch
@pytest.mark.parametrize(("case", "batched"), MHA_RUNS, ids=[f"{c}-{b}" for c, b in MHA_RUNS])
def test_multihead_attention_matches_torch(case, batched):
    kw = case["kw"]
    ours, theirs = _mha_pair(4, 2, **kw)
    rng = np.random.default_rng(8)
    call_c, call_t = _masks(case["call"], rng)
    lead = lambda length: ((2, length) if kw.get("batch_first") else (length, 2)) \
        if batched else (length,)  # noqa: E731
    arrays = [rng.standard_normal(lead(3) + (4,)),
              rng.standard_normal(lead(4) + (kw.get("kdim", 4),)),
              rng.standard_normal(lead(4) + (kw.get("vdim", 4),))]
    xc = [cr.tensor(a, requires_grad=True) for a in arrays]
    xt = [torch.tensor(a, requires_grad=True) for a in arrays]
    out_c, w_c = ours(*xc, **call_c)
    out_t, w_t = theirs(*xt, **call_t)
    np.testing.assert_allclose(out_c.detach().numpy(), out_t.detach().numpy(), atol=1e-12)
    if w_t is None:
        assert w_c is None
    else:
        np.testing.assert_allclose(w_c.detach().numpy(), w_t.detach().numpy(), atol=1e-12)
    g = rng.standard_normal(tuple(out_t.shape))
    out_c.backward(g)
    out_t.backward(torch.tensor(g))
    for a, b in zip(xc, xt):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-12)
    named = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), named[name].grad.numpy(), atol=1e-12,
                                   err_msg=name)


@needs_torch
def test_multihead_attention_state_dict_from_torch():
    theirs = torch.nn.MultiheadAttention(6, 3, kdim=2, vdim=5).double()
    ours = nn.MultiheadAttention(6, 3, kdim=2, vdim=5).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.in_proj_weight is None and tuple(ours.k_proj_weight.shape) == (6, 2)


def test_multihead_attention_init():
    layer = nn.MultiheadAttention(8, 2)
    bound = np.sqrt(6 / (8 + 24))  # Xavier-uniform of the packed (3E, E) weight
    weights = layer.in_proj_weight.detach().numpy()
    assert np.abs(weights).max() <= bound and np.abs(weights).max() > 0.8 * bound
    assert not layer.in_proj_bias.detach().numpy().any()
    assert not layer.out_proj.bias.detach().numpy().any()


def test_multihead_attention_dropout_only_while_training():
    layer = nn.MultiheadAttention(4, 2, dropout=0.5).double()
    x = cr.randn(3, 2, 4, dtype=cr.float64)
    first = layer(x, x, x)[0].detach().numpy()
    assert not np.allclose(first, layer(x, x, x)[0].detach().numpy())
    layer.eval()
    np.testing.assert_array_equal(layer(x, x, x)[0].detach().numpy(),
                                  layer(x, x, x)[0].detach().numpy())


def test_multihead_attention_errors():
    with pytest.raises(ValueError, match="embed_dim must be divisible by num_heads, got "
                                         "embed_dim=6 and num_heads=4"):
        nn.MultiheadAttention(6, 4)
    layer = nn.MultiheadAttention(4, 2)
    x = cr.randn(3, 2, 4)
    with pytest.raises(ValueError, match="expecting query embedding dimension of 4, but got 5"):
        layer(cr.randn(3, 2, 5), x, x)
    with pytest.raises(RuntimeError, match=r"key_padding_mask shape of \(2, 3\), but got \(2, 4\)"):
        layer(x, x, x, key_padding_mask=cr.zeros(2, 4))
    with pytest.raises(RuntimeError, match=r"2D attn_mask is \(3, 2\), but should be \(3, 3\)"):
        layer(x, x, x, attn_mask=cr.zeros(3, 2))
    with pytest.raises(TypeError, match="only bool and floating types of attn_mask"):
        layer(x, x, x, attn_mask=cr.tensor(np.zeros((3, 3), np.int64)))
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        layer(x, x, x, is_causal=True)
