"""The stride-1 direct path of ``DepthwiseConv2d`` (``ops/depthwise.py``) against the general
offset-by-offset path (``DIRECT_DEPTHWISE = False``), a float64 gradient check, and PyTorch.

The two paths add the same products in the same order (offsets in scan order), so the
output agrees bitwise, and so does the input gradient for one output channel per input
channel (with a multiplier m > 1 the direct path sums the m copies after the offsets, the
general path before); the weight gradient sums over (N, Ho, Wo) in another order
(batched dot products against einsum), so it agrees to rounding: rtol 1e-5 in float32,
1e-12 in float64.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.ops import conv as ops_conv
from chainrule.ops.conv import DepthwiseConv2d
from tests.optional import needs_torch, torch

# (N, C, H, W, multiplier, kernel, padding (top, bottom, left, right), dilation)
CASES = [
    (2, 3, 7, 6, 1, (3, 3), (1, 1, 1, 1), (1, 1)),
    (3, 4, 5, 5, 2, (3, 3), (0, 0, 0, 0), (1, 1)),
    (1, 2, 9, 8, 1, (3, 2), (2, 1, 0, 3), (2, 1)),
    (2, 5, 4, 4, 3, (1, 1), (0, 0, 0, 0), (1, 1)),
    (2, 2, 6, 7, 1, (5, 5), (2, 2, 2, 2), (1, 1)),
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


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bias", [True, False])
def test_direct_path_matches_the_general_path(monkeypatch, case, dtype, bias):
    arrays = case_arrays(case, dtype, bias)
    direct = run(*arrays)
    monkeypatch.setattr(ops_conv, "DIRECT_DEPTHWISE", False)
    general = run(*arrays)
    np.testing.assert_array_equal(direct[0], general[0])  # output
    tol = 1e-5 if dtype == np.float32 else 1e-12
    if case[4] == 1:  # input gradient: with m > 1, the m copies are summed in another order
        np.testing.assert_array_equal(direct[1], general[1])
    for got, want in zip(direct[1:], general[1:]):  # input, weight (and bias) gradients
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    for got, want in zip(direct, general):
        assert got.dtype == want.dtype == dtype and got.shape == want.shape


def test_direct_path_is_taken_for_stride_one_only(monkeypatch):
    calls = []
    monkeypatch.setattr(ops_conv, "direct_forward",
                        lambda *a: calls.append(1) or np.zeros((1, 2, 3, 3), np.float32))
    x, w = cr.zeros(1, 2, 5, 5), cr.zeros(2, 1, 3, 3)
    DepthwiseConv2d.apply(x, w, stride=(2, 2), padding=(0, 0, 0, 0), dilation=(1, 1))
    assert calls == []
    DepthwiseConv2d.apply(x, w, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1))
    assert calls == [1]


def test_special_values_reach_the_same_outputs_as_the_general_path(monkeypatch):
    x, weight, b, g, padding, dilation = case_arrays(CASES[0], np.float32)
    x[0, 0, 0, 0], x[1, 2, 3, 3], weight[1, 0, 1, 1] = np.nan, np.inf, -np.inf
    with np.errstate(invalid="ignore"):
        direct = run(x, weight, b, g, padding, dilation)
        monkeypatch.setattr(ops_conv, "DIRECT_DEPTHWISE", False)
        general = run(x, weight, b, g, padding, dilation)
    np.testing.assert_array_equal(direct[0], general[0])  # NaN and inf in the same places
    np.testing.assert_array_equal(direct[1], general[1])


def test_direct_path_is_deterministic():
    arrays = case_arrays(CASES[1], np.float32)
    first, second = run(*arrays), run(*arrays)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("case", CASES[:3])
def test_direct_path_gradcheck_float64(case):
    x, weight, b, _, padding, dilation = case_arrays(case, np.float64)
    inputs = [cr.tensor(a, requires_grad=True) for a in (x, weight, b)]
    assert cr.gradcheck(lambda x, w, b: DepthwiseConv2d.apply(
        x, w, b, stride=(1, 1), padding=padding, dilation=dilation), inputs)


@needs_torch
@pytest.mark.parametrize("mult, padding, dilation", [(1, 1, 1), (2, 2, 2), (1, "same", 1)])
def test_depthwise_conv2d_matches_torch(mult, padding, dilation):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 6, 11, 10)).astype(np.float32)
    ours = cr.nn.Conv2d(6, 6 * mult, 3, padding=padding, dilation=dilation, groups=6)
    theirs = torch.nn.Conv2d(6, 6 * mult, 3, padding=padding, dilation=dilation, groups=6)
    theirs.load_state_dict({k: torch.from_numpy(v.data.copy())
                            for k, v in ours.state_dict().items()})
    xt, xr = cr.from_numpy(x).requires_grad_(), torch.from_numpy(x).requires_grad_()
    y, yr = ours(xt), theirs(xr)
    g = rng.standard_normal(tuple(y.shape)).astype(np.float32)
    y.backward(cr.from_numpy(g))
    yr.backward(torch.from_numpy(g))
    np.testing.assert_allclose(y.data, yr.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(xt.grad.numpy(), xr.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(),
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy(),
                               rtol=1e-4, atol=1e-4)
