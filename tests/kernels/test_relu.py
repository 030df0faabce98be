"""``kernels.relu``: max(x, 0), checked against the definition entry by entry, on special values,
layouts and dtypes."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.kernels import relu

from .helpers import DTYPES, LAYOUTS, array, same_bits, special_values


@pytest.mark.parametrize("dtype", DTYPES + [np.float16])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_relu_is_the_larger_of_x_and_zero(layout, dtype):
    x = array(layout, dtype)
    before = x.copy()
    y = relu(x)
    assert y.shape == x.shape and y.dtype == dtype
    flat_x, flat_y = x.reshape(-1), y.reshape(-1)
    positive = flat_x > 0
    assert same_bits(flat_y[positive], flat_x[positive])
    assert np.all(flat_y[flat_x < 0] == 0)
    assert same_bits(np.isnan(flat_y), np.isnan(flat_x))
    assert same_bits(x, before)  # the input is not written


@pytest.mark.parametrize("dtype", DTYPES)
def test_special_values(dtype):
    x = special_values(dtype)
    y = relu(x)
    info = np.finfo(dtype)
    largest_subnormal = np.nextafter(info.tiny, dtype(0))
    expected = np.array([0.0, 0.0, info.smallest_subnormal, 0.0, largest_subnormal, 0.0,
                         info.tiny, 0.0, np.inf, 0.0, np.nan, 1.0, 0.0, info.max, 0.0], dtype)
    np.testing.assert_array_equal(y, expected)  # NaN where the input is NaN
    # the zeros: max(0, 0) = 0 and max(−0, 0) is one of the two equal zeros, as in NumPy
    assert y[1] == 0 and not np.isnan(y[1])


def test_integers_keep_their_dtype():
    x = np.arange(-5, 5, dtype=np.int32)
    assert same_bits(relu(x), np.array([0] * 5 + list(range(5)), np.int32))


def test_relu_op_forward_and_gradient_on_a_large_input():
    x = np.random.default_rng(3).standard_normal((130, 520)).astype(np.float32)
    x[0, :3] = [0.0, -0.0, 1e-30]
    t = cr.from_numpy(x.copy()).requires_grad_()
    upstream = np.random.default_rng(4).standard_normal(x.shape).astype(np.float32)
    out = t.relu()
    out.backward(cr.from_numpy(upstream))
    np.testing.assert_array_equal(out.detach().numpy(), np.where(x > 0, x, 0))
    assert t.grad.dtype == cr.float32
    np.testing.assert_array_equal(t.grad.numpy(), np.where(x > 0, upstream, 0))
