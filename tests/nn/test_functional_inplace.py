"""The in-place activations of ``nn.functional`` (``relu_`` ...): the input itself holds the
result, the graph records the change, and the refusals of in-place ops apply."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

F = cr.nn.functional

# name -> (the in-place call, the out-of-place reference), given the library's F
CASES = {
    "relu_": (lambda F, x: F.relu_(x), lambda F, x: F.relu(x)),
    "elu_": (lambda F, x: F.elu_(x, 0.5), lambda F, x: F.elu(x, 0.5)),
    "leaky_relu_": (lambda F, x: F.leaky_relu_(x, 0.2), lambda F, x: F.leaky_relu(x, 0.2)),
    "hardtanh_": (lambda F, x: F.hardtanh_(x, -0.5, 0.7), lambda F, x: F.hardtanh(x, -0.5, 0.7)),
    "threshold_": (lambda F, x: F.threshold_(x, 0.1, -2.0), lambda F, x: F.threshold(x, 0.1, -2.0)),
    "selu_": (lambda F, x: F.selu_(x), lambda F, x: F.selu(x)),
    "celu_": (lambda F, x: F.celu_(x, 1.5), lambda F, x: F.celu(x, 1.5)),
}
VALUES = np.array([[-1.5, -0.2, 0.05, 0.3], [0.8, -0.9, 1.7, -3.0]])


@pytest.mark.parametrize("name", CASES)
def test_the_input_holds_the_result_and_is_returned(name):
    in_place, reference = CASES[name]
    x = cr.tensor(VALUES)
    assert in_place(F, x) is x
    np.testing.assert_array_equal(x.numpy(), reference(F, cr.tensor(VALUES)).numpy())


@pytest.mark.parametrize("name", CASES)
def test_gradients_flow_through_the_change_as_through_the_out_of_place_form(name):
    in_place, reference = CASES[name]
    leaf = cr.tensor(VALUES, requires_grad=True)
    hidden = leaf * 2.0
    in_place(F, hidden)
    (hidden * hidden).sum().backward()
    expected = cr.tensor(VALUES, requires_grad=True)
    out = reference(F, expected * 2.0)
    (out * out).sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), expected.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", CASES)
def test_a_leaf_that_requires_grad_is_refused(name):
    with pytest.raises(RuntimeError, match=name):
        CASES[name][0](F, cr.tensor(VALUES, requires_grad=True))


@pytest.mark.parametrize("name", CASES)
def test_values_match_torch(name):
    torch = pytest.importorskip("torch")
    ours, theirs = cr.tensor(VALUES), torch.tensor(VALUES)
    CASES[name][0](F, ours)
    CASES[name][0](torch.nn.functional, theirs)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
