"""F.pad's copying modes (reflect, replicate, circular) and the padding layers: values against
NumPy's np.pad, float64 gradchecks, a hand-derived gradient, torch parity, and errors."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F
from chainrule import nn
from tests.optional import needs_torch, torch

NUMPY_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}
CASES = [((2, 5), (1, 3)), ((2, 3, 5), (4, 0)), ((3, 4, 5), (1, 2, 3, 1)),
         ((2, 3, 4, 5), (2, 1, 0, 3)), ((1, 2, 3, 4, 5), (1, 2, 2, 1, 0, 2)),
         ((2, 3, 4, 5, 6), (2, 2, 1, 1, 1, 1))]


def numpy_pad(x, pad, mode):
    pairs = [(pad[i], pad[i + 1]) for i in range(0, len(pad), 2)][::-1]
    widths = [(0, 0)] * (x.ndim - len(pairs)) + pairs
    return np.pad(x, widths, mode=NUMPY_MODE[mode])


@pytest.mark.parametrize("mode", list(NUMPY_MODE))
@pytest.mark.parametrize(("shape", "pad"), CASES)
def test_values_match_numpy(mode, shape, pad):
    x = np.random.default_rng(0).standard_normal(shape)
    np.testing.assert_array_equal(F.pad(cr.tensor(x), pad, mode=mode).numpy(),
                                  numpy_pad(x, pad, mode))


@pytest.mark.parametrize("mode", list(NUMPY_MODE))
@pytest.mark.parametrize(("shape", "pad"), CASES[:4])
def test_gradcheck(mode, shape, pad):
    x = cr.tensor(np.random.default_rng(1).standard_normal(shape), requires_grad=True)
    assert cr.gradcheck(lambda t: F.pad(t, pad, mode=mode), [x])


def test_reflect_gradient_by_hand():
    """[a b c] reflected by (2, 1) is [c b a b c b]: dL/da = G2, dL/db = G1 + G3 + G5,
    dL/dc = G0 + G4."""
    x = cr.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    g = np.array([[1.0, 10.0, 100.0, 1000.0, 1e4, 1e5]])
    F.pad(x, (2, 1), mode="reflect").backward(cr.tensor(g))
    np.testing.assert_array_equal(x.grad.numpy(), [[100.0, 10.0 + 1000.0 + 1e5, 1.0 + 1e4]])


def test_circular_and_replicate_gradients_by_hand():
    x = cr.tensor([[1.0, 2.0]], requires_grad=True)
    F.pad(x, (2, 1), mode="circular").backward(cr.tensor([[1.0, 2.0, 4.0, 8.0, 16.0]]))
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0 + 4.0 + 16.0, 2.0 + 8.0]])
    y = cr.tensor([[1.0, 2.0]], requires_grad=True)
    F.pad(y, (2, 1), mode="replicate").backward(cr.tensor([[1.0, 2.0, 4.0, 8.0, 16.0]]))
    np.testing.assert_array_equal(y.grad.numpy(), [[7.0, 24.0]])


def test_float32_stays_float32():
    x = cr.randn(1, 2, 4, requires_grad=True)
    y = F.pad(x, (1, 1), mode="reflect")
    y.sum().backward()
    assert y.dtype == cr.float32 and x.grad.dtype == cr.float32


@needs_torch
@pytest.mark.parametrize("mode", list(NUMPY_MODE))
@pytest.mark.parametrize(("shape", "pad"), CASES)
def test_torch_parity_values_and_gradients(mode, shape, pad):
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape)
    ours = cr.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    y, ty = F.pad(ours, pad, mode=mode), torch.nn.functional.pad(theirs, pad, mode=mode)
    g = rng.standard_normal(ty.shape)
    y.backward(cr.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_reflect_pad_must_be_smaller_than_the_size():
    with pytest.raises(RuntimeError, match="reflect padding .* less than its size 3"):
        F.pad(cr.ones(1, 2, 3), (3, 0), mode="reflect")
    assert F.pad(cr.ones(1, 2, 3), (2, 2), mode="reflect").shape == (1, 2, 7)


def test_circular_pad_wraps_at_most_once():
    with pytest.raises(RuntimeError, match="circular padding .* at most its size 3"):
        F.pad(cr.ones(1, 2, 3), (0, 4), mode="circular")
    assert F.pad(cr.ones(1, 2, 3), (3, 3), mode="circular").shape == (1, 2, 9)


def test_replicate_has_no_size_limit_but_needs_elements():
    assert F.pad(cr.ones(1, 2, 1), (5, 4), mode="replicate").shape == (1, 2, 10)
    with pytest.raises(RuntimeError, match="cannot pad dimension 2 of size 0"):
        F.pad(cr.ones(1, 2, 0), (1, 1), mode="replicate")


@pytest.mark.parametrize(("shape", "pad"), [((1, 2, 3, 4), (1, 1)), ((3,), (1, 1)),
                                            ((2, 3), (1, 1, 1, 1)),
                                            ((1, 2, 3, 4), (1,) * 8)])
def test_copy_modes_reject_unsupported_ranks(shape, pad):
    with pytest.raises(NotImplementedError, match=f"needs a .*-D input, got a {len(shape)}-D"):
        F.pad(cr.ones(*shape), pad, mode="replicate")


def test_bad_mode_and_value_with_a_copy_mode():
    with pytest.raises(NotImplementedError, match="unrecognised padding mode 'bogus'"):
        F.pad(cr.ones(1, 2, 3), (1, 1), mode="bogus")
    with pytest.raises(RuntimeError, match="'reflect' doesn't take a value"):
        F.pad(cr.ones(1, 2, 3), (1, 1), mode="reflect", value=2.0)
    with pytest.raises(ValueError, match=r"\(before, after\) pairs"):
        F.pad(cr.ones(1, 2, 3), (1,), mode="reflect")


def test_constant_mode_still_fills_with_value():
    np.testing.assert_array_equal(F.pad(cr.tensor([1.0]), (1, 2), value=7.0).numpy(),
                                  [7.0, 1.0, 7.0, 7.0])
    np.testing.assert_array_equal(cr.pad(cr.tensor([1.0]), (1, 0)).numpy(), [0.0, 1.0])


LAYERS = [
    (nn.ZeroPad1d, 1, "constant"), (nn.ZeroPad2d, 2, "constant"), (nn.ZeroPad3d, 3, "constant"),
    (nn.ReflectionPad1d, 1, "reflect"), (nn.ReflectionPad2d, 2, "reflect"),
    (nn.ReflectionPad3d, 3, "reflect"), (nn.ReplicationPad1d, 1, "replicate"),
    (nn.ReplicationPad2d, 2, "replicate"), (nn.ReplicationPad3d, 3, "replicate"),
    (nn.CircularPad1d, 1, "circular"), (nn.CircularPad2d, 2, "circular"),
    (nn.CircularPad3d, 3, "circular"),
]


@pytest.mark.parametrize(("cls", "dims", "mode"), LAYERS)
def test_layers_match_the_function(cls, dims, mode):
    x = np.random.default_rng(3).standard_normal((2, 3) + (4,) * dims)
    pad = tuple(range(1, 2 * dims + 1))[::-1]
    pad = tuple(min(p, 3) for p in pad)
    layer = cls(pad)
    assert layer.padding == pad and list(layer.state_dict()) == []
    expected = numpy_pad(x, pad, mode) if mode != "constant" else \
        np.pad(x, [(0, 0), (0, 0)] + [(pad[2 * i], pad[2 * i + 1]) for i in range(dims)][::-1])
    np.testing.assert_array_equal(layer(cr.tensor(x)).numpy(), expected)
    assert cls(2).padding == (2,) * (2 * dims)


def test_constant_pad_layers_fill_with_their_value():
    layer = nn.ConstantPad2d((1, 0, 0, 1), 3.5)
    y = layer(cr.zeros(1, 1, 1)).numpy()
    np.testing.assert_array_equal(y, [[[3.5, 0.0], [3.5, 3.5]]])
    assert repr(nn.ConstantPad1d(2, 3.5)) == "ConstantPad1d(padding=(2, 2), value=3.5)"
    assert repr(nn.ReflectionPad2d((1, 2, 3, 4))) == "ReflectionPad2d((1, 2, 3, 4))"
    assert repr(nn.ZeroPad2d(1)) == "ZeroPad2d((1, 1, 1, 1))"
    assert nn.ConstantPad3d(1, 0.0)(cr.ones(2, 2, 2)).shape == (4, 4, 4)


def test_layer_padding_must_have_two_entries_per_dimension():
    with pytest.raises(ValueError, match=r"ReflectionPad2d: padding must be .* 4 ints, got \(1"):
        nn.ReflectionPad2d((1, 2, 3))
    with pytest.raises(ValueError, match="ZeroPad1d: padding must be"):
        nn.ZeroPad1d(1.5)
    np.testing.assert_array_equal(nn.ZeroPad1d((-1, 1))(cr.tensor([1.0, 2.0])).numpy(),
                                  [2.0, 0.0])


@needs_torch
@pytest.mark.parametrize(("cls", "dims", "mode"), LAYERS)
def test_layers_torch_parity(cls, dims, mode):
    x = np.random.default_rng(4).standard_normal((3,) + (4,) * dims)  # unbatched
    pad = (1, 2, 0, 3, 2, 1)[:2 * dims]
    ours, theirs = cls(pad), getattr(torch.nn, cls.__name__)(pad)
    np.testing.assert_array_equal(ours(cr.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy())
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("pad", [(-2, 2), (-1, -1), (-3, 1), (1, -2), (-1, 2, 1, -1)])
def test_negative_padding_crops(mode, pad):
    """'constant'/'circular' crop and then pad what is left; 'reflect'/'replicate' read the
    positions −lo … I − 1 + hi of the mirrored or extended input (written out by hand)."""
    x = np.arange(12.0).reshape(1, 3, 4)
    expected = {
        ("constant", (-2, 2)): [2, 3, 0, 0], ("reflect", (-2, 2)): [2, 3, 2, 1],
        ("replicate", (-2, 2)): [2, 3, 3, 3], ("circular", (-2, 2)): [2, 3, 2, 3],
        ("constant", (-3, 1)): [3, 0], ("reflect", (-3, 1)): [3, 2],
        ("replicate", (-3, 1)): [3, 3], ("circular", (-3, 1)): [3, 3],
        ("constant", (1, -2)): [0, 0, 1], ("reflect", (1, -2)): [1, 0, 1],
        ("replicate", (1, -2)): [0, 0, 1], ("circular", (1, -2)): [1, 0, 1],
    }
    t = cr.tensor(x, requires_grad=True)
    y = F.pad(t, pad, mode=mode)
    if (mode, pad) in expected:
        np.testing.assert_array_equal(y.detach().numpy()[0, 0], expected[mode, pad])
    if pad == (-1, -1):
        np.testing.assert_array_equal(y.detach().numpy(), x[:, :, 1:3])
    assert cr.gradcheck(lambda a: F.pad(a, pad, mode=mode), [t])
    if torch is not None:
        ty = torch.nn.functional.pad(torch.tensor(x), pad, mode=mode)
        np.testing.assert_array_equal(y.detach().numpy(), ty.numpy())


def test_cropping_more_than_the_dimension_holds():
    with pytest.raises(RuntimeError, match=r"crops more than dimension 2 of size 4"):
        F.pad(cr.ones(1, 2, 4), (-5, 1))
    with pytest.raises(RuntimeError, match=r"cannot pad dimension 2 of size 4 by \(-4, 0\)"):
        F.pad(cr.ones(1, 2, 4), (-4, 0), mode="reflect")
