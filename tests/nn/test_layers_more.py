"""Bilinear, ConvTranspose1d (and output_size in forward), ParameterList and ParameterDict:
values against NumPy references, gradchecks, state_dict keys, init bounds, torch parity,
errors."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F
from chainrule import nn
from tests.optional import needs_torch, torch

# ----------------------------------------------------------------------------- Bilinear


def test_bilinear_matches_einsum():
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 5, 4))
    w, b = rng.standard_normal((6, 3, 4)), rng.standard_normal(6)
    y = F.bilinear(cr.tensor(x1), cr.tensor(x2), cr.tensor(w), cr.tensor(b))
    expected = np.einsum("...i,oij,...j->...o", x1, w, x2) + b
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12, atol=1e-12)
    unbatched = F.bilinear(cr.tensor(x1[0, 0]), cr.tensor(x2[0, 0]), cr.tensor(w))
    np.testing.assert_allclose(unbatched.numpy(), expected[0, 0] - b, rtol=1e-12)


def test_bilinear_gradcheck():
    rng = np.random.default_rng(1)
    tensors = [cr.tensor(rng.standard_normal(s), requires_grad=True)
               for s in ((4, 3), (4, 2), (5, 3, 2), (5,))]
    assert cr.gradcheck(F.bilinear, tensors)
    assert cr.gradcheck(lambda a, b, w: F.bilinear(a, b, w), tensors[:3])


def test_bilinear_layer_shapes_init_and_state_dict():
    layer = nn.Bilinear(4, 100, 50)
    assert layer.weight.shape == (50, 4, 100) and layer.bias.shape == (50,)
    assert list(layer.state_dict()) == ["weight", "bias"]
    bound = 1 / np.sqrt(4)  # 1/√in1_features, not of the fan-in
    for p in (layer.weight.data, layer.bias.data):
        assert np.all(np.abs(p) <= bound) and np.abs(p).max() > 0.9 * bound
    assert nn.Bilinear(2, 3, 4, bias=False).bias is None
    assert repr(nn.Bilinear(2, 3, 4)) == \
        "Bilinear(in1_features=2, in2_features=3, out_features=4, bias=True)"
    assert layer(cr.randn(7, 4), cr.randn(7, 100)).shape == (7, 50)


def test_bilinear_errors():
    w = cr.randn(6, 4, 5)
    with pytest.raises(RuntimeError, match="input1 size does not match weight size: got 3 "
                                           "but expected 4"):
        F.bilinear(cr.randn(2, 3), cr.randn(2, 5), w)
    with pytest.raises(RuntimeError, match="input2 size does not match .* got 4 but expected 5"):
        F.bilinear(cr.randn(2, 4), cr.randn(2, 4), w)
    with pytest.raises(RuntimeError, match="batch dimensions do not match at dim 0: got 2 and 3"):
        F.bilinear(cr.randn(2, 4), cr.randn(3, 5), w)
    with pytest.raises(RuntimeError, match="input dimensions do not match: got 3 and 2"):
        F.bilinear(cr.randn(2, 3, 4), cr.randn(2, 5), w)
    with pytest.raises(RuntimeError, match="bias size does not match .* got 5 but expected 6"):
        F.bilinear(cr.randn(2, 4), cr.randn(2, 5), w, cr.randn(5))


@needs_torch
def test_bilinear_torch_parity():
    rng = np.random.default_rng(2)
    ours = nn.Bilinear(3, 4, 5).double()
    theirs = torch.nn.Bilinear(3, 4, 5).double()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x1, x2 = rng.standard_normal((2, 6, 3)), rng.standard_normal((2, 6, 4))
    a, b = cr.tensor(x1, requires_grad=True), cr.tensor(x2, requires_grad=True)
    ta, tb = torch.tensor(x1, requires_grad=True), torch.tensor(x2, requires_grad=True)
    y, ty = ours(a, b), theirs(ta, tb)
    g = rng.standard_normal(ty.shape)
    y.backward(cr.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12)
    for mine, reference in ((a.grad, ta.grad), (b.grad, tb.grad),
                            (ours.weight.grad, theirs.weight.grad),
                            (ours.bias.grad, theirs.bias.grad)):
        np.testing.assert_allclose(mine.numpy(), reference.numpy(), rtol=1e-11, atol=1e-12)
    assert repr(ours) == repr(theirs)

# ----------------------------------------------------------------------------- ConvTranspose1d


def conv_transpose1d_reference(x, w, b, stride, padding, output_padding, groups, dilation):
    """Scatter form: each input position l adds x[n, c, l]·W[c, o] at l·s + t·d − p."""
    n, c_in, length = x.shape
    per_group_out = w.shape[1]
    k = w.shape[2]
    out_len = (length - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1
    full = np.zeros((n, per_group_out * groups, out_len + 2 * padding + k * dilation))
    per_group_in = c_in // groups
    for c in range(c_in):
        g = c // per_group_in
        for o in range(per_group_out):
            for pos in range(length):
                for t in range(k):
                    full[:, g * per_group_out + o, pos * stride + t * dilation] += \
                        x[:, c, pos] * w[c, o, t]
    y = full[:, :, padding:padding + out_len]
    return y if b is None else y + b[None, :, None]


CONV_T_CASES = [  # in, out, k, stride, padding, output_padding, groups, dilation
    (3, 2, 3, 1, 0, 0, 1, 1), (2, 4, 2, 2, 1, 1, 1, 1), (4, 2, 3, 3, 1, 2, 2, 1),
    (2, 2, 2, 1, 0, 0, 2, 2)]


@pytest.mark.parametrize(("cin", "cout", "k", "s", "p", "op", "g", "d"), CONV_T_CASES)
def test_conv_transpose1d_matches_the_scatter_form(cin, cout, k, s, p, op, g, d):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, cin, 5))
    w, b = rng.standard_normal((cin, cout // g, k)), rng.standard_normal(cout)
    y = F.conv_transpose1d(cr.tensor(x), cr.tensor(w), cr.tensor(b), s, p, op, g, d)
    np.testing.assert_allclose(y.numpy(), conv_transpose1d_reference(x, w, b, s, p, op, g, d),
                               rtol=1e-12, atol=1e-12)
    tensors = [cr.tensor(a, requires_grad=True) for a in (x, w, b)]
    assert cr.gradcheck(lambda a, ww, bb: F.conv_transpose1d(a, ww, bb, s, p, op, g, d),
                        tensors)


def test_conv_transpose1d_layer():
    layer = nn.ConvTranspose1d(4, 6, 3, stride=2, groups=2)
    assert layer.weight.shape == (4, 3, 3) and layer.bias.shape == (6,)
    assert list(layer.state_dict()) == ["weight", "bias"]
    bound = 1 / np.sqrt(3 * 3)  # fan_in = out_channels/groups · k, as PyTorch computes it
    assert np.all(np.abs(layer.weight.data) <= bound)
    assert np.all(np.abs(layer.bias.data) <= bound)
    assert layer(cr.randn(2, 4, 5)).shape == (2, 6, 11)
    assert layer(cr.randn(4, 5)).shape == (6, 11)  # unbatched
    assert layer(cr.randn(2, 4, 5), output_size=[12]).shape == (2, 6, 12)
    assert layer(cr.randn(2, 4, 5), output_size=(2, 6, 12)).shape == (2, 6, 12)
    with pytest.raises(ValueError, match=r"ConvTranspose1d: requested output size \(13,\)"):
        layer(cr.randn(2, 4, 5), output_size=[13])
    assert repr(nn.ConvTranspose1d(2, 3, 4)) == "ConvTranspose1d(2, 3, kernel_size=(4,), " \
        "stride=(1,))"


def test_conv_transpose2d_accepts_output_size():
    layer = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    assert layer(cr.randn(1, 2, 4, 5)).shape == (1, 3, 7, 9)
    assert layer(cr.randn(1, 2, 4, 5), output_size=(8, 10)).shape == (1, 3, 8, 10)
    with pytest.raises(ValueError, match="not reachable"):
        layer(cr.randn(1, 2, 4, 5), output_size=(9, 10))


def test_conv_transpose1d_errors():
    with pytest.raises(ValueError, match=r"conv_transpose1d: expected a 3-D input"):
        F.conv_transpose1d(cr.randn(1, 2, 3, 4), cr.randn(2, 2, 2))
    with pytest.raises(ValueError, match="stride must be"):
        F.conv_transpose1d(cr.randn(1, 2, 3), cr.randn(2, 2, 2), stride=0)
    with pytest.raises(ValueError, match="output_padding .* must be smaller"):
        F.conv_transpose1d(cr.randn(1, 2, 3), cr.randn(2, 2, 2), stride=2, output_padding=2)


@needs_torch
@pytest.mark.parametrize(("cin", "cout", "k", "s", "p", "op", "g", "d"), CONV_T_CASES)
def test_conv_transpose1d_torch_parity(cin, cout, k, s, p, op, g, d):
    rng = np.random.default_rng(4)
    ours = nn.ConvTranspose1d(cin, cout, k, s, p, op, g, True, d).double()
    theirs = torch.nn.ConvTranspose1d(cin, cout, k, s, p, op, g, True, d).double()
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x = rng.standard_normal((2, cin, 5))
    a, ta = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = ours(a), theirs(ta)
    gy = rng.standard_normal(ty.shape)
    y.backward(cr.tensor(gy))
    ty.backward(torch.tensor(gy))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(),
                               rtol=1e-11, atol=1e-12)
    assert repr(ours) == repr(theirs)

# ----------------------------------------------------------------------------- containers


class Holder(nn.Module):
    def __init__(self):
        super().__init__()
        self.weights = nn.ParameterList([nn.Parameter(cr.ones(2)), cr.zeros(3)])
        self.scales = nn.ParameterDict({"alpha": cr.ones(1), "beta": nn.Parameter(cr.zeros(4))})


def test_parameter_list_registers_its_entries():
    holder = Holder()
    assert list(holder.state_dict()) == ["weights.0", "weights.1", "scales.alpha",
                                         "scales.beta"]
    assert len(list(holder.parameters())) == 4
    weights = holder.weights
    assert isinstance(weights[1], nn.Parameter) and weights[1].requires_grad
    weights.append(cr.ones(5))
    weights.extend([cr.ones(6)])
    weights += [cr.ones(7)]
    assert len(weights) == 5 and [p.shape for p in weights][2:] == [(5,), (6,), (7,)]
    assert weights[-1].shape == (7,) and [p.shape for p in weights[1:3]] == [(3,), (5,)]
    replacement = nn.Parameter(cr.full((3,), 2.0))
    weights[1] = replacement
    assert holder.state_dict()["weights.1"].tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(IndexError, match="index 5 is out of range for a list of 5"):
        weights[5]
    with pytest.raises(TypeError, match="expected a Parameter or a Tensor, got int"):
        weights.append(3)


def test_parameter_dict_registers_its_entries():
    scales = Holder().scales
    assert list(scales) == list(scales.keys()) == ["alpha", "beta"]
    assert [p.shape for p in scales.values()] == [(1,), (4,)]
    assert dict(scales.items())["beta"] is scales["beta"] and "alpha" in scales
    scales["gamma"] = cr.ones(2)
    scales.update({"delta": cr.ones(1)})
    assert [name for name, _ in scales.named_parameters()] == ["alpha", "beta", "gamma",
                                                               "delta"]
    popped = scales.pop("gamma")
    assert popped.shape == (2,) and "gamma" not in scales and len(scales) == 3
    del scales["delta"]
    assert scales.get("delta") is None
    with pytest.raises(KeyError, match="no parameter 'zz'"):
        scales["zz"]
    with pytest.raises(KeyError, match="contain"):
        scales["a.b"] = cr.ones(1)
    with pytest.raises(KeyError, match="'training' already exists"):
        scales["training"] = cr.ones(1)
    with pytest.raises(TypeError, match="keys must be strings"):
        scales[3] = cr.ones(1)
    scales.clear()
    assert len(scales) == 0 and list(scales.parameters()) == []


def test_containers_train_with_an_optimizer_and_round_trip():
    holder = Holder()
    loss = (holder.weights[0] * 3).sum() + (holder.scales["beta"] ** 2).sum()
    loss.backward()
    np.testing.assert_array_equal(holder.weights[0].grad.numpy(), [3.0, 3.0])
    cr.optim.SGD(holder.parameters(), lr=0.5).step()
    np.testing.assert_array_equal(holder.weights[0].data, [-0.5, -0.5])
    other = Holder()
    other.load_state_dict(holder.state_dict())
    np.testing.assert_array_equal(other.weights[0].data, [-0.5, -0.5])
    holder.double()
    assert holder.weights[1].dtype == cr.float64 and holder.scales["alpha"].dtype == cr.float64


@needs_torch
def test_container_keys_match_torch():
    class TorchHolder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.weights = torch.nn.ParameterList([torch.nn.Parameter(torch.ones(2)),
                                                   torch.zeros(3)])
            self.scales = torch.nn.ParameterDict({"alpha": torch.ones(1),
                                                  "beta": torch.nn.Parameter(torch.zeros(4))})

    ours, theirs = Holder().state_dict(), TorchHolder().state_dict()
    assert {k: tuple(v.shape) for k, v in ours.items()} == \
        {k: tuple(v.shape) for k, v in theirs.items()}
    assert list(ours) == list(theirs)

# ----------------------------------------------------------------------------- LocalResponseNorm


def lrn_reference(x, size, alpha, beta, k):
    """b_c = a_c / (k + α/size · Σ_{c' = c − ⌊size/2⌋}^{c + ⌊(size − 1)/2⌋} a_{c'}²)^β."""
    out = np.empty_like(x)
    channels = x.shape[1]
    for c in range(channels):
        lo, hi = max(c - size // 2, 0), min(c + (size - 1) // 2, channels - 1)
        total = (x[:, lo:hi + 1] ** 2).sum(axis=1)
        out[:, c] = x[:, c] / (k + alpha / size * total) ** beta
    return out


@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_local_response_norm_matches_the_formula(size):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 5, 3, 2))
    layer = nn.LocalResponseNorm(size, alpha=0.3, beta=0.6, k=2.0)
    np.testing.assert_allclose(layer(cr.tensor(x)).numpy(), lrn_reference(x, size, 0.3, 0.6, 2.0),
                               rtol=1e-12)
    t = cr.tensor(x, requires_grad=True)
    assert cr.gradcheck(lambda a: F.local_response_norm(a, size, 0.3, 0.6, 2.0), [t])
    assert list(layer.state_dict()) == []


def test_local_response_norm_errors_and_repr():
    with pytest.raises(ValueError, match="expected 3D or higher dimensionality input"):
        F.local_response_norm(cr.randn(2, 3), 2)
    with pytest.raises(ValueError, match="size must be a positive int"):
        F.local_response_norm(cr.randn(2, 3, 4), 0)
    assert repr(nn.LocalResponseNorm(3)) == "LocalResponseNorm(3, alpha=0.0001, beta=0.75, k=1.0)"


@needs_torch
def test_local_response_norm_torch_parity():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 6, 4))
    a, ta = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y = F.local_response_norm(a, 3, alpha=0.5, beta=0.75, k=1.5)
    ty = torch.nn.functional.local_response_norm(ta, 3, alpha=0.5, beta=0.75, k=1.5)
    g = rng.standard_normal(x.shape)
    y.backward(cr.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-11, atol=1e-13)
    assert repr(nn.LocalResponseNorm(2, 1e-3, 0.5, 2.0)) == \
        repr(torch.nn.LocalResponseNorm(2, 1e-3, 0.5, 2.0))

# ----------------------------------------------------------------------------- conv padding_mode


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [1, (2, 1), "same"])
def test_conv2d_padding_modes_pad_first(mode, padding):
    """padding_mode ≠ 'zeros': F.pad in that mode, then a convolution without padding."""
    rng = np.random.default_rng(7)
    layer = nn.Conv2d(2, 3, 3, padding=padding, padding_mode=mode).double()
    x = cr.tensor(rng.standard_normal((1, 2, 5, 6)), requires_grad=True)
    pads = {1: (1, 1, 1, 1), (2, 1): (1, 1, 2, 2), "same": (1, 1, 1, 1)}[padding]
    expected = F.conv2d(F.pad(x, pads, mode=mode), layer.weight, layer.bias)
    np.testing.assert_allclose(layer(x).detach().numpy(), expected.detach().numpy(),
                               rtol=1e-12)
    assert cr.gradcheck(lambda a: layer(a), [x])
    assert repr(layer).endswith(f"padding_mode={mode})")


@needs_torch
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize(("cls", "shape", "padding"), [
    ("Conv2d", (2, 2, 5, 6), (2, 1)), ("Conv2d", (2, 5, 6), "same"), ("Conv1d", (2, 2, 7), 2),
    ("Conv1d", (2, 7), "same")])
def test_conv_padding_modes_torch_parity(mode, cls, shape, padding):
    rng = np.random.default_rng(8)
    ours = getattr(nn, cls)(2, 3, 3, padding=padding, padding_mode=mode).double()
    theirs = getattr(torch.nn, cls)(2, 3, 3, padding=padding, padding_mode=mode).double()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x = rng.standard_normal(shape)
    a, ta = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = ours(a), theirs(ta)
    g = rng.standard_normal(ty.shape)
    y.backward(cr.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(),
                               rtol=1e-11, atol=1e-12)
    if padding != "same":  # chainrule quotes 'same' in the repr, PyTorch does not
        assert repr(ours) == repr(theirs)
