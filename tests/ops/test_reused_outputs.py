"""Conv2d's output and padded input, MaxPool2d's output and argmax, and Linear's split
gradients are written into ``WORKSPACE.spare`` memory: an array of an earlier call that
nothing refers to any more. An array still held (a tensor the caller kept, a graph alive, a
view) is never written again; once let go, its memory is written again instead of a fresh
array (no pages faulted in). The gradient canvases and layout copies, allocated afresh, are
checked the same way."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import chainrule as cr
from chainrule.kernels import parallel
from chainrule.ops.conv import Conv2d
from chainrule.ops.im2col import in_layout_of, to_channels_last
from chainrule.ops.linalg import Linear
from chainrule.ops.pool import MaxPool2d
from tests.layouts import channels_last


def conv(x, w):
    return Conv2d.apply(x, w, stride=(1, 1), padding=(1, 1, 1, 1), dilation=(1, 1), groups=1)


def pool(x):
    return MaxPool2d.apply(x, kernel=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1),
                           ceil_mode=False)


def address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def inputs(seed, shape=(4, 3, 6, 6)):
    rng = np.random.default_rng(seed)
    return cr.tensor(rng.standard_normal(shape), requires_grad=True)


OPS = {"conv": lambda x: conv(x, cr.tensor(np.full((5, 3, 3, 3), 0.1), requires_grad=True)),
       "pool": pool}


@pytest.mark.parametrize("op", sorted(OPS))
def test_an_output_still_held_is_not_written_by_the_next_call(op):
    first = OPS[op](inputs(0))
    kept = first.data.copy()
    first.backward(cr.ones_like(first))  # frees the graph; the caller still holds the output
    second = OPS[op](inputs(1))
    second.backward(cr.ones_like(second))
    np.testing.assert_array_equal(first.data, kept)
    assert not np.shares_memory(first.data, second.data)


@pytest.mark.parametrize("op", sorted(OPS))
def test_an_output_let_go_is_written_again_with_the_new_values(op):
    first = OPS[op](inputs(0))
    first.backward(cr.ones_like(first))
    where = address(first.data.base if first.data.base is not None else first.data)
    del first
    gc.collect()
    x = inputs(1)
    second = OPS[op](x)
    base = second.data.base if second.data.base is not None else second.data
    assert address(base) == where  # the same memory again
    fresh = OPS[op](inputs(1))  # a third call, while the second is held: other memory
    assert not np.shares_memory(fresh.data, second.data)
    np.testing.assert_array_equal(second.data, fresh.data)


def test_the_input_gradient_of_a_convolution_held_by_the_caller_is_not_overwritten():
    x = inputs(2)
    y = conv(x, cr.tensor(np.full((5, 3, 3, 3), 0.1)))
    y.backward(cr.ones_like(y))
    kept = x.grad.numpy().copy()
    x2 = inputs(3)
    y2 = conv(x2, cr.tensor(np.full((5, 3, 3, 3), -0.2)))
    y2.backward(cr.ones_like(y2))
    np.testing.assert_array_equal(x.grad.numpy(), kept)
    np.testing.assert_allclose(x2.grad.numpy(), -2 * kept)  # linear in the weight


def test_layout_copies_held_are_not_overwritten():
    a = channels_last(np.random.default_rng(4).standard_normal((3, 2, 4, 5)))
    b = np.random.default_rng(5).standard_normal((3, 2, 4, 5))
    padded = to_channels_last(b, (1, 1, 1, 1))
    copied = in_layout_of(a, b)
    kept = padded.copy(), copied.copy()
    to_channels_last(2 * b, (1, 1, 1, 1))
    in_layout_of(a, 2 * b)
    np.testing.assert_array_equal(padded, kept[0])
    np.testing.assert_array_equal(copied, kept[1])


def test_linear_split_gradients_held_are_not_overwritten(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(parallel, "BLAS_SINGLE_THREADED", True)
    before = cr.get_num_threads()
    cr.set_num_threads(2)
    try:
        rng = np.random.default_rng(6)
        w = cr.tensor(rng.standard_normal((4, 6)), requires_grad=True)
        x = cr.tensor(rng.standard_normal((8, 6)), requires_grad=True)
        Linear.apply(x, w).sum().backward()
        held_x, held_w = x.grad.numpy(), w.grad.numpy()
        kept = held_x.copy(), held_w.copy()
        w.grad = None  # the parameter lets go; the caller still holds the array
        x2 = cr.tensor(3 * rng.standard_normal((8, 6)), requires_grad=True)
        Linear.apply(x2, 2 * w.detach()).sum().backward()
        Linear.apply(x2, w).sum().backward()
        np.testing.assert_array_equal(held_x, kept[0])
        np.testing.assert_array_equal(held_w, kept[1])
        assert not np.shares_memory(held_w, w.grad.numpy())
        np.testing.assert_allclose(w.grad.numpy(), np.tile(x2.detach().numpy().sum(0), (4, 1)))
    finally:
        cr.set_num_threads(before)
