"""``x += y`` and friends change the tensor in place, as in PyTorch: the name keeps pointing at
the same tensor (a parameter updated under no_grad stays the parameter), views see the change,
and autograd records it or refuses it by the in-place rules."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from tests.optional import needs_torch, torch

OPERATORS = {"+=": lambda a, b: a.__iadd__(b), "-=": lambda a, b: a.__isub__(b),
             "*=": lambda a, b: a.__imul__(b), "/=": lambda a, b: a.__itruediv__(b)}
NUMPY = {"+=": np.add, "-=": np.subtract, "*=": np.multiply, "/=": np.divide}


@pytest.mark.parametrize("op", OPERATORS)
def test_the_same_tensor_holds_the_result_and_views_see_it(op):
    x = cr.tensor([[1.0, 2.0], [3.0, 4.0]])
    view = x[0]
    before = x._version
    out = OPERATORS[op](x, cr.tensor([2.0, 0.5]))
    assert out is x
    np.testing.assert_allclose(x.numpy(), NUMPY[op](np.array([[1., 2.], [3., 4.]]), [2., .5]))
    np.testing.assert_allclose(view.numpy(), x.numpy()[0])
    assert x._version > before


def test_gradient_descent_by_hand_updates_the_leaf_and_keeps_its_grad():
    w = cr.tensor([1.0, -2.0], requires_grad=True)
    (w * w).sum().backward()
    with cr.no_grad():
        w -= 0.25 * w.grad
    assert w.requires_grad and w.grad is not None
    np.testing.assert_allclose(w.detach().numpy(), [0.5, -1.0])


def test_a_leaf_that_requires_grad_is_refused_outside_no_grad():
    w = cr.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w += 1.0


def test_result_dtype_follows_pytorchs_in_place_casting():
    x = cr.zeros(2, dtype=cr.float32)
    x += cr.tensor([1.5, 2.5], dtype=cr.float64)  # float64 into float32: allowed
    assert x.dtype == cr.float32 and x.tolist() == [1.5, 2.5]
    n = cr.tensor([1, 2])
    with pytest.raises(RuntimeError, match="cannot be written into a int64 tensor"):
        n /= 2


def test_broadcast_result_larger_than_the_tensor_is_refused():
    x = cr.zeros(3)
    with pytest.raises(ValueError, match=r"keeps the shape \(3,\)"):
        x += cr.ones(2, 3)


@needs_torch
def test_recorded_in_place_gradient_matches_torch():
    values = np.array([0.5, -1.0, 2.0])

    def run(lib):
        a = lib.tensor(values, requires_grad=True)
        h = a * 2.0
        h += a * a
        h *= 3.0
        h -= a
        h /= 2.0
        h.sum().backward()
        return h.detach().numpy(), a.grad.numpy()

    for ours, theirs in zip(run(cr), run(torch)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
