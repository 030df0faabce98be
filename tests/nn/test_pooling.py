"""Pooling and upsampling: shapes, loop references, gradients, ties, PyTorch parity, errors.

References are independent of the code under test: NumPy loops over output pixels written
here, composites of chainrule primitives (reshape + amax/mean), PyTorch where installed,
and PyTorch's documented output-size formulas.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.nn import functional as F


def pair(v):
    return v if isinstance(v, tuple) else (v, v)


def out_size(size, k, s, p, d, ceil_mode):
    """PyTorch's pooling formula (docs of MaxPool2d), with its ceil_mode correction."""
    span = (size + 2 * p - d * (k - 1) - 1) / s
    out = (math.ceil(span) if ceil_mode else math.floor(span)) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def loop_max_pool2d(x, kernel, stride, padding, dilation, ceil_mode):
    """(values, flat argmax h·W + w) by the definition; the first maximum wins ties."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = map(pair, (kernel, stride, padding, dilation))
    n, c, h, w = x.shape
    ho, wo = out_size(h, kh, sh, ph, dh, ceil_mode), out_size(w, kw, sw, pw, dw, ceil_mode)
    y, where = np.full((n, c, ho, wo), -np.inf), np.zeros((n, c, ho, wo), dtype=np.int64)
    for i in range(ho):
        for j in range(wo):
            for a in range(kh):
                for b in range(kw):
                    r, q = i * sh - ph + a * dh, j * sw - pw + b * dw
                    if 0 <= r < h and 0 <= q < w:
                        better = x[:, :, r, q] > y[:, :, i, j]
                        y[:, :, i, j] = np.where(better, x[:, :, r, q], y[:, :, i, j])
                        where[:, :, i, j] = np.where(better, r * w + q, where[:, :, i, j])
    return y, where


def loop_avg_pool2d(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor=None):
    (kh, kw), (sh, sw), (ph, pw) = map(pair, (kernel, stride, padding))
    n, c, h, w = x.shape
    ho, wo = out_size(h, kh, sh, ph, 1, ceil_mode), out_size(w, kw, sw, pw, 1, ceil_mode)
    y = np.zeros((n, c, ho, wo))
    for i in range(ho):
        for j in range(wo):
            r0, q0 = i * sh - ph, j * sw - pw
            r1, q1 = min(r0 + kh, h + ph), min(q0 + kw, w + pw)  # window within the padding
            size = (r1 - r0) * (q1 - q0)
            r0, q0, r1, q1 = max(r0, 0), max(q0, 0), min(r1, h), min(q1, w)
            count = size if count_include_pad else (r1 - r0) * (q1 - q0)
            y[:, :, i, j] = x[:, :, r0:r1, q0:q1].sum(axis=(2, 3)) / (divisor or count)
    return y


def loop_adaptive(x, out, reduce):
    n, c, h, w = x.shape
    y = np.zeros((n, c, *out))
    for i in range(out[0]):
        for j in range(out[1]):
            r0, r1 = i * h // out[0], -(-(i + 1) * h // out[0])
            q0, q1 = j * w // out[1], -(-(j + 1) * w // out[1])
            y[:, :, i, j] = reduce(x[:, :, r0:r1, q0:q1], axis=(2, 3))
    return y


MAX_CASES = [  # kernel, stride, padding, dilation, ceil_mode
    (2, None, 0, 1, False), (3, 2, 1, 1, False), (3, 2, 1, 1, True), (3, 1, 1, 2, False),
    ((2, 3), (2, 1), (1, 1), 1, True), (3, 3, 0, 1, True), (2, 1, 0, 1, False),
]
AVG_CASES = [  # kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
    (2, None, 0, False, True, None), (3, 2, 1, False, True, None), (3, 2, 1, True, False, None),
    (3, 2, 1, True, True, None), ((2, 3), (2, 1), (1, 1), True, False, None),
    (3, 2, 1, False, True, 5), (2, 1, 0, False, True, None),
]


@pytest.mark.parametrize("kernel, stride, padding, dilation, ceil_mode", MAX_CASES)
def test_max_pool2d_values_indices_and_gradcheck(kernel, stride, padding, dilation, ceil_mode):
    rng = np.random.default_rng(0)
    x = cr.tensor(rng.standard_normal((2, 3, 9, 10)), requires_grad=True)
    y, indices = F.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode, True)
    expected, where = loop_max_pool2d(x.data, kernel, stride or kernel, padding, dilation,
                                      ceil_mode)
    np.testing.assert_array_equal(y.detach().numpy(), expected)
    np.testing.assert_array_equal(indices.numpy(), where)
    small = cr.tensor(rng.standard_normal((1, 2, 7, 6)), requires_grad=True)
    assert cr.gradcheck(lambda t: F.max_pool2d(t, kernel, stride, padding, dilation, ceil_mode),
                        (small,))


@pytest.mark.parametrize("kernel, stride, padding, ceil_mode, include, divisor", AVG_CASES)
def test_avg_pool2d_values_and_gradcheck(kernel, stride, padding, ceil_mode, include, divisor):
    rng = np.random.default_rng(1)
    x = cr.tensor(rng.standard_normal((2, 3, 9, 10)))
    y = F.avg_pool2d(x, kernel, stride, padding, ceil_mode, include, divisor)
    np.testing.assert_allclose(y.numpy(), loop_avg_pool2d(x.data, kernel, stride or kernel,
                                                          padding, ceil_mode, include, divisor),
                               rtol=1e-12, atol=1e-15)
    small = cr.tensor(rng.standard_normal((1, 2, 7, 6)), requires_grad=True)
    assert cr.gradcheck(lambda t: F.avg_pool2d(t, kernel, stride, padding, ceil_mode, include,
                                               divisor), (small,))


@pytest.mark.parametrize("out", [(3, 4), (1, 1), (9, 10), (5, 3), (12, 13), (3, 5)])
def test_adaptive_pools_values_and_gradcheck(out):
    rng = np.random.default_rng(2)
    x = cr.tensor(rng.standard_normal((2, 3, 9, 10)))
    np.testing.assert_allclose(F.adaptive_avg_pool2d(x, out).numpy(),
                               loop_adaptive(x.data, out, np.mean), rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(F.adaptive_max_pool2d(x, out).numpy(),
                                  loop_adaptive(x.data, out, np.max))
    small = cr.tensor(rng.standard_normal((1, 2, 5, 7)), requires_grad=True)
    shrunk = (min(out[0], 6), min(out[1], 9))
    assert cr.gradcheck(lambda t: F.adaptive_avg_pool2d(t, shrunk), (small,))
    assert cr.gradcheck(lambda t: F.adaptive_max_pool2d(t, shrunk), (small,))


def test_fused_pools_match_their_composites_in_value_and_gradient():
    """For stride = kernel, max/avg pooling is reshape → amax/mean (no ties in random data)."""
    rng = np.random.default_rng(3)
    data, upstream = rng.standard_normal((2, 3, 8, 6)), rng.standard_normal((2, 3, 4, 2))
    pools = [(lambda t: F.max_pool2d(t, (2, 3)),
              lambda t: t.reshape(2, 3, 4, 2, 2, 3).amax(dim=(3, 5))),
             (lambda t: F.avg_pool2d(t, (2, 3)),
              lambda t: t.reshape(2, 3, 4, 2, 2, 3).mean(dim=(3, 5)))]
    for fused, composite in pools:
        results = []
        for fn in (fused, composite):
            x = cr.tensor(data, requires_grad=True)
            y = fn(x)
            y.backward(upstream)
            results.append((y.detach().numpy(), x.grad.numpy()))
        for a, b in zip(*results):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_max_pool_ties_send_the_gradient_to_the_first_maximum():
    x = cr.tensor([[[[1.0, 1.0, 0.0], [1.0, 0.0, 2.0], [2.0, 2.0, 2.0]]]], requires_grad=True)
    F.max_pool2d(x, 2, stride=1).sum().backward()  # windows overlap; all have ties
    expected = [[[[1.0, 0.0, 0.0], [0.0, 0.0, 2.0], [1.0, 0.0, 0.0]]]]
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_unbatched_1d_and_channels_last_inputs():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 8, 8))
    for fn in (lambda t: F.max_pool2d(t, 3, 2, 1), lambda t: F.avg_pool2d(t, 2),
               lambda t: F.adaptive_avg_pool2d(t, 3), lambda t: F.adaptive_max_pool2d(t, 3)):
        np.testing.assert_array_equal(fn(cr.tensor(x)).numpy(),
                                      fn(cr.tensor(x[None])).numpy()[0])
        channels_last = np.ascontiguousarray(x[None].transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
        np.testing.assert_array_equal(fn(cr.tensor(channels_last)).numpy(),
                                      fn(cr.tensor(x[None])).numpy())
    seq = cr.tensor(rng.standard_normal((2, 3, 11)), requires_grad=True)
    assert F.max_pool1d(seq, 3, 2, 1, ceil_mode=True).shape == (2, 3, 6)
    assert F.avg_pool1d(seq, 4).shape == (2, 3, 2)
    assert F.adaptive_avg_pool1d(seq[0], 4).shape == (3, 4)
    for fn in (lambda t: F.max_pool1d(t, 3, 2, 1), lambda t: F.avg_pool1d(t, 3, 2, 1, True, False),
               lambda t: F.adaptive_avg_pool1d(t, 4)):
        assert cr.gradcheck(fn, (seq,))


def test_float32_stays_float32():
    x = cr.randn(2, 3, 8, 8, requires_grad=True)
    for fn in (lambda t: F.max_pool2d(t, 2), lambda t: F.avg_pool2d(t, 3, 2, 1),
               lambda t: F.adaptive_avg_pool2d(t, 3), lambda t: F.adaptive_max_pool2d(t, 3),
               lambda t: F.interpolate(t, scale_factor=1.5)):
        x.grad = None
        y = fn(x)
        y.sum().backward()
        assert y.dtype == x.grad.dtype == cr.float32


@pytest.mark.parametrize("kwargs", [{"scale_factor": 2}, {"size": (5, 7)},
                                    {"scale_factor": 1.7}, {"scale_factor": (0.5, 2.5)}])
def test_interpolate_nearest_value_and_gradcheck(kwargs):
    rng = np.random.default_rng(5)
    x = cr.tensor(rng.standard_normal((1, 2, 4, 6)), requires_grad=True)
    y = F.interpolate(x, **kwargs)
    rows = [min(int(i / (y.shape[2] / 4)), 3) for i in range(y.shape[2])] \
        if "size" in kwargs else None
    if rows is not None:
        cols = [min(int(j * 6 / y.shape[3]), 5) for j in range(y.shape[3])]
        np.testing.assert_array_equal(y.detach().numpy(), x.data[:, :, rows][:, :, :, cols])
    assert cr.gradcheck(lambda t: F.interpolate(t, **kwargs), (x,))
    up = nn.Upsample(scale_factor=2)
    np.testing.assert_array_equal(up(x).detach().numpy(),
                                  x.data.repeat(2, axis=2).repeat(2, axis=3))


def test_errors_name_the_problem():
    x = cr.randn(1, 2, 6, 6)
    with pytest.raises(ValueError, match="at most half"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="at most half"):
        F.avg_pool2d(x, 3, padding=2)
    with pytest.raises(ValueError, match="too small"):
        F.max_pool2d(cr.randn(1, 1, 2, 2), 3)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\).*\(2, 6\)"):
        F.max_pool2d(cr.randn(2, 6), 2)
    with pytest.raises(ValueError, match=r"\(N, C, L\)"):
        F.avg_pool1d(cr.randn(1, 1, 2, 6), 2)
    with pytest.raises(NotImplementedError, match="bilinear"):
        F.interpolate(x[0], scale_factor=2, mode="bilinear")
    with pytest.raises(ValueError, match="exactly one"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="output_size"):
        F.adaptive_avg_pool2d(x, (2, 2, 2))


def test_module_settings_and_repr():
    assert nn.MaxPool2d(2).stride == 2
    assert repr(nn.MaxPool2d(3, 2, 1)) == \
        "MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)"
    assert repr(nn.AdaptiveAvgPool2d((2, 3))) == "AdaptiveAvgPool2d(output_size=(2, 3))"
    y, indices = nn.MaxPool2d(2, return_indices=True)(cr.randn(1, 1, 4, 4))
    assert indices.dtype == cr.int64 and y.shape == indices.shape == (1, 1, 2, 2)
    assert nn.AdaptiveMaxPool2d(2)(cr.randn(1, 1, 5, 5)).shape == (1, 1, 2, 2)
    assert list(nn.Upsample(size=3).parameters()) == []


# ------------------------------------------------------------------ PyTorch parity

LAYERS = [
    ("MaxPool2d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True}, (2, 3, 9, 10)),
    ("MaxPool2d", ((2, 3),), {"stride": (1, 2), "dilation": (2, 1)}, (2, 3, 9, 10)),
    ("MaxPool2d", (2,), {}, (2, 3, 8, 8)),
    ("MaxPool1d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True}, (2, 3, 10)),
    ("AvgPool2d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True,
                         "count_include_pad": False}, (2, 3, 9, 10)),
    ("AvgPool2d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True}, (2, 3, 10, 9)),
    ("AvgPool2d", ((2, 4),), {"divisor_override": 3}, (2, 3, 8, 8)),
    ("AvgPool1d", (4,), {"stride": 3, "padding": 2, "count_include_pad": False}, (2, 3, 11)),
    ("AdaptiveAvgPool2d", ((4, None),), {}, (2, 3, 9, 7)),
    ("AdaptiveAvgPool2d", (1,), {}, (2, 3, 5, 5)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 10)),
    ("AdaptiveMaxPool2d", ((3, 5),), {}, (2, 3, 7, 11)),
    ("Upsample", (), {"scale_factor": 1.7}, (2, 3, 5, 4)),
    ("Upsample", (), {"size": (7, 3)}, (2, 3, 5, 4)),
    ("Upsample", (), {"scale_factor": 3}, (2, 3, 4)),
    ("Upsample", (), {"scale_factor": (2.5, 1.5), "recompute_scale_factor": True},
     (1, 2, 3, 5)),
]


@pytest.mark.parametrize("name, args, kwargs, shape", LAYERS)
@pytest.mark.parametrize("ties", [False, True])
def test_layers_match_pytorch(name, args, kwargs, shape, ties):
    """Outputs and input gradients in float64; with ``ties`` the input holds few distinct
    values (and ReLU-like zeros), so windows contain equal maxima."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    data = rng.integers(-1, 3, shape).clip(0).astype(float) if ties else \
        rng.standard_normal(shape)
    x, tx = cr.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, ty = getattr(nn, name)(*args, **kwargs)(x), getattr(torch.nn, name)(*args, **kwargs)(tx)
    assert y.shape == tuple(ty.shape)
    upstream = rng.standard_normal(y.shape)
    y.backward(upstream)
    ty.backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("fn, args", [("max_pool2d", (3, 2, 1, 1, True)),
                                      ("max_pool2d", (2, 1, 0, 2, False)),
                                      ("max_pool1d", (3, 2, 1, 1, True)),
                                      ("adaptive_max_pool2d", ((3, 4),))])
def test_return_indices_match_pytorch_with_ties(fn, args):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    shape = (2, 3, 11) if fn == "max_pool1d" else (2, 3, 9, 10)
    data = rng.integers(0, 3, shape).astype(float)
    _, indices = getattr(F, fn)(cr.tensor(data), *args, return_indices=True)
    _, expected = getattr(torch.nn.functional, fn)(torch.tensor(data), *args,
                                                   return_indices=True)
    np.testing.assert_array_equal(indices.numpy(), expected.numpy())
