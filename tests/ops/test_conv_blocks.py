"""``Conv2d`` built a block of images at a time (``COLUMN_BLOCK_BYTES``) against the same
Function with the whole batch in one block (the plain im2col → GEMM → col2im reference),
and its 1×1 path (``DIRECT_POINTWISE``: no im2col, no col2im) against the general one.

Every result is a GEMM over another partition of the rows (BLAS may round a product of
another shape differently, e.g. through its small-matrix kernels), and dL/dW sums the
blocks' products, so they agree to rounding: rtol 1e-5 in float32, 1e-12 in float64.
Small test images fit one block at the default size, so the tests force blocks of one
image (a budget of 1 byte) to exercise the blocked path.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.ops import conv as ops_conv
from chainrule.ops.conv import Conv2d
from chainrule.ops.im2col import image_blocks
from tests.optional import needs_torch, torch
from tests.tolerance import assert_layer_matches_torch

# (N, C, H, W, O, kernel, stride, padding (top, bottom, left, right), dilation, groups)
CASES = [
    (5, 4, 7, 6, 6, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1),
    (3, 1, 9, 9, 4, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1),  # few channels: (K, P) columns
    (4, 6, 8, 7, 4, (3, 2), (2, 1), (0, 1, 2, 0), (1, 2), 2),
    (3, 8, 5, 5, 16, (1, 1), (1, 1), (0, 0, 0, 0), (1, 1), 1),
    (2, 4, 10, 9, 8, (5, 5), (2, 2), (2, 2, 2, 2), (1, 1), 4),
]


def run(case, dtype, budget, monkeypatch, channels_last=False):
    n, c, h, w, o, kernel, stride, padding, dilation, groups = case
    rng = np.random.default_rng(sum(case[:5]))
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    if channels_last:  # the same values, stored as an NCHW view of NHWC memory
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    weight = rng.standard_normal((o, c // groups, *kernel)).astype(dtype)
    bias = rng.standard_normal(o).astype(dtype)
    monkeypatch.setattr(ops_conv, "COLUMN_BLOCK_BYTES", budget)
    inputs = [cr.from_numpy(a).requires_grad_() for a in (x, weight, bias)]
    y = Conv2d.apply(*inputs, stride=stride, padding=padding, dilation=dilation, groups=groups)
    y.backward(cr.from_numpy(rng.standard_normal(y.shape).astype(dtype)))
    return [y.data] + [t.grad.numpy() for t in inputs]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_blocks_of_one_image_match_one_block(monkeypatch, case, dtype):
    blocked = run(case, dtype, 1, monkeypatch)
    whole = run(case, dtype, 1 << 40, monkeypatch)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for got, want in zip(blocked, whole):
        assert got.dtype == want.dtype == dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_image_blocks_cover_the_batch_in_order_within_the_budget():
    assert image_blocks(10, 100, 350) == [slice(0, 3), slice(3, 6), slice(6, 9), slice(9, 10)]
    assert image_blocks(3, 100, 1) == [slice(0, 1), slice(1, 2), slice(2, 3)]  # ≥ one image
    assert image_blocks(4, 0, 1) == [slice(0, 1), slice(1, 2), slice(2, 3), slice(3, 4)]
    assert image_blocks(0, 100, 1000) == []


def test_the_column_matrix_is_not_kept_for_backward():
    x = cr.randn(4, 3, 6, 6, requires_grad=True)
    w = cr.randn(5, 3, 3, 3, requires_grad=True)
    y = Conv2d.apply(x, w, stride=(1, 1), padding=(1, 1, 1, 1), dilation=(1, 1), groups=1)
    saved = y._ctx.saved
    assert sum(a.size for a in saved) == 4 * 8 * 8 * 3 + w.numel()  # pad(X) and W̃, no kh·kw·X


def test_blocked_conv_gradcheck_float64(monkeypatch):
    monkeypatch.setattr(ops_conv, "COLUMN_BLOCK_BYTES", 1)
    rng = np.random.default_rng(1)
    inputs = [cr.tensor(rng.standard_normal(s), requires_grad=True)
              for s in ((3, 4, 5, 5), (4, 2, 3, 3), (4,))]
    assert cr.gradcheck(lambda x, w, b: Conv2d.apply(
        x, w, b, stride=(1, 1), padding=(1, 1, 1, 1), dilation=(1, 1), groups=2), inputs)


def test_blocked_conv_is_deterministic(monkeypatch):
    first = run(CASES[0], np.float32, 1, monkeypatch)
    second = run(CASES[0], np.float32, 1, monkeypatch)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


@needs_torch
def test_blocked_conv2d_matches_torch(monkeypatch):
    monkeypatch.setattr(ops_conv, "COLUMN_BLOCK_BYTES", 1)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((6, 8, 9, 9)).astype(np.float32)
    ours, theirs = cr.nn.Conv2d(8, 12, 3, padding=1), torch.nn.Conv2d(8, 12, 3, padding=1)
    assert_layer_matches_torch(ours, theirs, x, rng, 1e-4, (1e-4, 1e-3), torch)


POINTWISE = [  # (N, C, H, W, O, groups)
    (4, 8, 5, 6, 12, 1),
    (3, 6, 4, 4, 4, 2),
    (2, 3, 7, 5, 5, 1),  # few channels
]


def run_pointwise(case, dtype, channels_last, direct, monkeypatch):
    n, c, h, w, o, groups = case
    monkeypatch.setattr(ops_conv, "DIRECT_POINTWISE", direct)
    return run((n, c, h, w, o, (1, 1), (1, 1), (0, 0, 0, 0), (1, 1), groups), dtype,
               1 << 40, monkeypatch, channels_last)


@pytest.mark.parametrize("case", POINTWISE)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("channels_last", [False, True])
def test_pointwise_path_matches_the_general_path(monkeypatch, case, dtype, channels_last):
    direct = run_pointwise(case, dtype, channels_last, True, monkeypatch)
    general = run_pointwise(case, dtype, channels_last, False, monkeypatch)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for got, want in zip(direct, general):
        assert got.dtype == want.dtype == dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_pointwise_path_is_taken_for_unpadded_stride_one_1x1_only():
    x, w = cr.randn(2, 4, 5, 5), cr.randn(3, 4, 1, 1)
    for stride, padding, expected in (((1, 1), (0, 0, 0, 0), True),
                                      ((2, 2), (0, 0, 0, 0), False),
                                      ((1, 1), (1, 1, 1, 1), False)):
        y = Conv2d.apply(x.requires_grad_(), w, stride=stride, padding=padding,
                         dilation=(1, 1), groups=1)
        assert y._ctx.pointwise is expected


def test_pointwise_gradcheck_float64():
    rng = np.random.default_rng(3)
    inputs = [cr.tensor(rng.standard_normal(s), requires_grad=True)
              for s in ((2, 4, 3, 3), (6, 2, 1, 1), (6,))]
    assert cr.gradcheck(lambda x, w, b: Conv2d.apply(
        x, w, b, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=2), inputs)
