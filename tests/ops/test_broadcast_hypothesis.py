"""Broadcasting, generated: for shapes that broadcast together, + − * / maximum and where give
NumPy's result, and each operand's gradient has the operand's shape and equals the NumPy
gradient summed back over the axes it was broadcast along.

The reference sum is computed independently of chainrule's ``sum_to``: every output element
adds its upstream gradient to the input element it was copied from (``np.bincount`` over the
broadcast index map).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import chainrule as cr


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The gradient of an operand of ``shape`` broadcast to ``grad.shape``."""
    size = int(np.prod(shape))
    source = np.broadcast_to(np.arange(size).reshape(shape), grad.shape)
    summed = np.bincount(source.ravel(), weights=grad.ravel(), minlength=size)
    return summed.reshape(shape)


# name: (chainrule op, NumPy forward, NumPy local derivatives (dY/dA, dY/dB) on broadcast arrays)
BINARY = {
    "add": (lambda a, b: a + b, np.add, lambda a, b: (np.ones_like(a), np.ones_like(b))),
    "sub": (lambda a, b: a - b, np.subtract, lambda a, b: (np.ones_like(a), -np.ones_like(b))),
    "mul": (lambda a, b: a * b, np.multiply, lambda a, b: (b, a)),
    "div": (lambda a, b: a / b, np.divide, lambda a, b: (1 / b, -a / b**2)),
    "maximum": (lambda a, b: a.maximum(b), np.maximum,
                lambda a, b: ((a > b).astype(float), (b > a).astype(float))),
}


def draw_operands(rng: np.random.Generator, name: str, shapes) -> tuple[np.ndarray, ...]:
    a = rng.uniform(-2, 2, shapes[0])
    b = rng.uniform(-2, 2, shapes[1])
    if name == "div":
        b = np.where(b < 0, b - 0.5, b + 0.5)  # |b| ≥ 0.5
    if name == "maximum":
        a, b = np.round(a), np.round(b) + 0.5  # never tied
    return a, b


SHAPES = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4)
SEEDS = st.integers(0, 2**32 - 1)


@pytest.mark.parametrize("name", BINARY)
@settings(max_examples=30, deadline=None)
@given(shapes=SHAPES, seed=SEEDS)
def test_binary_op_broadcasts_and_reduces_gradients(name, shapes, seed):
    op, forward, derivatives = BINARY[name]
    rng = np.random.default_rng(seed)
    a, b = draw_operands(rng, name, shapes.input_shapes)
    ta = cr.tensor(a, requires_grad=True)
    tb = cr.tensor(b, requires_grad=True)
    y = op(ta, tb)
    assert y.shape == shapes.result_shape
    np.testing.assert_allclose(y.detach().numpy(), forward(a, b), rtol=1e-12)
    upstream = rng.standard_normal(y.shape)
    y.backward(upstream)
    wide_a, wide_b = np.broadcast_arrays(a, b)
    local_a, local_b = derivatives(wide_a, wide_b)
    assert ta.grad.shape == a.shape and tb.grad.shape == b.shape
    np.testing.assert_allclose(ta.grad.numpy(), unbroadcast(upstream * local_a, a.shape),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(tb.grad.numpy(), unbroadcast(upstream * local_b, b.shape),
                               rtol=1e-10, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=4, max_side=4),
       seed=SEEDS)
def test_where_broadcasts_and_reduces_gradients(shapes, seed):
    rng = np.random.default_rng(seed)
    cond_shape, a_shape, b_shape = shapes.input_shapes
    cond = rng.random(cond_shape) < 0.5
    a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    ta = cr.tensor(a, requires_grad=True)
    tb = cr.tensor(b, requires_grad=True)
    y = cr.where(cr.tensor(cond), ta, tb)
    assert y.shape == shapes.result_shape
    np.testing.assert_array_equal(y.detach().numpy(), np.where(cond, a, b))
    upstream = rng.standard_normal(y.shape)
    y.backward(upstream)
    wide_cond = np.broadcast_to(cond, y.shape)
    assert ta.grad.shape == a_shape and tb.grad.shape == b_shape
    np.testing.assert_allclose(ta.grad.numpy(), unbroadcast(upstream * wide_cond, a_shape),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(tb.grad.numpy(), unbroadcast(upstream * ~wide_cond, b_shape),
                               rtol=1e-10, atol=1e-12)


def test_unbroadcast_reference_sums_over_broadcast_axes():
    grad = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(unbroadcast(grad, (3, 1)), grad.sum(axis=(0, 2))[:, None])
    np.testing.assert_array_equal(unbroadcast(grad, ()), grad.sum())
    np.testing.assert_array_equal(unbroadcast(grad, (2, 3, 4)), grad)


@pytest.mark.parametrize("name", BINARY)
def test_incompatible_shapes_raise_value_error_naming_both(name):
    op = BINARY[name][0]
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4,\)"):
        op(cr.ones(2, 3), cr.ones(4))
