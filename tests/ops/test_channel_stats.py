"""The fast paths of batch norm and pooling against their plain references.

``ops.norm.channel_sums`` / ``channel_dots`` / ``channel_moments`` (BLAS products over the
array's own memory) against NumPy's reductions; the ``BatchNorm`` Function with the fast
path on and off, in both memory layouts; ``MaxPool2d``'s backward with an upstream gradient
in the other memory layout than its input (``ops.im2col.in_layout_of``).

Bound: a sum of m terms in any order differs from the exact sum by at most
m·u·Σ|terms| (u the unit roundoff; m, not m − 1,
for the rounding of each product); the fast path and the reference are each held to
that bound against a float64 sum, and, on random data, to rtol 1e-5 (float32) of each other.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.ops import norm as ops_norm
from chainrule.ops.im2col import in_layout_of, is_channels_last
from chainrule.ops.norm import (
    BatchNorm,
    channel_dots,
    channel_dots_reference,
    channel_moments,
    channel_sums,
    channel_sums_reference,
    moments,
)
from chainrule.ops.pool import MaxPool2d
from tests.layouts import channels_last
from tests.optional import needs_torch, torch

LAYOUTS = {
    "nchw": lambda x: x,
    "channels_last": channels_last,
    "strided": lambda x: np.repeat(x, 2, axis=-1)[..., ::2],  # neither: the reference runs
}


def data(shape, dtype, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def within_summation_bound(result, a, b, dtype):
    terms = (a.astype(np.float64) * b.astype(np.float64))
    axes = (0,) + tuple(range(2, a.ndim))
    exact, size = terms.sum(axis=axes), terms.size // terms.shape[1]
    bound = size * np.finfo(dtype).eps / 2 * np.abs(terms).sum(axis=axes)
    assert np.all(np.abs(result.astype(np.float64) - exact) <= bound + 1e-300)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(8, 3, 5, 7), (4, 6, 9), (1, 2, 1, 1), (16, 4, 3, 3, 2)])
def test_channel_sums_and_dots_match_the_reference(layout, dtype, shape):
    a = LAYOUTS[layout](data(shape, dtype, 1))
    b = LAYOUTS[layout](data(shape, dtype, 2))
    for fast, reference, args in ((channel_sums, channel_sums_reference, (a,)),
                                  (channel_dots, channel_dots_reference, (a, b))):
        got, want = fast(*args), reference(*args)
        assert got.shape == (shape[1],) and got.dtype == want.dtype == dtype
        within_summation_bound(got, a, b if len(args) == 2 else np.ones_like(a), dtype)
        within_summation_bound(want, a, b if len(args) == 2 else np.ones_like(a), dtype)
        np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == np.float32 else 1e-12,
                                   atol=1e-5 if dtype == np.float32 else 1e-12)


def test_the_fast_path_is_taken_for_both_contiguous_layouts_only():
    x = data((4, 3, 5, 5), np.float32)
    assert ops_norm.channel_rows(x).shape == (4, 3, 25)
    assert ops_norm.channel_rows(channels_last(x)).shape == (100, 3)
    assert ops_norm.channel_rows(LAYOUTS["strided"](x)) is None
    assert ops_norm.channel_rows(x.astype(np.float16)) is None


def test_special_values_propagate_as_in_the_reference():
    x = data((2, 3, 2, 2), np.float32)
    x[0, 0, 0, 0], x[1, 1, 1, 1], x[0, 2, 0, 0], x[1, 2, 0, 1] = np.nan, np.inf, np.inf, -np.inf
    for layout in ("nchw", "channels_last"):
        a = LAYOUTS[layout](x)
        with np.errstate(invalid="ignore"):
            np.testing.assert_array_equal(np.isnan(channel_sums(a)),
                                          np.isnan(channel_sums_reference(a)))
            np.testing.assert_array_equal(np.isinf(channel_dots(a, a)),
                                          np.isinf(channel_dots_reference(a, a)))
            assert np.isnan(channel_sums(a)[0]) and np.isinf(channel_dots(a, a)[1])


@pytest.mark.parametrize("layout", ["nchw", "channels_last"])
def test_channel_moments_are_two_pass_moments_even_for_a_large_mean(layout):
    x = LAYOUTS[layout](data((16, 3, 6, 6), np.float32) + np.float32(1e4))
    mean, var = channel_moments(x)
    ref_mean, ref_var = moments(x.astype(np.float64), (0, 2, 3))
    assert mean.shape == var.shape == (1, 3, 1, 1) and mean.dtype == var.dtype == np.float32
    np.testing.assert_allclose(mean, ref_mean, rtol=1e-6)
    np.testing.assert_allclose(var, ref_var, rtol=1e-3)  # E[x²] − E[x]² would be far off


def run_batch_norm(x, g, weight, bias):
    xt = cr.from_numpy(x).requires_grad_()
    wt, bt = cr.from_numpy(weight).requires_grad_(), cr.from_numpy(bias).requires_grad_()
    y = BatchNorm.apply(xt, wt, bt, eps=1e-5)
    y.backward(cr.from_numpy(g))
    return y.data, xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()


@pytest.mark.parametrize("x_layout", ["nchw", "channels_last", "strided"])
@pytest.mark.parametrize("g_layout", ["nchw", "channels_last"])
def test_batch_norm_agrees_with_its_reference_path_in_every_layout(monkeypatch, x_layout,
                                                                    g_layout):
    x, g = data((8, 4, 5, 5), np.float32, 3) * 3 + 1, data((8, 4, 5, 5), np.float32, 4)
    weight, bias = data((4,), np.float32, 5), data((4,), np.float32, 6)
    fast = run_batch_norm(LAYOUTS[x_layout](x), LAYOUTS[g_layout](g), weight, bias)
    monkeypatch.setattr(ops_norm, "FAST_CHANNEL_STATS", False)
    reference = run_batch_norm(x, g, weight, bias)
    for got, want in zip(fast, reference):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    assert is_channels_last(fast[0]) == (x_layout == "channels_last")  # layout is kept


def test_batch_norm_is_deterministic():
    x, g = channels_last(data((8, 4, 5, 5), np.float32)), data((8, 4, 5, 5), np.float32, 1)
    weight, bias = np.ones(4, np.float32), np.zeros(4, np.float32)
    first, second = run_batch_norm(x, g, weight, bias), run_batch_norm(x, g, weight, bias)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_batch_norm_gradcheck_channels_last_float64():
    x = cr.from_numpy(channels_last(data((3, 2, 3, 4), np.float64))).requires_grad_()
    w = cr.tensor(data((2,), np.float64, 1), requires_grad=True)
    b = cr.tensor(data((2,), np.float64, 2), requires_grad=True)
    assert cr.gradcheck(lambda x, w, b: BatchNorm.apply(x, w, b, eps=1e-5), [x, w, b])


@needs_torch
@pytest.mark.parametrize("layout", ["nchw", "channels_last"])
def test_batch_norm2d_matches_torch_in_both_layouts(layout):
    x, g = data((16, 6, 7, 7), np.float32, 7) * 2 - 1, data((16, 6, 7, 7), np.float32, 8)
    ours = cr.nn.BatchNorm2d(6)
    theirs = torch.nn.BatchNorm2d(6)
    xt = cr.from_numpy(LAYOUTS[layout](x)).requires_grad_()
    y = ours(xt)
    y.backward(cr.from_numpy(LAYOUTS[layout](g)))
    xr = torch.from_numpy(x).requires_grad_()
    yr = theirs(xr)
    yr.backward(torch.from_numpy(g))
    np.testing.assert_allclose(y.data, yr.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(xt.grad.numpy(), xr.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(),
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(),
                               rtol=1e-5)


def test_in_layout_of_copies_only_across_layouts():
    x = data((2, 3, 4, 5), np.float32)
    last = channels_last(x)
    assert in_layout_of(x, x) is x and in_layout_of(last, last) is last
    moved = in_layout_of(last, x)
    assert is_channels_last(moved) and not is_channels_last(x)
    np.testing.assert_array_equal(moved, x)
    np.testing.assert_array_equal(in_layout_of(x, last), x)
    assert in_layout_of(x, last).flags.c_contiguous


@pytest.mark.parametrize("kernel, stride", [((2, 2), (2, 2)), ((3, 3), (2, 2))])
@pytest.mark.parametrize("x_layout", ["nchw", "channels_last"])
def test_max_pool_backward_is_bitwise_the_same_for_either_gradient_layout(kernel, stride,
                                                                          x_layout):
    x = LAYOUTS[x_layout](data((4, 3, 9, 9), np.float32))
    x[0, 0, :2, :2] = 1.5  # a tie: the first maximum takes the gradient
    grads = []
    for g_layout in ("nchw", "channels_last"):
        xt = cr.from_numpy(x).requires_grad_()
        y = MaxPool2d.apply(xt, kernel=kernel, stride=stride, padding=(0, 0), dilation=(1, 1),
                            ceil_mode=False)
        y.backward(cr.from_numpy(LAYOUTS[g_layout](data(y.shape, np.float32, 9))))
        grads.append(xt.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])
    assert grads[0][0, 0, 0, 0] != 0 and grads[0][0, 0, 0, 1] == 0


@pytest.mark.parametrize("layout", ["nchw", "channels_last"])
def test_channel_moments_by_blocks_of_one_image_match_one_block(monkeypatch, layout):
    x = LAYOUTS[layout](data((7, 4, 5, 3), np.float64, 11) * 5 + 2)
    whole = channel_moments(x)
    monkeypatch.setattr(ops_norm, "STATS_BLOCK_BYTES", 1)
    blocked = channel_moments(x)
    ref_mean, ref_var = moments(x, (0, 2, 3))
    for got, want in ((blocked[0], whole[0]), (blocked[1], whole[1]),
                      (blocked[0], ref_mean), (blocked[1], ref_var)):
        np.testing.assert_allclose(got, want, rtol=1e-12)
