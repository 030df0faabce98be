"""MultiheadAttention with ``batch_first=True`` keeps its (N, L, E) inputs in place (no
transposed copies) unless ``add_bias_kv`` appends a key; both routes must give what the
sequence-first layer gives on the transposed inputs: outputs, weights and every gradient."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn

CASES = [
    dict(kw={}, call={}),
    dict(kw={}, call={"need_weights": False}),
    dict(kw={"kdim": 3, "vdim": 5}, call={"average_attn_weights": False}),
    dict(kw={"add_bias_kv": True}, call={}),
    dict(kw={"add_bias_kv": True, "add_zero_attn": True}, call={"need_weights": False}),
    dict(kw={"add_zero_attn": True}, call={"key_padding_mask": True, "attn_mask": True}),
]


def _layers(kw):
    first = nn.MultiheadAttention(4, 2, batch_first=True, **kw).double()
    second = nn.MultiheadAttention(4, 2, batch_first=False, **kw).double()
    second.load_state_dict(first.state_dict())
    return first, second


def _call(case, rng):
    call = dict(case["call"])
    if call.pop("key_padding_mask", False):
        pad = np.zeros((2, 4), bool)
        pad[1, 3] = True
        call["key_padding_mask"] = cr.tensor(pad)
    if call.pop("attn_mask", False):
        call["attn_mask"] = cr.tensor(rng.standard_normal((3, 4)))
    return call


@pytest.mark.parametrize("case", CASES, ids=[str(c) for c in CASES])
def test_batch_first_matches_sequence_first(case):
    kw = case["kw"]
    rng = np.random.default_rng(0)
    ours_bf, ours_sf = _layers(kw)
    arrays = [rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4, kw.get("kdim", 4))),
              rng.standard_normal((2, 4, kw.get("vdim", 4)))]
    call = _call(case, rng)
    x_bf = [cr.tensor(a, requires_grad=True) for a in arrays]
    x_sf = [cr.tensor(a.transpose(1, 0, 2).copy(), requires_grad=True) for a in arrays]
    out_bf, w_bf = ours_bf(*x_bf, **call)
    out_sf, w_sf = ours_sf(*x_sf, **call)
    assert tuple(out_bf.shape) == (2, 3, 4)
    np.testing.assert_allclose(out_bf.detach().numpy(),
                               out_sf.detach().numpy().transpose(1, 0, 2), atol=1e-13)
    assert (w_bf is None) == (w_sf is None)
    if w_bf is not None:
        np.testing.assert_allclose(w_bf.detach().numpy(), w_sf.detach().numpy(), atol=1e-13)
    g = rng.standard_normal((2, 3, 4))
    out_bf.backward(cr.tensor(g))
    out_sf.backward(cr.tensor(g.transpose(1, 0, 2).copy()))
    for a, b in zip(x_bf, x_sf):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy().transpose(1, 0, 2),
                                   atol=1e-13)
    named = dict(ours_sf.named_parameters())
    for name, p in ours_bf.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), named[name].grad.numpy(), atol=1e-13,
                                   err_msg=name)
