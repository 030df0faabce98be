"""The stride-1 direct path of ``DepthwiseConv2d`` (``ops/depthwise.py``) against the general
offset-by-offset path (``DIRECT_DEPTHWISE = False``), a float64 gradient check, and PyTorch.

The direct path has two routes. The banded one (GEMMs over tiles of the image rows) adds the
same products as the general path in another order, zero products included, so it agrees to
rounding: for a sum of n products, each computation is within γ_n·Σ|products| of the exact
value (γ_n ≈ n·ε/2), so the two differ by at most n·ε·Σ|products|; the tests allow twice that,
with Σ|products| computed by the general path on |x|, |W| and |G|. A wrong tap or a misplaced
tile would be off by the size of the products themselves. The plain route (taken for
non-finite values, and everywhere with ``BANDED = False``) multiplies and adds offset by offset
in scan order as the general path does: the output agrees bit for bit, and so does the input
gradient for one output channel per input channel (with a multiplier m > 1 the direct path
sums the m copies after the offsets, the general path before).
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.ops import conv as ops_conv
from chainrule.ops import depthwise
from chainrule.ops.conv import DepthwiseConv2d
from tests.optional import needs_torch, torch
from tests.tolerance import assert_layer_matches_torch

# (N, C, H, W, multiplier, kernel, padding (top, bottom, left, right), dilation)
CASES = [
    (2, 3, 7, 6, 1, (3, 3), (1, 1, 1, 1), (1, 1)),
    (3, 4, 5, 5, 2, (3, 3), (0, 0, 0, 0), (1, 1)),
    (1, 2, 9, 8, 1, (3, 2), (2, 1, 0, 3), (2, 1)),
    (2, 5, 4, 4, 3, (1, 1), (0, 0, 0, 0), (1, 1)),
    (2, 2, 6, 7, 1, (5, 5), (2, 2, 2, 2), (1, 1)),
    (2, 3, 11, 13, 1, (3, 3), (0, 0, 0, 0), (1, 1)),  # odd sizes, no padding
    (2, 3, 5, 41, 1, (3, 3), (1, 1, 1, 1), (1, 1)),  # three tiles per row
    (1, 2, 6, 37, 2, (5, 5), (2, 2, 2, 2), (2, 2)),  # tiles, dilation, multiplier
    (1, 2, 5, 40, 1, (3, 7), (1, 1, 9, 9), (1, 3)),  # a halo wider than a tile
]


def run(x, weight, bias, g, padding, dilation, stride=(1, 1)):
    xt = cr.from_numpy(x).requires_grad_()
    wt = cr.from_numpy(weight).requires_grad_()
    inputs = (xt, wt) if bias is None else (xt, wt, cr.from_numpy(bias).requires_grad_())
    y = DepthwiseConv2d.apply(*inputs, stride=stride, padding=padding, dilation=dilation)
    y.backward(cr.from_numpy(g))
    return [y.data] + [t.grad.numpy() for t in inputs]


def case_arrays(case, dtype, bias=True):
    n, c, h, w, mult, kernel, padding, dilation = case
    rng = np.random.default_rng(sum(case[:5]))
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    weight = rng.standard_normal((c * mult, 1, *kernel)).astype(dtype)
    ho = h + padding[0] + padding[1] - dilation[0] * (kernel[0] - 1)
    wo = w + padding[2] + padding[3] - dilation[1] * (kernel[1] - 1)
    g = rng.standard_normal((n, c * mult, ho, wo)).astype(dtype)
    b = rng.standard_normal(c * mult).astype(dtype) if bias else None
    return x, weight, b, g, padding, dilation


def general(monkeypatch, *arrays):
    with monkeypatch.context() as patch:
        patch.setattr(ops_conv, "DIRECT_DEPTHWISE", False)
        return run(*arrays)


def assert_within_rounding(got, want, scale, terms):
    """|got − want| ≤ 2·n·ε·Σ|products| (see the module docstring)."""
    bound = 2 * terms * np.finfo(want.dtype).eps * scale
    assert got.dtype == want.dtype and got.shape == want.shape
    assert np.all(np.abs(got.astype(np.float64) - want) <= bound), \
        np.max(np.abs(got.astype(np.float64) - want) - bound)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bias", [True, False])
def test_banded_route_matches_the_general_path(monkeypatch, case, dtype, bias):
    x, weight, b, g, padding, dilation = arrays = case_arrays(case, dtype, bias)
    direct = run(*arrays)
    want = general(monkeypatch, *arrays)
    absolute = [abs(a) if a is not None else None for a in (x, weight, b, g)]
    scale = general(monkeypatch, *absolute, padding, dilation)  # Σ|products| of each result
    n, _, _, _, mult, kernel, _, _ = case
    taps, pixels = kernel[0] * kernel[1], n * g.shape[2] * g.shape[3]
    for got, expected, size, terms in zip(direct, want, scale,
                                          [taps + 1, taps * mult, pixels, pixels]):
        assert_within_rounding(got, expected, size, terms)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_plain_route_matches_the_general_path(monkeypatch, case, dtype):
    arrays = case_arrays(case, dtype)
    monkeypatch.setattr(depthwise, "BANDED", False)
    direct = run(*arrays)
    want = general(monkeypatch, *arrays)
    np.testing.assert_array_equal(direct[0], want[0])  # output
    if case[4] == 1:
        np.testing.assert_array_equal(direct[1], want[1])
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for got, expected in zip(direct[1:], want[1:]):
        np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)


def test_direct_path_is_taken_for_stride_one_only(monkeypatch):
    calls = []
    monkeypatch.setattr(ops_conv, "direct_forward",
                        lambda *a: calls.append(1) or np.zeros((1, 2, 3, 3), np.float32))
    x, w = cr.zeros(1, 2, 5, 5), cr.zeros(2, 1, 3, 3)
    DepthwiseConv2d.apply(x, w, stride=(2, 2), padding=(0, 0, 0, 0), dilation=(1, 1))
    assert calls == []
    DepthwiseConv2d.apply(x, w, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1))
    assert calls == [1]


def same_special_values(got, want):
    """NaN and ±inf in the same places, finite values within float32 rounding."""
    np.testing.assert_array_equal(np.isfinite(got), np.isfinite(want))
    np.testing.assert_array_equal(got[~np.isfinite(got)], want[~np.isfinite(want)])
    np.testing.assert_allclose(got[np.isfinite(got)], want[np.isfinite(want)], rtol=1e-4,
                               atol=1e-4)


@pytest.mark.parametrize("case", [CASES[0], CASES[6]])
@pytest.mark.parametrize("where", ["input", "weight", "upstream"])
def test_special_values_reach_the_same_outputs_as_the_general_path(monkeypatch, case, where):
    """A zero times an infinity is NaN: the banded route would spread a non-finite value over
    its whole tile row; the plain route takes over and keeps it where it belongs."""
    x, weight, b, g, padding, dilation = case_arrays(case, np.float32)
    if where == "input":
        x[0, 0, 0, 0], x[1, 2, 3, 3] = np.nan, np.inf
    elif where == "weight":
        weight[1, 0, 1, 1] = -np.inf
    else:
        g[0, 1, 2, 2], g[1, 0, 0, 0] = np.inf, np.nan
    with np.errstate(invalid="ignore", over="ignore"):
        direct = run(x, weight, b, g, padding, dilation)
        want = general(monkeypatch, x, weight, b, g, padding, dilation)
    for got, expected in zip(direct, want):  # output, input, weight and bias gradients
        same_special_values(got, expected)
    reached = {"input": (0, 2), "weight": (0, 1), "upstream": (1, 2)}[where]
    assert not any(np.all(np.isfinite(direct[i])) for i in reached)


def test_direct_path_is_deterministic():
    arrays = case_arrays(CASES[1], np.float32)
    first, second = run(*arrays), run(*arrays)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("layout", ["channels_last", "sliced"])
def test_non_contiguous_input(monkeypatch, layout):
    x, weight, b, g, padding, dilation = case_arrays(CASES[6], np.float32)
    if layout == "channels_last":  # an NCHW view of NHWC memory, as convolutions return
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    else:
        x = np.repeat(x, 2, axis=3)[..., ::2]
    assert not x.flags.c_contiguous
    direct = run(x, weight, b, g, padding, dilation)
    want = general(monkeypatch, x, weight, b, g, padding, dilation)
    for got, expected in zip(direct, want):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


def test_reused_buffers_keep_graphs_and_paddings_apart(monkeypatch):
    """The canvases are reused from call to call: two graphs alive at once, and a padding that
    leaves other rows zero on a canvas of the same shape, still give the general path's
    results."""
    rng = np.random.default_rng(3)
    weight = rng.standard_normal((3, 1, 3, 3)).astype(np.float32)
    cases = [(rng.standard_normal((2, 3, 14, 9)).astype(np.float32), (1, 1, 1, 1)),
             (rng.standard_normal((2, 3, 15, 9)).astype(np.float32), (0, 1, 1, 1)),
             (rng.standard_normal((2, 3, 15, 9)).astype(np.float32), (1, 0, 1, 1))]
    graphs = []
    for x, padding in cases:  # same canvas shape (16 padded rows); all alive at once
        xt = cr.from_numpy(x).requires_grad_()
        wt = cr.from_numpy(weight).requires_grad_()
        y = DepthwiseConv2d.apply(xt, wt, stride=(1, 1), padding=padding, dilation=(1, 1))
        graphs.append((x, padding, xt, wt, y))
    for x, padding, xt, wt, y in graphs:
        g = np.ones(y.shape, np.float32)
        y.backward(cr.from_numpy(g))
        want = general(monkeypatch, x, weight, None, g, padding, (1, 1))
        for got, expected in zip([y.data, xt.grad.numpy(), wt.grad.numpy()], want):
            np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", CASES)
def test_canvas_holds_the_padded_input(case):
    x, weight, _, _, padding, dilation = case_arrays(case, np.float64)
    x = np.repeat(x, case[4], axis=1)
    hp, wp, ho, wo, geometry = depthwise.flat_geometry(x.shape, weight.shape[2:], padding,
                                                       dilation)
    canvas = depthwise.flat_padded(x, padding, hp, wp, wp - wo)
    top, bottom, left, right = padding
    padded = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right))).transpose(1, 0, 2, 3)
    np.testing.assert_array_equal(depthwise.untiled(canvas, geometry), padded)
    assert wp >= geometry.wpad and geometry.tile.width * geometry.tile.tiles == wp


@pytest.mark.parametrize("case", [CASES[0], CASES[6], CASES[8]])
def test_direct_path_gradcheck_float64(case):
    x, weight, b, _, padding, dilation = case_arrays(case, np.float64)
    inputs = [cr.tensor(a, requires_grad=True) for a in (x, weight, b)]
    assert cr.gradcheck(lambda x, w, b: DepthwiseConv2d.apply(
        x, w, b, stride=(1, 1), padding=padding, dilation=dilation), inputs)


@needs_torch
@pytest.mark.parametrize("mult, padding, dilation, stride, size",
                         [(1, 1, 1, 1, (11, 10)), (2, 2, 2, 1, (11, 10)),
                          (1, "same", 1, 1, (11, 10)), (1, 1, 1, 1, (9, 45)),
                          (1, 1, 1, 2, (11, 10)), (2, 0, 1, 2, (9, 45))])
def test_depthwise_conv2d_matches_torch(mult, padding, dilation, stride, size):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 6, *size)).astype(np.float32)
    ours = cr.nn.Conv2d(6, 6 * mult, 3, padding=padding, dilation=dilation, groups=6,
                        stride=stride)
    theirs = torch.nn.Conv2d(6, 6 * mult, 3, padding=padding, dilation=dilation, groups=6,
                             stride=stride)
    assert_layer_matches_torch(ours, theirs, x, rng, 1e-5, (1e-4, 1e-4), torch)
