"""Conv1d, Conv2d, ConvTranspose2d: shapes, references, gradients, PyTorch parity, errors.

References are independent of the code under test: explicit NumPy loops over output pixels,
a composite of chainrule primitives (pad, slicing, matmul) for the fused Functions, PyTorch
where installed, and the output-size formulas of PyTorch's documentation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.nn import functional as F

# (C, O, kernel, stride, padding, dilation, groups, (H, W))
CASES = [
    (3, 4, 3, 1, 0, 1, 1, (7, 6)),
    (3, 4, 3, 1, 1, 1, 1, (5, 5)),
    (2, 6, (2, 3), (2, 1), (1, 2), 1, 2, (8, 7)),
    (4, 4, 3, 2, 1, (2, 1), 4, (9, 8)),  # depthwise, dilated
    (2, 4, 1, 1, 0, 1, 1, (3, 4)),
    (3, 2, 4, 3, 2, 1, 1, (10, 11)),
    (4, 6, (2, 4), 1, "same", (2, 1), 2, (6, 7)),  # 'same' with even kernels
    (2, 3, 3, 1, "valid", 1, 1, (5, 4)),
]


def pair(v):
    return v if isinstance(v, tuple) else (v, v)


def same_pads(kernel, dilation):
    """PyTorch's 'same': d·(k − 1) in total, the extra one after."""
    totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
    return [(t // 2, t - t // 2) for t in totals]


def pads_of(padding, kernel, dilation):
    if padding == "same":
        return same_pads(kernel, dilation)
    if padding == "valid":
        return [(0, 0), (0, 0)]
    return [(p, p) for p in pair(padding)]


def loop_conv2d(x, w, b, stride, padding, dilation, groups):
    """Reference: the definition, one output pixel at a time."""
    (sh, sw), (dh, dw), kernel = pair(stride), pair(dilation), w.shape[2:]
    (top, bottom), (left, right) = pads_of(padding, kernel, (dh, dw))
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    n, c = x.shape[:2]
    o, cg, kh, kw = w.shape
    ho = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    wo = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((n, o, ho, wo))
    og = o // groups
    for oc in range(o):
        chans = slice(oc // og * cg, oc // og * cg + cg)
        for i in range(ho):
            for j in range(wo):
                patch = xp[:, chans, i * sh: i * sh + dh * (kh - 1) + 1: dh,
                           j * sw: j * sw + dw * (kw - 1) + 1: dw]
                y[:, oc, i, j] = np.sum(patch * w[oc], axis=(1, 2, 3))
    return y + (0 if b is None else b.reshape(1, -1, 1, 1))


def composite_conv2d(x, w, b, stride, padding, dilation, groups):
    """Reference built from chainrule primitives (pad, slicing, matmul, cat): the composite
    the fused Conv2d Function replaces, differentiated by the engine."""
    (sh, sw), (dh, dw), (kh, kw) = pair(stride), pair(dilation), w.shape[2:]
    (top, bottom), (left, right) = pads_of(padding, (kh, kw), (dh, dw))
    xp = F.pad(x, (left, right, top, bottom))
    ho = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    wo = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    cg, og = w.shape[1], w.shape[0] // groups
    outs = []
    for g in range(groups):
        total = None
        for a in range(kh):
            for c in range(kw):
                patch = xp[:, g * cg:(g + 1) * cg, a * dh: a * dh + sh * (ho - 1) + 1: sh,
                           c * dw: c * dw + sw * (wo - 1) + 1: sw]
                term = patch.permute(0, 2, 3, 1) @ w[g * og:(g + 1) * og, :, a, c].T
                total = term if total is None else total + term
        outs.append(total)
    y = cr.cat(outs, dim=3).permute(0, 3, 1, 2)
    return y if b is None else y + b.reshape(1, -1, 1, 1)


def expected_shape(n, o, hw, kernel, stride, padding, dilation):
    pads = pads_of(padding, kernel, dilation)
    return (n, o) + tuple((size + lo + hi - d * (k - 1) - 1) // s + 1 for size, (lo, hi), k, s, d
                          in zip(hw, pads, kernel, stride, dilation))


@pytest.mark.parametrize("case", CASES)
def test_conv2d_shape_and_value_match_the_definition(case):
    c, o, kernel, stride, padding, dilation, groups, hw = case
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, c, *hw))
    w = rng.standard_normal((o, c // groups, *pair(kernel)))
    b = rng.standard_normal(o)
    y = F.conv2d(cr.tensor(x), cr.tensor(w), cr.tensor(b), stride, padding, dilation, groups)
    assert y.shape == expected_shape(2, o, hw, pair(kernel), pair(stride), padding,
                                     pair(dilation))
    np.testing.assert_allclose(y.detach().numpy(),
                               loop_conv2d(x, w, b, stride, padding, dilation, groups),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES[:4] + CASES[6:7])
def test_fused_conv2d_matches_its_composite_in_value_and_gradient(case):
    c, o, kernel, stride, padding, dilation, groups, hw = case
    rng = np.random.default_rng(1)
    arrays = (rng.standard_normal((2, c, *hw)),
              rng.standard_normal((o, c // groups, *pair(kernel))), rng.standard_normal(o))
    results = []
    for fn in (F.conv2d, composite_conv2d):
        x, w, b = (cr.tensor(a, requires_grad=True) for a in arrays)
        y = fn(x, w, b, stride, padding, dilation, groups)
        y.backward(np.cos(np.arange(y.numel()).reshape(y.shape)))
        results.append([y.detach().numpy(), x.grad.numpy(), w.grad.numpy(), b.grad.numpy()])
    for fused, composite in zip(*results):
        np.testing.assert_allclose(fused, composite, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES[1:4] + CASES[6:7])
def test_conv2d_gradcheck(case):
    c, o, kernel, stride, padding, dilation, groups, hw = case
    rng = np.random.default_rng(2)
    x = cr.tensor(rng.standard_normal((1, c, *hw)), requires_grad=True)
    w = cr.tensor(rng.standard_normal((o, c // groups, *pair(kernel))), requires_grad=True)
    b = cr.tensor(rng.standard_normal(o), requires_grad=True)
    assert cr.gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups),
                        (x, w, b))


CASES_1D = [  # conv1d arguments, and the same as a height-1 conv2d
    ({}, {}),
    ({"stride": 2, "padding": 1}, {"stride": (1, 2), "padding": (0, 1)}),
    ({"padding": "same", "dilation": 2}, {"padding": "same", "dilation": (1, 2)}),
    ({"groups": 2, "padding": 1}, {"groups": 2, "padding": (0, 1)}),
]


@pytest.mark.parametrize("kwargs, as_2d", CASES_1D)
def test_conv1d_value_and_gradcheck(kwargs, as_2d):
    rng = np.random.default_rng(3)
    x = cr.tensor(rng.standard_normal((2, 4, 9)), requires_grad=True)
    w = cr.tensor(rng.standard_normal((6, 4 // kwargs.get("groups", 1), 3)), requires_grad=True)
    b = cr.tensor(rng.standard_normal(6), requires_grad=True)
    reference = loop_conv2d(x.data[:, :, None], w.data[:, :, None], b.data,
                            as_2d.get("stride", 1), as_2d.get("padding", 0),
                            as_2d.get("dilation", 1), as_2d.get("groups", 1))
    np.testing.assert_allclose(F.conv1d(x, w, b, **kwargs).detach().numpy(), reference[:, :, 0],
                               rtol=1e-12, atol=1e-12)
    assert cr.gradcheck(lambda x, w, b: F.conv1d(x, w, b, **kwargs), (x, w, b))


@pytest.mark.parametrize("kwargs", [{}, {"stride": 2, "padding": 1, "output_padding": 1},
                                    {"stride": (2, 1), "dilation": 2, "groups": 2},
                                    {"stride": 3, "padding": (0, 1), "output_padding": (2, 0)}])
def test_conv_transpose2d_is_the_adjoint_of_conv2d_and_passes_gradcheck(kwargs):
    """⟨conv2d(u, W), v⟩ = ⟨u, conv_transpose2d(v, W)⟩ for same stride/padding/dilation."""
    rng = np.random.default_rng(4)
    groups = kwargs.get("groups", 1)
    w = rng.standard_normal((4, 6 // groups, 2, 3))
    x = cr.tensor(rng.standard_normal((2, 4, 4, 3)), requires_grad=True)
    y = F.conv_transpose2d(x, cr.tensor(w), **kwargs)
    conv_args = {k: v for k, v in kwargs.items() if k != "output_padding"}
    u = rng.standard_normal(y.shape)
    forward = F.conv2d(cr.tensor(u), cr.tensor(w), **conv_args)
    assert forward.shape == x.shape
    np.testing.assert_allclose(np.sum(y.data * u), np.sum(forward.data * x.data), rtol=1e-12)
    wt = cr.tensor(w, requires_grad=True)
    bt = cr.tensor(rng.standard_normal(6), requires_grad=True)
    assert cr.gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, **kwargs), (x, wt, bt))


def test_non_contiguous_and_channels_last_inputs_give_the_same_result():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 6, 7))
    w, b = cr.tensor(rng.standard_normal((4, 3, 3, 3))), cr.tensor(rng.standard_normal(4))
    expected = F.conv2d(cr.tensor(x), w, b, padding=1).data
    channels_last = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    strided = np.repeat(x, 2, axis=3)[:, :, :, ::2]
    for variant in (channels_last, strided, np.asfortranarray(x)):
        np.testing.assert_allclose(F.conv2d(cr.tensor(variant), w, b, padding=1).data,
                                   expected, rtol=1e-12)
    y = F.conv2d(cr.tensor(x), w, b, padding=1)  # chains: a conv output feeds a conv
    np.testing.assert_allclose(F.conv2d(y, cr.tensor(np.ones((2, 4, 1, 1)))).data,
                               np.stack([expected.sum(axis=1)] * 2, axis=1), rtol=1e-12)


def test_float32_stays_float32_in_forward_and_backward():
    layer = nn.Conv2d(3, 5, 3, padding=1)
    x = cr.randn(2, 3, 6, 6, requires_grad=True)
    up = nn.ConvTranspose2d(5, 2, 2, stride=2)
    y = layer(x)
    z = up(y)
    (z * z).sum().backward()
    assert y.dtype == z.dtype == cr.float32
    assert x.grad.dtype == layer.weight.grad.dtype == layer.bias.grad.dtype == cr.float32
    assert up.weight.grad.dtype == up.bias.grad.dtype == cr.float32
    depthwise = nn.Conv2d(3, 6, 3, groups=3)  # the per-offset depthwise Function
    x.grad = None
    d = depthwise(x)
    d.sum().backward()
    assert d.dtype == x.grad.dtype == depthwise.weight.grad.dtype == cr.float32


def test_unbatched_input_is_a_batch_of_one():
    layer = nn.Conv2d(3, 4, 3).double()
    x = cr.randn(3, 5, 6, dtype=cr.float64)
    np.testing.assert_array_equal(layer(x).data, layer(x.unsqueeze(0)).data[0])
    conv1 = nn.Conv1d(3, 4, 3).double()
    s = cr.randn(3, 8, dtype=cr.float64)
    np.testing.assert_array_equal(conv1(s).data, conv1(s.unsqueeze(0)).data[0])
    up = nn.ConvTranspose2d(3, 2, 2, stride=2).double()
    assert up(x).shape == (2, 10, 12)


def test_init_follows_pytorch_bounds_and_seed():
    cr.manual_seed(7)
    layer = nn.Conv2d(6, 8, (3, 2), groups=2)
    fan_in = 3 * 3 * 2
    assert layer.weight.shape == (8, 3, 3, 2) and layer.bias.shape == (8,)
    assert np.abs(layer.weight.data).max() <= 1 / math.sqrt(fan_in)
    assert np.abs(layer.bias.data).max() <= 1 / math.sqrt(fan_in)
    assert np.abs(layer.weight.data).max() > 0.8 / math.sqrt(fan_in)
    cr.manual_seed(7)
    np.testing.assert_array_equal(nn.Conv2d(6, 8, (3, 2), groups=2).weight.data,
                                  layer.weight.data)
    up = nn.ConvTranspose2d(4, 6, 3, groups=2)
    assert up.weight.shape == (4, 3, 3, 3)
    assert np.abs(up.bias.data).max() <= 1 / math.sqrt(3 * 9)


def test_state_dict_round_trip_and_repr():
    a, b = nn.Conv2d(2, 3, 3, stride=2, padding=1, bias=False), nn.Conv2d(2, 3, 3)
    b.register_parameter("bias", None)
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    assert repr(a) == "Conv2d(2, 3, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), " \
                      "bias=False)"
    assert repr(nn.Conv1d(2, 2, 3, padding="same")) == \
        "Conv1d(2, 2, kernel_size=(3,), stride=(1,), padding=same)"  # PyTorch's text
    assert "output_padding=(1, 1)" in repr(nn.ConvTranspose2d(2, 2, 3, 2, output_padding=1))


def test_conv_transpose_output_size_argument():
    up = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    x = cr.randn(1, 2, 4, 4)
    assert up(x).shape == (1, 3, 7, 7)
    assert up(x, output_size=(8, 8)).shape == (1, 3, 8, 8)
    with pytest.raises(ValueError, match="not reachable"):
        up(x, output_size=(10, 10))


# ------------------------------------------------------------------ errors (R-ERR-2)


def test_wrong_channel_count_names_layout_expected_channels_and_shape():
    layer = nn.Conv2d(3, 4, 3)
    with pytest.raises(ValueError) as error:
        layer(cr.randn(2, 5, 8, 8))
    message = str(error.value)
    assert "(N, C, H, W)" in message and "C=3" in message and "(2, 5, 8, 8)" in message
    with pytest.raises(ValueError, match=r"\(N, C, L\)"):
        nn.Conv1d(3, 4, 3)(cr.randn(2, 4, 8))


def test_input_smaller_than_the_dilated_kernel_says_both_sizes():
    with pytest.raises(ValueError, match=r"\(2, 2\).*smaller than the kernel size \(5, 5\)"):
        nn.Conv2d(1, 1, 3, dilation=2)(cr.randn(1, 1, 2, 2))


def test_bad_ranks_groups_padding_and_dtypes_raise():
    layer = nn.Conv2d(4, 4, 3)
    for shape in [(4, 8), (1, 1, 4, 8, 8)]:
        with pytest.raises(ValueError, match="4-D input"):
            layer(cr.randn(*shape))
    with pytest.raises(ValueError, match="in_channels=4 must be divisible by groups=3"):
        nn.Conv2d(4, 6, 3, groups=3)
    with pytest.raises(ValueError, match="out_channels=5 must be divisible by groups=2"):
        nn.Conv2d(4, 5, 3, groups=2)
    with pytest.raises(ValueError, match="groups=2"):
        F.conv2d(cr.randn(1, 4, 5, 5), cr.randn(5, 2, 3, 3), groups=2)
    with pytest.raises(ValueError, match="only \"zeros\" padding mode .*'reflect'"):
        nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(4, 4, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="strided"):
        nn.Conv2d(4, 4, 3, stride=2, padding="same")
    with pytest.raises(TypeError, match="float64"):
        layer(cr.randn(1, 4, 5, 5, dtype=cr.float64))
    with pytest.raises(ValueError, match="output_padding"):
        F.conv_transpose2d(cr.randn(1, 2, 3, 3), cr.randn(2, 2, 3, 3), stride=2,
                           output_padding=2)


# ------------------------------------------------------------------ PyTorch parity

LAYER_CASES = [
    ("Conv2d", (3, 6, 3), {"padding": 1}, (2, 3, 7, 6)),
    ("Conv2d", (4, 6, (2, 3)), {"stride": (2, 1), "padding": (1, 0), "dilation": (1, 2),
                                "groups": 2}, (2, 4, 8, 9)),
    ("Conv2d", (4, 8, 3), {"groups": 4, "padding": "same", "bias": False}, (2, 4, 5, 5)),
    ("Conv2d", (2, 3, 4), {"padding": "same", "dilation": 2}, (1, 2, 9, 8)),
    ("Conv2d", (2, 3, 3), {"stride": 3, "padding": "valid"}, (2, 2, 10, 11)),
    ("Conv1d", (3, 5, 4), {"stride": 2, "padding": 2}, (2, 3, 11)),
    ("Conv1d", (4, 4, 4), {"padding": "same", "groups": 2, "dilation": 3}, (2, 4, 13)),
    ("ConvTranspose2d", (3, 4, 3), {"stride": 2, "padding": 1, "output_padding": 1},
     (2, 3, 4, 5)),
    ("ConvTranspose2d", (4, 6, (2, 3)), {"stride": (1, 2), "groups": 2, "dilation": (2, 1)},
     (2, 4, 3, 4)),
    ("ConvTranspose2d", (2, 2, 3), {"stride": 3, "padding": 2, "output_padding": (2, 1),
                                    "bias": False}, (1, 2, 3, 3)),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("name, args, kwargs, shape", LAYER_CASES)
def test_layers_match_pytorch(name, args, kwargs, shape):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    ours = getattr(nn, name)(*args, **kwargs).double()
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    theirs.load_state_dict({k: torch.from_numpy(v.data.copy())
                            for k, v in ours.state_dict().items()})
    x_np = rng.standard_normal(shape)
    x, tx = cr.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    y, ty = ours(x), theirs(tx)
    assert y.shape == tuple(ty.shape)
    upstream = rng.standard_normal(y.shape)
    y.backward(upstream)
    ty.backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-7, atol=1e-12)
    for (key, p), tp in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-7, atol=1e-12,
                                   err_msg=key)


def test_default_init_bounds_match_pytorch():
    """Weight and bias within ±1/√fan_in, fan_in = weight.shape[1]·kh·kw, in both."""
    torch = pytest.importorskip("torch")
    for ours, theirs in [(nn.Conv2d(6, 4, 3, groups=2), torch.nn.Conv2d(6, 4, 3, groups=2)),
                         (nn.ConvTranspose2d(6, 4, 3, groups=2),
                          torch.nn.ConvTranspose2d(6, 4, 3, groups=2))]:
        bound = 1 / math.sqrt(theirs.weight.shape[1] * 9)
        for p, tp in zip(ours.parameters(), theirs.parameters()):
            assert p.shape == tuple(tp.shape)
            assert np.abs(p.data).max() <= bound and tp.abs().max().item() <= bound
        assert np.abs(ours.weight.data).max() > 0.7 * bound


@pytest.mark.parametrize("name,one,full", [
    ("stride", [2], (2, 2)), ("padding", [1], (1, 1)), ("dilation", (2,), (2, 2))])
def test_a_one_element_list_stands_for_every_dimension(name, one, full):
    """PyTorch's int-list arguments take a list of one for all dimensions: F.conv2d(x, w,
    None, [2]) is stride 2 in both, as it is in PyTorch; two or three for two are refused."""
    x, w = cr.randn(1, 2, 7, 7), cr.randn(3, 2, 3, 3)
    np.testing.assert_array_equal(F.conv2d(x, w, **{name: one}).numpy(),
                                  F.conv2d(x, w, **{name: full}).numpy())
    with pytest.raises(ValueError, match=f"{name} must be an int or a tuple of 2 ints"):
        F.conv2d(x, w, **{name: full + full[:1]})
