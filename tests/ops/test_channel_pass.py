"""Batch norm's elementwise passes (``ops.channel_pass``) and its centred sums: the fast
path against the plain reference, and the float32 results against float64. Each offset is
run on both of batch norm's routes: uncentred (|μ| ≤ 4σ: offsets 0 and 3) and centred
(offset 10⁴).

The fast path runs the reference's ufuncs in the reference's order on the same values (only
the loop over memory differs), so the two agree bitwise, special values included. The sums
(``ops.norm.centered_sums``, ``channel_moments``) add in another order than NumPy's
reduction; each is held to the summation bound m·u·Σ|terms| against a float64 sum. The
whole float32 layer is compared with the same layer in float64: it is held to 1e-5 of the
float64 output's scale (the output is normalised: its scale is |γ| + |β|) and to 1e-4 of
the float64 gradients' scale (their largest magnitude), including a large offset
x = 1e4 + noise, where E[x²] − E[x]² would lose every digit of σ² in float32.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.ops import channel_pass
from chainrule.ops import norm as ops_norm
from chainrule.ops.channel_pass import (
    image_rows,
    input_grad,
    normalize_affine,
    scale_shift,
    weighted_sum,
)
from chainrule.ops.norm import BatchNorm, centered_sums, channel_moments, moments
from tests.layouts import channels_last

LAYOUTS = {"nchw": lambda x: x, "channels_last": channels_last}
SHAPES = [(8, 3, 5, 7), (1, 4, 3, 3), (5, 2, 9), (3, 3, 2, 3, 2), (2, 5, 1, 1)]


def data(shape, dtype, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def with_special_values(x: np.ndarray) -> np.ndarray:
    x = x.copy()
    x[(0,) * x.ndim] = np.nan
    x[(-1,) * x.ndim] = np.inf
    return x


def both_paths(monkeypatch, fn, *args):
    fast = fn(*args)
    monkeypatch.setattr(channel_pass, "FAST_CHANNEL_PASSES", False)
    reference = fn(*args)
    monkeypatch.setattr(channel_pass, "FAST_CHANNEL_PASSES", True)
    return fast, reference


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_passes_are_bitwise_the_reference(monkeypatch, layout, dtype, shape):
    x = LAYOUTS[layout](with_special_values(data(shape, dtype, 1) * 3 + 2))
    g = LAYOUTS[layout](data(shape, dtype, 2))
    mean, slope, mean_grad, scale = (data((shape[1],), dtype, k) for k in (3, 4, 5, 6))
    assert image_rows(x, g) is not None  # the fast path is taken
    monkeypatch.setattr(channel_pass, "PASS_BLOCK_BYTES", 1)  # one image per block
    with np.errstate(invalid="ignore"):
        for fast, reference in (both_paths(monkeypatch, normalize_affine, x, mean, slope, scale),
                                both_paths(monkeypatch, scale_shift, x, slope, scale),
                                both_paths(monkeypatch, weighted_sum, x, slope, g, scale, mean),
                                both_paths(monkeypatch, input_grad, x, mean, g, slope,
                                           mean_grad, scale)):
            np.testing.assert_array_equal(fast, reference)
            assert fast.dtype == dtype and fast.strides == x.strides  # x's layout is kept
            assert np.isnan(fast[(0,) * x.ndim])


def test_mixed_or_strided_layouts_take_the_reference():
    x = data((4, 3, 5, 5), np.float32)
    assert image_rows(x, channels_last(x)) is None
    assert image_rows(x[..., ::2]) is None
    assert image_rows(x.astype(np.float16)) is None
    assert image_rows(x[:, :, 0, 0]) is None  # (N, C): NumPy's broadcast is one loop already
    rows = image_rows(channels_last(x))[0]
    np.testing.assert_array_equal(rows[1, :3], x[1, :, 0, 0])  # channels vary fastest


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("offset, uncentred", [(0.0, True), (3.0, True), (1e4, False)])
def test_centered_sums_within_the_summation_bound(monkeypatch, layout, offset, uncentred):
    x = LAYOUTS[layout](data((9, 4, 7, 5), np.float32, 7) + np.float32(offset))
    g = LAYOUTS[layout](data((9, 4, 7, 5), np.float32, 8))
    mean, var = channel_moments(x)
    inv_std = 1.0 / np.sqrt(var + np.float32(1e-5))
    assert ops_norm.small_offsets(mean, 1.0 / np.square(inv_std)) == uncentred
    monkeypatch.setattr(channel_pass, "PASS_BLOCK_BYTES", 3 * x[0].nbytes)  # uneven blocks
    sums = centered_sums(x, mean, inv_std, g)
    centered = x.astype(np.float64) - mean.astype(np.float64)
    u, m = np.finfo(np.float32).eps / 2, x.size // x.shape[1]
    # the uncentred route sums G ⊙ X and μ·Σ G: its bound has the term 2|μ|·Σ|G| more
    offsets = 2 * np.abs(mean.reshape(-1)) * np.abs(g).sum(axis=(0, 2, 3)) if uncentred else 0
    for got, terms, extra in zip(sums, (g.astype(np.float64), g * centered), (0, offsets)):
        exact = terms.sum(axis=(0, 2, 3))
        bound = m * u * (np.abs(terms).sum(axis=(0, 2, 3)) + extra)
        assert got.dtype == np.float32 and np.all(np.abs(got - exact) <= bound)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("offset", [0.0, 3.0, 1e4])
def test_channel_moments_against_float64(layout, offset):
    x = LAYOUTS[layout](data((9, 4, 7, 5), np.float32, 17) * 2 + np.float32(offset))
    x[:, 1] = np.float32(offset + 0.25)  # a constant channel: variance 0
    mean, var = channel_moments(x)
    exact_mean, exact_var = moments(x.astype(np.float64), (0, 2, 3))
    u, m = np.finfo(np.float32).eps / 2, x.size // x.shape[1]
    squares = np.square(x.astype(np.float64)).mean(axis=(0, 2, 3), keepdims=True)
    # float32: μ to m·u·mean|X|; σ² to m·u·(E[X²] + μ²) on the uncentred route, less on the
    # centred one (taken at offset 10⁴, where this bound would be useless)
    assert np.all(np.abs(mean - exact_mean) <= m * u * np.abs(x).mean(axis=(0, 2, 3),
                                                                         keepdims=True))
    bound = m * u * (squares + np.square(exact_mean)) if offset < 1e3 else 1e-3 * exact_var
    assert np.all(np.abs(var - exact_var) <= bound + 1e-30)


def layer(x, g, weight, bias):
    xt = cr.from_numpy(x).requires_grad_()
    wt, bt = cr.from_numpy(weight).requires_grad_(), cr.from_numpy(bias).requires_grad_()
    y = BatchNorm.apply(xt, wt, bt, eps=1e-5)
    y.backward(cr.from_numpy(g))
    return y.data, xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("offset, constant, uncentred", [
    (0.0, False, True), (3.0, False, True), (8.0, False, True), (0.0, True, False),
    (1e4, False, False),
    (1e4, True, False)])
@pytest.mark.parametrize("shape", [(16, 3, 6, 5), (1, 2, 7, 3)])
def test_float32_layer_is_close_to_float64(layout, offset, constant, uncentred, shape):
    channels = shape[1]
    x = data(shape, np.float32, 9) + np.float32(offset)
    if constant:
        x[:, 0] = np.float32(offset + 0.5)  # a constant channel: variance 0, |μ|·s large
    mean, var = channel_moments(x)
    assert ops_norm.small_offsets(mean, var + np.float32(1e-5)) == uncentred
    g = data(shape, np.float32, 10)
    weight, bias = data((channels,), np.float32, 11), data((channels,), np.float32, 12)
    inputs = [LAYOUTS[layout](x), LAYOUTS[layout](g), weight, bias]
    got = layer(*inputs)
    exact = layer(*(a.astype(np.float64) for a in inputs))  # the same values, in float64
    # float32 holds μ and X − μ to u·|μ| (u = 6e-8): relative to σ = 1, u·offset
    slack = 1e-6 * offset
    out_scale = np.abs(weight).max() + np.abs(bias).max()
    np.testing.assert_allclose(got[0], exact[0], rtol=0, atol=(1e-5 + slack) * out_scale)
    for a, b in zip(got[1:], exact[1:]):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=0, atol=(1e-4 + slack) * np.abs(b).max())


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_float64_layer_fast_and_reference_agree_to_1e12(monkeypatch, layout):
    x = LAYOUTS[layout](data((6, 3, 5, 4), np.float64, 13) * 2 + 1)
    g = LAYOUTS[layout](data((6, 3, 5, 4), np.float64, 14))
    weight, bias = data((3,), np.float64, 15), data((3,), np.float64, 16)
    fast = layer(x, g, weight, bias)
    monkeypatch.setattr(channel_pass, "FAST_CHANNEL_PASSES", False)
    monkeypatch.setattr(ops_norm, "FAST_CHANNEL_STATS", False)
    reference = layer(x, g, weight, bias)
    for a, b in zip(fast, reference):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12 * np.abs(b).max())


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_forward_outputs_are_reused_only_once_nothing_refers_to_them(monkeypatch, layout):
    monkeypatch.setattr(channel_pass, "REUSE_BYTES", 0)
    x = LAYOUTS[layout](data((4, 3, 5, 5), np.float32, 18))
    g = LAYOUTS[layout](data((4, 3, 5, 5), np.float32, 19))
    weight, bias = data((3,), np.float32, 20), data((3,), np.float32, 21)
    first = layer(x, g, weight, bias)
    kept = [a.copy() for a in first]
    second = layer(x * 2, g * 3, weight, bias)  # the first results are alive: not reused
    for a, b in zip(first, kept):
        np.testing.assert_array_equal(a, b)
    assert not np.shares_memory(first[0], second[0])
    assert not np.shares_memory(first[1], second[1])
    def address(a):
        return a.__array_interface__["data"][0]

    earlier = {address(first[0]), address(second[0])}
    del first, second
    third = layer(x, g, weight, bias)
    assert address(third[0]) in earlier  # an earlier output's pages are used again
    for a, b in zip(third, kept):
        np.testing.assert_array_equal(a, b)
    assert third[0].strides == x.strides and third[1].strides == x.strides


def test_variance_is_centred_beyond_four_sigma_while_the_maps_stay_folded():
    x = data((64, 2, 16, 16), np.float32, 22) + np.float32(8)  # |μ| = 8σ: between the limits
    mean, var = channel_moments(x)
    exact = x.astype(np.float64).var(axis=(0, 2, 3))
    assert not ops_norm.small_offsets(mean, var, ops_norm.VARIANCE_OFFSET_LIMIT)
    assert ops_norm.small_offsets(mean, var)  # |μ| ≤ 16σ: the linear maps are folded
    # the centred two-pass variance: within a few units of float32's roundoff per term
    assert np.all(np.abs(var.reshape(-1) - exact) <= 2e-6 * exact)
