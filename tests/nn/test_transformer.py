"""Transformer layers, stacks and the full model against PyTorch (state dicts copied both
ways, values and every gradient), the causal mask, and the errors."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from tests.optional import needs_torch, torch


def _copy_into_torch(ours, theirs):
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})


def _check(ours, theirs, arrays, kwargs_c=None, kwargs_t=None, seed=0):
    rng = np.random.default_rng(seed)
    xc = [cr.tensor(a, requires_grad=True) for a in arrays]
    xt = [torch.tensor(a, requires_grad=True) for a in arrays]
    out_c = ours(*xc, **(kwargs_c or {}))
    out_t = theirs(*xt, **(kwargs_t or {}))
    np.testing.assert_allclose(out_c.detach().numpy(), out_t.detach().numpy(), atol=1e-10)
    g = rng.standard_normal(tuple(out_t.shape))
    out_c.backward(g)
    out_t.backward(torch.tensor(g))
    for a, b in zip(xc, xt):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-10)
    named = dict(theirs.named_parameters())
    assert set(named) == {n for n, _ in ours.named_parameters()}
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), named[name].grad.numpy(), atol=1e-10,
                                   err_msg=name)


LAYER_OPTIONS = [
    dict(norm_first=False),
    dict(norm_first=True),
    dict(norm_first=True, batch_first=True, activation="gelu"),
    dict(norm_first=False, bias=False, activation="gelu"),
]


def _mask_kwargs(kind, length, source, batch):
    if kind == "none":
        return {}, {}
    causal = nn.Transformer.generate_square_subsequent_mask(length, dtype=np.float64)
    pad = np.zeros((batch, source))
    pad[0, -1] = -np.inf
    return ({"mask": causal, "pad": cr.tensor(pad)},
            {"mask": torch.tensor(causal.numpy()), "pad": torch.tensor(pad)})


@needs_torch
@pytest.mark.parametrize("options", LAYER_OPTIONS)
@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("masks", ["none", "causal_and_padding"])
def test_encoder_layer_matches_torch(options, training, masks):
    # in training mode dropout is 0 so both sides compute the same function
    dropout = 0.0 if training else 0.1
    ours = nn.TransformerEncoderLayer(8, 2, 16, dropout=dropout, **options).double()
    theirs = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=dropout, **options).double()
    _copy_into_torch(ours, theirs)
    ours.train(training)
    theirs.train(training)
    shape = (2, 5, 8) if options.get("batch_first") else (5, 2, 8)
    mc, mt = _mask_kwargs(masks, 5, 5, 2)
    kc = {"src_mask": mc["mask"], "src_key_padding_mask": mc["pad"]} if mc else {}
    kt = {"src_mask": mt["mask"], "src_key_padding_mask": mt["pad"]} if mt else {}
    _check(ours, theirs, [np.random.default_rng(1).standard_normal(shape)], kc, kt)


@needs_torch
@pytest.mark.parametrize("options", LAYER_OPTIONS)
@pytest.mark.parametrize("training", [False, True])
def test_decoder_layer_matches_torch(options, training):
    dropout = 0.0 if training else 0.1
    ours = nn.TransformerDecoderLayer(8, 2, 16, dropout=dropout, **options).double()
    theirs = torch.nn.TransformerDecoderLayer(8, 2, 16, dropout=dropout, **options).double()
    _copy_into_torch(ours, theirs)
    ours.train(training)
    theirs.train(training)
    bf = options.get("batch_first")
    rng = np.random.default_rng(2)
    tgt = rng.standard_normal((2, 4, 8) if bf else (4, 2, 8))
    memory = rng.standard_normal((2, 6, 8) if bf else (6, 2, 8))
    causal = nn.Transformer.generate_square_subsequent_mask(4, dtype=np.float64)
    pad = np.zeros((2, 6), bool)
    pad[1, :2] = True
    kc = {"tgt_mask": causal, "memory_key_padding_mask": cr.tensor(pad), "tgt_is_causal": True}
    kt = {"tgt_mask": torch.tensor(causal.numpy()),
          "memory_key_padding_mask": torch.tensor(pad), "tgt_is_causal": True}
    _check(ours, theirs, [tgt, memory], kc, kt)


@needs_torch
@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
@pytest.mark.parametrize("norm_first", [False, True])
def test_stacks_and_transformer_match_torch(norm_first):
    torch.manual_seed(0)
    theirs = torch.nn.Transformer(8, 2, 2, 2, 16, dropout=0.1, norm_first=norm_first).double()
    ours = nn.Transformer(8, 2, 2, 2, 16, dropout=0.1, norm_first=norm_first).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    # torch -> chainrule this time
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    ours.eval()
    theirs.eval()
    rng = np.random.default_rng(3)
    src, tgt = rng.standard_normal((5, 2, 8)), rng.standard_normal((4, 2, 8))
    causal = nn.Transformer.generate_square_subsequent_mask(4, dtype=np.float64)
    _check(ours, theirs, [src, tgt], {"tgt_mask": causal},
           {"tgt_mask": torch.tensor(causal.numpy())})


def test_stack_layers_are_independent_copies():
    layer = nn.TransformerEncoderLayer(4, 2, 8)
    stack = nn.TransformerEncoder(layer, 3, norm=nn.LayerNorm(4))
    ids = {id(m.linear1.weight) for m in stack.layers}
    assert len(ids) == 3 and id(layer.linear1.weight) not in ids
    np.testing.assert_array_equal(stack.layers[0].linear1.weight.detach().numpy(),
                                  layer.linear1.weight.detach().numpy())
    assert [k for k in stack.state_dict() if k.startswith("norm")] == ["norm.weight",
                                                                       "norm.bias"]


def test_transformer_xavier_init():
    model = nn.Transformer(8, 2, 1, 1, 16)
    weight = model.encoder.layers[0].linear1.weight.detach().numpy()  # (16, 8)
    bound = np.sqrt(6 / (16 + 8))
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.8 * bound


def test_generate_square_subsequent_mask():
    mask = nn.Transformer.generate_square_subsequent_mask(4).numpy()
    expected = np.where(np.arange(4)[None, :] > np.arange(4)[:, None], -np.inf, 0.0)
    np.testing.assert_array_equal(mask, expected)
    assert mask.dtype == np.float32


def test_float32_training_step_stays_float32():
    layer = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
    out = layer(cr.randn(2, 5, 8))
    out.sum().backward()
    assert out.dtype == cr.float32
    assert layer.self_attn.in_proj_weight.grad.dtype == cr.float32


def test_errors():
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    with pytest.raises(ValueError, match="embed_dim must be divisible by num_heads"):
        nn.TransformerDecoderLayer(6, 4)
    model = nn.Transformer(8, 2, 1, 1, 16)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(cr.randn(5, 2, 8), cr.randn(4, 3, 8))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal "
                                           "to d_model=8"):
        model(cr.randn(5, 2, 8), cr.randn(4, 2, 6))
