"""``kernels.relu``: the blocked fast path against its reference ``np.maximum(x, 0)``, bit for
bit (the same operation, only blocked), on special values, layouts and dtypes."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.kernels import elementwise, relu

from .helpers import DTYPES, LAYOUTS, array, reference, same_bits

BLOCK = elementwise._ZERO_BLOCK


@pytest.mark.parametrize("dtype", DTYPES + [np.float16])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_fast_path_gives_the_references_bits(layout, dtype):
    x = array(layout, dtype)
    before = x.copy()
    fast = relu(x)
    with reference("relu"):
        plain = relu(x)
    assert same_bits(fast, plain)
    assert same_bits(plain, np.maximum(x, 0))  # the reference is the documented expression
    assert same_bits(x, before)  # the input is not written


@pytest.mark.parametrize("size", [4096, BLOCK, BLOCK + 1, 2 * BLOCK + 17])
def test_sizes_ending_inside_a_block(size):
    x = array("contiguous", np.float32, size=size)
    x[-3:] = [np.nan, -1.0, 1.0]
    assert same_bits(relu(x), np.maximum(x, 0))


def test_integers_and_the_zero_block_are_left_alone():
    x = np.random.default_rng(1).integers(-5, 5, 3 * BLOCK).astype(np.int32)
    assert same_bits(relu(x), np.maximum(x, 0))
    zeros = elementwise._zeros(np.dtype(np.float32))
    assert not zeros.flags.writeable and not zeros.any()


def test_relu_op_forward_and_gradient_on_a_large_input():
    x = np.random.default_rng(3).standard_normal((130, 520)).astype(np.float32)
    x[0, :3] = [0.0, -0.0, 1e-30]
    t = cr.from_numpy(x.copy()).requires_grad_()
    upstream = np.random.default_rng(4).standard_normal(x.shape).astype(np.float32)
    out = t.relu()
    out.backward(cr.from_numpy(upstream))
    assert same_bits(out.detach().numpy(), np.maximum(x, 0))
    assert t.grad.dtype == cr.float32
    np.testing.assert_array_equal(t.grad.numpy(), upstream * (x > 0))
