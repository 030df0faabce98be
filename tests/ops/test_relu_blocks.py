"""ReLU's blocked fast path (``ops.unary.relu_values``) against the plain ``np.maximum(x, 0)``.

The op table checks ReLU on small arrays, which take the plain call; these inputs are large
enough for the path that compares with a block of zeros, including sizes that end part-way
through a block, special values, and the layouts that must fall back to the plain call.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.ops import unary

BLOCK = unary._ZERO_BLOCK
SIZES = [4096, BLOCK, BLOCK + 1, 2 * BLOCK + 17]


def _with_special_values(x: np.ndarray) -> np.ndarray:
    flat = x.reshape(-1)
    flat[:6] = [np.nan, -np.inf, np.inf, -0.0, 0.0, -np.nan]
    flat[-3:] = [np.nan, -1.0, 1.0]  # the end of the last, partial block
    return x


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_blocked_values_equal_plain_maximum(size, dtype):
    x = _with_special_values(np.random.default_rng(size).standard_normal(size).astype(dtype))
    y = unary.relu_values(x)
    assert y.dtype == dtype and y.shape == x.shape
    np.testing.assert_array_equal(y, np.maximum(x, 0))  # NaN positions must agree too
    assert np.all(y[~np.isnan(y)] >= 0)


@pytest.mark.parametrize("layout", ["transposed", "strided", "int32", "4-d"])
def test_other_layouts_and_dtypes_give_plain_maximum(layout):
    rng = np.random.default_rng(1)
    x = {
        "transposed": rng.standard_normal((300, 200)).astype(np.float32).T,
        "strided": rng.standard_normal(2 * BLOCK + 10).astype(np.float32)[::2],
        "int32": rng.integers(-5, 5, 3 * BLOCK).astype(np.int32),
        "4-d": rng.standard_normal((8, 16, 30, 30)).astype(np.float32),
    }[layout]
    y = unary.relu_values(x)
    assert y.dtype == x.dtype and y.shape == x.shape
    np.testing.assert_array_equal(y, np.maximum(x, 0))


def test_input_is_not_written_and_zero_block_stays_zero():
    x = np.random.default_rng(2).standard_normal(BLOCK + 5).astype(np.float32)
    before = x.copy()
    unary.relu_values(x)
    np.testing.assert_array_equal(x, before)
    zeros = unary._zeros(np.dtype(np.float32))
    assert not zeros.flags.writeable and not zeros.any()


def test_large_relu_gradient_is_the_mask():
    x = np.random.default_rng(3).standard_normal((130, 520)).astype(np.float32)
    x[0, :3] = [0.0, -0.0, 1e-30]
    t = cr.from_numpy(x.copy()).requires_grad_()
    upstream = np.random.default_rng(4).standard_normal(x.shape).astype(np.float32)
    out = t.relu()
    out.backward(cr.from_numpy(upstream))
    np.testing.assert_array_equal(out.detach().numpy(), np.maximum(x, 0))
    assert t.grad.dtype == cr.float32
    np.testing.assert_array_equal(t.grad.numpy(), upstream * (x > 0))
