"""``F.multi_head_attention_forward`` against PyTorch's in float64: outputs, weights and the
gradients of every input and weight, for each option; its argument errors; and
``nn.MultiheadAttention`` giving what the function gives with the module's parameters."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F
from chainrule import nn
from tests.optional import needs_torch, torch

pytestmark = needs_torch

E, HEADS, L, S, N = 4, 2, 3, 5, 2

# Each case: options of the call. "separate" uses q/k/v_proj_weight (kdim 3, vdim 6);
# "bias_kv" passes bias_k/bias_v; masks are drawn by _masks.
CASES = {
    "packed": {},
    "packed_no_bias": {"no_bias": True},
    "per_head_weights": {"average_attn_weights": False},
    "no_weights": {"need_weights": False},
    "separate": {"separate": True},
    "separate_no_weights": {"separate": True, "need_weights": False},
    "bias_kv": {"bias_kv": True},
    "zero_attn": {"add_zero_attn": True},
    "bias_kv_zero_attn_masks": {"bias_kv": True, "add_zero_attn": True,
                                "key_padding_mask": "float", "attn_mask": "float"},
    "bool_masks": {"key_padding_mask": "bool", "attn_mask": "bool"},
    "float_masks": {"key_padding_mask": "float", "attn_mask": "float3d"},
    "bool_mask_no_weights": {"attn_mask": "bool", "need_weights": False},
    "causal_hint": {"attn_mask": "causal", "is_causal": True},
    "unbatched": {"unbatched": True},
    "unbatched_masks": {"unbatched": True, "key_padding_mask": "bool", "attn_mask": "float3d",
                        "average_attn_weights": False},
    "static_kv": {"static": True},
    "static_kv_zero_attn_masks": {"static": True, "add_zero_attn": True,
                                  "key_padding_mask": "bool", "attn_mask": "bool"},
    "training_p0": {"training": True},
    "eval_dropout_ignored": {"training": False, "dropout_p": 0.5},
}


def _arrays(case, rng):
    """The float64 arrays of a case, by the function's parameter names."""
    kdim, vdim = (3, 6) if case.get("separate") else (E, E)
    batch = () if case.get("unbatched") else (N,)

    def draw(*shape):
        return rng.standard_normal(shape)

    a = {"query": draw(L, *batch, E), "key": draw(S, *batch, kdim),
         "value": draw(S, *batch, vdim), "out_proj_weight": draw(E, E) * 0.5}
    if not case.get("no_bias"):
        a["in_proj_bias"] = draw(3 * E)
        a["out_proj_bias"] = draw(E)
    if case.get("separate"):
        a["q_proj_weight"], a["k_proj_weight"] = draw(E, E) * 0.5, draw(E, kdim) * 0.5
        a["v_proj_weight"] = draw(E, vdim) * 0.5
    else:
        a["in_proj_weight"] = draw(3 * E, E) * 0.5
    if case.get("bias_kv"):
        a["bias_k"], a["bias_v"] = draw(1, 1, E), draw(1, 1, E)
    if case.get("static"):
        a["static_k"] = draw(N * HEADS, S, E // HEADS)
        a["static_v"] = draw(N * HEADS, S, E // HEADS)
    return a


def _masks(case, rng):
    """The masks of a case as NumPy arrays (bool: True = may not attend)."""
    n = 1 if case.get("unbatched") else N
    masks = {}
    kind = case.get("key_padding_mask")
    if kind:
        pad = np.zeros((n, S), bool)
        pad[-1, -2:] = True
        masks["key_padding_mask"] = pad if kind == "bool" else np.where(pad, -1e9, 0.0) + \
            rng.standard_normal((n, S)) * 0.1
        if case.get("unbatched"):
            masks["key_padding_mask"] = masks["key_padding_mask"][0]
    kind = case.get("attn_mask")
    if kind == "bool":
        blocked = rng.random((L, S)) < 0.3
        blocked[:, 0] = False  # every query keeps a key
        masks["attn_mask"] = blocked
    elif kind == "float":
        masks["attn_mask"] = rng.standard_normal((L, S))
    elif kind == "float3d":
        masks["attn_mask"] = rng.standard_normal((n * HEADS, L, S))
    elif kind == "causal":
        masks["attn_mask"] = np.triu(np.ones((L, S), bool), 1)
    return masks


def _call(fn, tensors, masks, case):
    return fn(tensors["query"], tensors["key"], tensors["value"], E, HEADS,
              tensors.get("in_proj_weight"), tensors.get("in_proj_bias"),
              tensors.get("bias_k"), tensors.get("bias_v"), case.get("add_zero_attn", False),
              case.get("dropout_p", 0.0), tensors["out_proj_weight"],
              tensors.get("out_proj_bias"), training=case.get("training", True),
              key_padding_mask=masks.get("key_padding_mask"),
              need_weights=case.get("need_weights", True), attn_mask=masks.get("attn_mask"),
              use_separate_proj_weight=bool(case.get("separate")),
              q_proj_weight=tensors.get("q_proj_weight"),
              k_proj_weight=tensors.get("k_proj_weight"),
              v_proj_weight=tensors.get("v_proj_weight"), static_k=tensors.get("static_k"),
              static_v=tensors.get("static_v"),
              average_attn_weights=case.get("average_attn_weights", True),
              is_causal=case.get("is_causal", False))


def _grad(g):
    return None if g is None else np.asarray(g.numpy() if hasattr(g, "numpy") else g)


# torch warns, inside its own call, that a bool key_padding_mask beside a float attn_mask is
# deprecated ("unbatched_masks" mixes them on purpose)
@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask:UserWarning")
@pytest.mark.parametrize("name", CASES)
def test_matches_torch_values_weights_and_gradients(name):
    case = CASES[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    arrays, masks = _arrays(case, rng), _masks(case, rng)
    ours = {k: cr.tensor(v, requires_grad=True) for k, v in arrays.items()}
    theirs = {k: torch.tensor(v, requires_grad=True) for k, v in arrays.items()}
    out_c, w_c = _call(F.multi_head_attention_forward, ours,
                       {k: cr.tensor(m) for k, m in masks.items()}, case)
    out_t, w_t = _call(torch.nn.functional.multi_head_attention_forward, theirs,
                       {k: torch.tensor(m) for k, m in masks.items()}, case)
    np.testing.assert_allclose(out_c.detach().numpy(), out_t.detach().numpy(),
                               rtol=1e-10, atol=1e-12)
    assert (w_c is None) == (w_t is None)
    up_out = rng.standard_normal(tuple(out_t.shape))
    loss_c = (out_c * cr.tensor(up_out)).sum()
    loss_t = (out_t * torch.tensor(up_out)).sum()
    if w_t is not None:
        np.testing.assert_allclose(w_c.detach().numpy(), w_t.detach().numpy(),
                                   rtol=1e-10, atol=1e-12)
        up_w = rng.standard_normal(tuple(w_t.shape))
        loss_c = loss_c + (w_c * cr.tensor(up_w)).sum()
        loss_t = loss_t + (w_t * torch.tensor(up_w)).sum()
    loss_c.backward()
    loss_t.backward()
    for key in arrays:
        expected = _grad(theirs[key].grad)
        got = _grad(ours[key].grad)
        if expected is None:  # torch: no path to the output (a key replaced by static_k)
            assert got is None or not np.any(got), key
            continue
        assert got is not None, key
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-11, err_msg=key)


@pytest.mark.parametrize("kw", [{}, {"kdim": 3, "vdim": 6}, {"add_bias_kv": True},
                                {"add_zero_attn": True, "bias": False}])
@pytest.mark.parametrize("need_weights", [True, False])
def test_module_gives_what_the_function_gives(kw, need_weights):
    layer = nn.MultiheadAttention(E, HEADS, **kw, dtype=cr.float64, generator=np.random
                                  .default_rng(3)).eval()
    rng = np.random.default_rng(4)
    q = cr.tensor(rng.standard_normal((L, N, E)))
    k = cr.tensor(rng.standard_normal((S, N, layer.kdim)))
    v = cr.tensor(rng.standard_normal((S, N, layer.vdim)))
    out_m, w_m = layer(q, k, v, need_weights=need_weights)
    separate = not layer._qkv_same_embed_dim
    out_f, w_f = F.multi_head_attention_forward(
        q, k, v, E, HEADS, layer.in_proj_weight, layer.in_proj_bias, layer.bias_k,
        layer.bias_v, layer.add_zero_attn, layer.dropout, layer.out_proj.weight,
        layer.out_proj.bias, training=False, need_weights=need_weights,
        use_separate_proj_weight=separate, q_proj_weight=layer.q_proj_weight,
        k_proj_weight=layer.k_proj_weight, v_proj_weight=layer.v_proj_weight)
    np.testing.assert_allclose(out_m.detach().numpy(), out_f.detach().numpy(),
                               rtol=1e-12, atol=1e-14)
    assert (w_m is None) == (w_f is None) == (not need_weights)
    if need_weights:
        np.testing.assert_allclose(w_m.detach().numpy(), w_f.detach().numpy(),
                                   rtol=1e-12, atol=1e-14)


def _bad_call(fn, tensor, **change):
    rng = np.random.default_rng(0)
    args = dict(query=rng.standard_normal((L, N, E)), key=rng.standard_normal((S, N, E)),
                value=rng.standard_normal((S, N, E)), embed_dim_to_check=E, num_heads=HEADS,
                in_proj_weight=rng.standard_normal((3 * E, E)), in_proj_bias=None,
                bias_k=None, bias_v=None, add_zero_attn=False, dropout_p=0.0,
                out_proj_weight=rng.standard_normal((E, E)), out_proj_bias=None)
    args.update(change)
    args = {k: tensor(v) if isinstance(v, np.ndarray) else v for k, v in args.items()}
    return fn(**args)


BAD = {
    "embed_dim_to_check": ({"embed_dim_to_check": E + 1}, "was expecting embedding dimension"),
    "heads_do_not_divide": ({"num_heads": 3, "embed_dim_to_check": E}, "not divisible"),
    "key_value_shapes": ({"value": np.zeros((S + 1, N, E))}, "does not match value shape"),
    "static_k_batch": ({"static_k": np.zeros((N * HEADS + 1, S, E // HEADS))},
                       "static_k.size\\(0\\)"),
    "static_v_head_dim": ({"static_v": np.zeros((N * HEADS, S, E // HEADS + 1))},
                          "static_v.size\\(2\\)"),
    "separate_without_weights": ({"use_separate_proj_weight": True},
                                 "q_proj_weight is None"),
    "mixed_dims": ({"key": np.zeros((S, E))}, "all 2-D \\(unbatched\\) or all 3-D"),
}


@pytest.mark.parametrize("name", BAD)
def test_argument_errors_are_assertion_errors_as_torch(name):
    change, message = BAD[name]
    with pytest.raises(AssertionError):  # torch's exception type for the same call
        _bad_call(torch.nn.functional.multi_head_attention_forward, torch.tensor, **change)
    with pytest.raises(AssertionError, match=message):
        _bad_call(F.multi_head_attention_forward, cr.tensor, **change)


def test_is_causal_needs_a_mask():
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        _bad_call(F.multi_head_attention_forward, cr.tensor, is_causal=True)


def test_dropout_in_training_changes_the_output_and_matches_its_generator():
    """dropout_p > 0 applies only while training; the same seed gives the same mask."""
    def run(training, seed):
        return _bad_call(F.multi_head_attention_forward, cr.tensor, dropout_p=0.5,
                         training=training, generator=np.random.default_rng(seed))[0].numpy()
    plain = _bad_call(F.multi_head_attention_forward, cr.tensor)[0].numpy()
    np.testing.assert_array_equal(run(False, 0), plain)
    assert not np.allclose(run(True, 0), plain)
    np.testing.assert_array_equal(run(True, 1), run(True, 1))
