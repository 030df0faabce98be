"""interpolate's linear modes, Upsample and UpsamplingNearest2d/Bilinear2d, PixelShuffle and
PixelUnshuffle: values against loop references written from the formulas, gradchecks, torch
parity, errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F
from chainrule import nn
from tests.optional import needs_torch, torch


def source_1d(size, out, scale, align_corners):
    """The source position of each output, written from PyTorch's documented rule."""
    positions = []
    for o in range(out):
        if align_corners:
            x = o * (size - 1) / (out - 1) if out > 1 else 0.0
        else:
            ratio = 1.0 / scale if scale else size / out
            x = max((o + 0.5) * ratio - 0.5, 0.0)
        positions.append(x)
    return positions


def linear_1d_reference(row, out, scale, align_corners):
    values = []
    for x in source_1d(len(row), out, scale, align_corners):
        i0 = min(int(math.floor(x)), len(row) - 1)
        i1 = min(i0 + 1, len(row) - 1)
        lam = x - i0
        values.append((1 - lam) * row[i0] + lam * row[i1])
    return np.array(values)


def bilinear_reference(x, out, scales, align_corners):
    """Apply the 1-D rule along W, then along H (the result is the same in either order)."""
    n, c, h, w = x.shape
    wide = np.array([[[linear_1d_reference(x[i, j, r], out[1], scales[1], align_corners)
                       for r in range(h)] for j in range(c)] for i in range(n)])
    return np.array([[[linear_1d_reference(wide[i, j, :, col], out[0], scales[0],
                                           align_corners)
                       for col in range(out[1])] for j in range(c)]
                     for i in range(n)]).transpose(0, 1, 3, 2)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize(("kwargs", "out", "scale"), [
    ({"scale_factor": 2}, 10, 2), ({"scale_factor": 1.7}, 8, 1.7), ({"size": 3}, 3, None),
    ({"size": 1}, 1, None), ({"scale_factor": 0.6}, 3, 0.6),
    ({"scale_factor": 2.3, "recompute_scale_factor": True}, 11, None)])
def test_linear_matches_the_formula(align_corners, kwargs, out, scale):
    x = np.random.default_rng(0).standard_normal((2, 3, 5))
    y = F.interpolate(cr.tensor(x), mode="linear", align_corners=align_corners, **kwargs)
    expected = np.array([[linear_1d_reference(x[i, j], out, scale, align_corners)
                          for j in range(3)] for i in range(2)])
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("align_corners", [None, False, True])
@pytest.mark.parametrize(("kwargs", "out", "scales"), [
    ({"scale_factor": 2}, (8, 10), (2, 2)), ({"scale_factor": (1.5, 0.5)}, (6, 2), (1.5, 0.5)),
    ({"size": (3, 7)}, (3, 7), (None, None))])
def test_bilinear_matches_the_formula(align_corners, kwargs, out, scales):
    x = np.random.default_rng(1).standard_normal((1, 2, 4, 5))
    y = F.interpolate(cr.tensor(x), mode="bilinear", align_corners=align_corners, **kwargs)
    expected = bilinear_reference(x, out, scales, bool(align_corners))
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("shape", "mode"), [((2, 2, 4), "linear"), ((1, 2, 3, 4), "bilinear"),
                                             ((1, 1, 2, 3, 2), "trilinear")])
@pytest.mark.parametrize("align_corners", [False, True])
def test_gradcheck(shape, mode, align_corners):
    x = cr.tensor(np.random.default_rng(2).standard_normal(shape), requires_grad=True)
    assert cr.gradcheck(lambda t: F.interpolate(t, scale_factor=1.5, mode=mode,
                                                align_corners=align_corners), [x])
    assert cr.gradcheck(lambda t: F.interpolate(t, size=(2,) * (len(shape) - 2), mode=mode,
                                                align_corners=align_corners), [x])


def cubic_kernel(s, a=-0.75):
    s = abs(s)
    if s <= 1:
        return (a + 2) * s ** 3 - (a + 3) * s ** 2 + 1
    return a * s ** 3 - 5 * a * s ** 2 + 8 * a * s - 4 * a if s < 2 else 0.0


def bicubic_1d_reference(row, out, scale, align_corners):
    """Keys' cubic convolution at PyTorch's (unclamped) source position, edges repeated."""
    size, values = len(row), []
    for o in range(out):
        if align_corners:
            x = o * (size - 1) / (out - 1) if out > 1 else 0.0
        else:
            x = (o + 0.5) * (1.0 / scale if scale else size / out) - 0.5
        i = math.floor(x)
        values.append(sum(cubic_kernel(x - (i + k)) * row[min(max(i + k, 0), size - 1)]
                          for k in (-1, 0, 1, 2)))
    return np.array(values)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize(("kwargs", "out", "scales"), [
    ({"scale_factor": 2}, (8, 10), (2, 2)), ({"scale_factor": (1.5, 0.5)}, (6, 2), (1.5, 0.5)),
    ({"size": (3, 7)}, (3, 7), (None, None))])
def test_bicubic_matches_the_formula(align_corners, kwargs, out, scales):
    x = np.random.default_rng(6).standard_normal((1, 2, 4, 5))
    y = F.interpolate(cr.tensor(x), mode="bicubic", align_corners=align_corners, **kwargs)
    wide = np.apply_along_axis(bicubic_1d_reference, 3, x, out[1], scales[1], align_corners)
    expected = np.apply_along_axis(bicubic_1d_reference, 2, wide, out[0], scales[0],
                                   align_corners)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12, atol=1e-12)
    t = cr.tensor(x, requires_grad=True)
    assert cr.gradcheck(lambda a: F.interpolate(a, mode="bicubic", align_corners=align_corners,
                                                **kwargs), [t])


def test_float32_stays_float32():
    x = cr.randn(1, 2, 3, 4, requires_grad=True)
    y = F.interpolate(x, scale_factor=2, mode="bilinear")
    y.sum().backward()
    assert y.dtype == x.grad.dtype == cr.float32


def test_errors():
    x = cr.randn(1, 2, 3, 3)
    with pytest.raises(NotImplementedError, match="got 4-D input, but linear mode needs 3-D"):
        F.interpolate(x, scale_factor=2, mode="linear")
    with pytest.raises(NotImplementedError, match="got 3-D input, but bilinear mode needs 4-D"):
        F.interpolate(x[0], scale_factor=2, mode="bilinear")
    with pytest.raises(NotImplementedError, match="mode 'bogus'"):
        F.interpolate(x, scale_factor=2, mode="bogus")
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        F.interpolate(x, scale_factor=2, mode="nearest", align_corners=True)
    with pytest.raises(ValueError, match="anti-alias option is restricted"):
        F.interpolate(x, scale_factor=2, mode="nearest", antialias=True)
    with pytest.raises(NotImplementedError, match="'area' is not implemented"):
        F.interpolate(x, scale_factor=2, mode="area")
    with pytest.raises(NotImplementedError, match="got 3-D input, but bicubic mode needs 4-D"):
        F.interpolate(x[0], scale_factor=2, mode="bicubic")


def test_upsampling_layers():
    x = cr.tensor([[[[0.0, 3.0], [6.0, 9.0]]]])
    y = nn.UpsamplingBilinear2d(size=3)(x)  # align_corners=True: the corners stay
    np.testing.assert_allclose(y.numpy()[0, 0], [[0, 1.5, 3], [3, 4.5, 6], [6, 7.5, 9]])
    np.testing.assert_array_equal(nn.UpsamplingNearest2d(scale_factor=2)(x).numpy()[0, 0],
                                  np.repeat(np.repeat(x.numpy()[0, 0], 2, 0), 2, 1))
    assert repr(nn.UpsamplingBilinear2d(scale_factor=2)) == \
        "UpsamplingBilinear2d(scale_factor=2.0, mode='bilinear')"
    assert repr(nn.Upsample(size=(3, 4), mode="bilinear")) == \
        "Upsample(size=(3, 4), mode='bilinear')"
    layer = nn.Upsample(scale_factor=2, mode="linear", align_corners=True)
    assert layer(cr.randn(1, 1, 3)).shape == (1, 1, 6) and list(layer.state_dict()) == []


def shuffle_reference(x, r):
    *lead, c, h, w = x.shape
    out = np.empty((*lead, c // (r * r), h * r, w * r))
    for ch in range(c // (r * r)):
        for i in range(r):
            for j in range(r):
                out[..., ch, i::r, j::r] = x[..., ch * r * r + i * r + j, :, :]
    return out


@pytest.mark.parametrize(("shape", "r"), [((2, 8, 3, 2), 2), ((9, 2, 2), 3),
                                          ((2, 1, 4, 1, 1), 2)])
def test_pixel_shuffle_and_unshuffle(shape, r):
    x = np.random.default_rng(3).standard_normal(shape)
    y = F.pixel_shuffle(cr.tensor(x), r)
    np.testing.assert_array_equal(y.numpy(), shuffle_reference(x, r))
    np.testing.assert_array_equal(F.pixel_unshuffle(y, r).numpy(), x)
    np.testing.assert_array_equal(nn.PixelShuffle(r)(cr.tensor(x)).numpy(), y.numpy())
    np.testing.assert_array_equal(nn.PixelUnshuffle(r)(y).numpy(), x)
    t = cr.tensor(x, requires_grad=True)
    assert cr.gradcheck(lambda a: F.pixel_shuffle(a, r), [t])
    assert cr.gradcheck(lambda a: F.pixel_unshuffle(a, r), [y.detach().requires_grad_()])


def test_pixel_shuffle_errors():
    with pytest.raises(RuntimeError, match=r"input.size\(-3\)=5 is not divisible by 4"):
        nn.PixelShuffle(2)(cr.randn(1, 5, 2, 2))
    with pytest.raises(RuntimeError, match=r"height to be divisible .* input.size\(-2\)=3"):
        F.pixel_unshuffle(cr.randn(1, 1, 3, 2), 2)
    with pytest.raises(RuntimeError, match="at least 3 dimensions, but got input with 2"):
        F.pixel_shuffle(cr.randn(4, 2), 2)
    with pytest.raises(ValueError, match="upscale_factor must be a positive int"):
        F.pixel_shuffle(cr.randn(1, 4, 2, 2), 0)
    assert repr(nn.PixelShuffle(2)) == "PixelShuffle(upscale_factor=2)"
    assert repr(nn.PixelUnshuffle(3)) == "PixelUnshuffle(downscale_factor=3)"


@needs_torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("shape", "mode"), [((2, 3, 5), "linear"), ((2, 3, 4, 5), "bilinear"),
                                             ((1, 2, 3, 4, 3), "trilinear"),
                                             ((2, 2, 5, 6), "bicubic"), ((2, 3, 5), "nearest"),
                                             ((1, 2, 5, 6), "nearest")])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("kwargs", [{"scale_factor": 2}, {"scale_factor": 1.7},
                                    {"scale_factor": 0.6}, {"size": 7},
                                    {"scale_factor": 2.3, "recompute_scale_factor": True}])
def test_torch_parity(dtype, shape, mode, align_corners, kwargs):
    if mode == "nearest":
        align_corners = None  # nearest takes no align_corners (False raises too, in both)
    rng = np.random.default_rng(4)
    x = rng.standard_normal(shape).astype(dtype)
    ours, theirs = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y = F.interpolate(ours, mode=mode, align_corners=align_corners, **kwargs)
    ty = torch.nn.functional.interpolate(theirs, mode=mode, align_corners=align_corners,
                                         **kwargs)
    g = rng.standard_normal(ty.shape).astype(dtype)
    y.backward(cr.tensor(g))
    ty.backward(torch.tensor(g))
    tol = 1e-12 if dtype == np.float64 else 2e-5
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=tol, atol=tol)


@needs_torch
def test_pixel_shuffle_torch_parity_and_module_reprs():
    x = np.random.default_rng(5).standard_normal((2, 12, 3, 4))
    np.testing.assert_array_equal(F.pixel_shuffle(cr.tensor(x), 2).numpy(),
                                  torch.nn.functional.pixel_shuffle(torch.tensor(x), 2).numpy())
    np.testing.assert_array_equal(
        F.pixel_unshuffle(cr.tensor(x), 1).numpy(),
        torch.nn.functional.pixel_unshuffle(torch.tensor(x), 1).numpy())
    for ours, theirs in [(nn.UpsamplingNearest2d(size=4), torch.nn.UpsamplingNearest2d(size=4)),
                         (nn.UpsamplingBilinear2d(scale_factor=3),
                          torch.nn.UpsamplingBilinear2d(scale_factor=3))]:
        assert repr(ours) == repr(theirs)
        np.testing.assert_allclose(ours(cr.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy(),
                                   rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- the deprecated upsample names

UPSAMPLE_CALLS = [  # name, input shape, keyword arguments
    ("upsample", (2, 3, 5), {"scale_factor": 2}),
    ("upsample", (1, 2, 4, 5), {"size": (7, 3), "mode": "bilinear"}),
    ("upsample", (1, 2, 4, 5), {"scale_factor": 1.7, "mode": "bicubic", "align_corners": True}),
    ("upsample", (1, 2, 3, 4, 3), {"size": 5, "mode": "trilinear", "align_corners": False}),
    ("upsample_nearest", (2, 3, 4, 5), {"scale_factor": 3}),
    ("upsample_nearest", (1, 2, 3, 4, 2), {"size": (5, 3, 4)}),
    ("upsample_nearest", (2, 2, 5), {"size": 8}),
    ("upsample_bilinear", (2, 3, 4, 5), {"scale_factor": 2}),
    ("upsample_bilinear", (1, 2, 4, 5), {"size": (7, 3)}),
    ("upsample_bilinear", (1, 1, 3, 3), {"scale_factor": 1.5}),
]


def record_warnings(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    return result, [(w.category, str(w.message), w.filename) for w in caught]


@needs_torch
@pytest.mark.parametrize(("name", "shape", "kwargs"), UPSAMPLE_CALLS)
def test_upsample_aliases_match_torch_in_value_gradient_and_warning(name, shape, kwargs):
    rng = np.random.default_rng(6)
    x = rng.standard_normal(shape)
    ours, theirs = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, our_warnings = record_warnings(lambda: getattr(F, name)(ours, **kwargs))
    ty, their_warnings = record_warnings(
        lambda: getattr(torch.nn.functional, name)(theirs, **kwargs))
    assert our_warnings == their_warnings  # category, message, and this file as the place
    assert [w[0] for w in our_warnings] == [UserWarning] and __file__ == our_warnings[0][2]
    g = rng.standard_normal(tuple(ty.shape))
    y.backward(cr.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.filterwarnings("ignore:`nn.functional.upsample")
def test_upsample_bilinear_aligns_corners():
    x = cr.tensor([[[[0.0, 3.0], [6.0, 9.0]]]])
    y = F.upsample_bilinear(x, size=4)  # source positions o·(2 − 1)/(4 − 1): thirds
    np.testing.assert_allclose(y.numpy()[0, 0], np.add.outer([0, 2, 4, 6], [0, 1, 2, 3]),
                               rtol=1e-6)
    unaligned = F.upsample(x, size=4, mode="bilinear").numpy()[0, 0]
    assert unaligned[0, 1] == 0.75  # the default, align_corners=False: source (1.5)/2 − 0.5


@pytest.mark.filterwarnings("ignore:`nn.functional.upsample")
@pytest.mark.parametrize(("name", "shape", "kwargs"), UPSAMPLE_CALLS)
def test_upsample_aliases_gradcheck(name, shape, kwargs):
    x = cr.tensor(np.random.default_rng(7).standard_normal(shape), requires_grad=True)
    assert cr.gradcheck(lambda t: getattr(F, name)(t, **kwargs), (x,))


@pytest.mark.filterwarnings("ignore:`nn.functional.upsample")
def test_upsample_aliases_refuse_what_interpolate_refuses():
    x = cr.randn(1, 2, 3, 3)
    with pytest.raises(NotImplementedError, match="got 3-D input, but bilinear mode needs 4-D"):
        F.upsample_bilinear(x[0], scale_factor=2)
    with pytest.raises(ValueError, match="exactly one of size and scale_factor"):
        F.upsample_nearest(x)
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        F.upsample(x, scale_factor=2, align_corners=True)
    with pytest.raises(NotImplementedError, match="mode 'bogus'"):
        F.upsample(x, scale_factor=2, mode="bogus")
