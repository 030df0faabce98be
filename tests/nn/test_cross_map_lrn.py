"""nn.CrossMapLRN2d: values equal to PyTorch's (float64, many channel counts and sizes, so
its window, quirk included, is pinned), gradients equal to PyTorch's where its backward is
the derivative of its forward, a float64 gradcheck everywhere (where PyTorch's own fails),
the difference from LocalResponseNorm, repr, no state, and the errors."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.functional.cross_map_lrn import channel_window
from tests.optional import needs_torch, torch

CONSTANTS = dict(alpha=0.3, beta=0.75, k=1.5)


@needs_torch
@pytest.mark.parametrize("channels", [1, 2, 3, 5, 9])
@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 6])
def test_values_equal_torch(channels, size):
    x = np.random.default_rng(channels * 10 + size).standard_normal((2, channels, 3, 4))
    ours = nn.CrossMapLRN2d(size, **CONSTANTS)(cr.tensor(x))
    theirs = torch.nn.CrossMapLRN2d(size, **CONSTANTS)(torch.tensor(x))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-14)


@needs_torch
def test_default_constants_and_float32_equal_torch():
    x = np.random.default_rng(0).standard_normal((2, 7, 5, 5)).astype(np.float32) * 30
    ours = nn.CrossMapLRN2d(5)(cr.tensor(x))
    theirs = torch.nn.CrossMapLRN2d(5)(torch.tensor(x))
    assert ours.dtype == cr.float32
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)


@needs_torch
@pytest.mark.parametrize(("channels", "size"), [(1, 2), (1, 5), (2, 4), (2, 5), (3, 6)])
def test_gradient_equals_torch_where_its_window_spans_all_channels(channels, size):
    rng = np.random.default_rng(size)
    x = rng.standard_normal((2, channels, 3, 3))
    a, b = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y = nn.CrossMapLRN2d(size, **CONSTANTS)(a)
    t = torch.nn.CrossMapLRN2d(size, **CONSTANTS)(b)
    upstream = rng.standard_normal(x.shape)
    y.backward(cr.tensor(upstream))
    t.backward(torch.tensor(upstream))
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)


@needs_torch
def test_torch_own_backward_is_not_the_derivative_of_its_forward():
    """Why the gradient is the exact derivative here rather than a copy of PyTorch's."""
    x = torch.randn(2, 5, 3, 3, dtype=torch.float64, requires_grad=True)
    layer = torch.nn.CrossMapLRN2d(3, **CONSTANTS)
    assert not torch.autograd.gradcheck(layer, (x,), raise_exception=False)
    assert cr.gradcheck(nn.CrossMapLRN2d(3, **CONSTANTS), (cr.tensor(x.detach().numpy(),
                                                                     requires_grad=True),))


@pytest.mark.parametrize(("channels", "size"), [(1, 1), (4, 1), (5, 2), (6, 3), (7, 5)])
def test_gradcheck_float64(channels, size):
    x = cr.tensor(np.random.default_rng(1).standard_normal((2, channels, 2, 3)),
                  requires_grad=True)
    assert cr.gradcheck(nn.CrossMapLRN2d(size, **CONSTANTS), (x,))


def test_window_reaches_half_the_size_each_way_and_keeps_channel_zero():
    expected = np.array([[1, 1, 0, 0, 0],
                         [1, 1, 1, 0, 0],
                         [1, 1, 1, 1, 0],
                         [1, 0, 1, 1, 1],
                         [1, 0, 0, 1, 1]], dtype=bool)
    np.testing.assert_array_equal(channel_window(5, 3), expected)
    np.testing.assert_array_equal(channel_window(5, 4), expected)  # an even size: size − 1


@needs_torch
def test_differs_from_local_response_norm_only_by_the_window():
    x = np.random.default_rng(2).standard_normal((1, 3, 2, 2))  # size 5 spans all 3 channels
    ours = nn.CrossMapLRN2d(5, **CONSTANTS)(cr.tensor(x)).numpy()
    lrn = torch.nn.LocalResponseNorm(5, **CONSTANTS)(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, lrn, rtol=1e-12)
    ours = nn.CrossMapLRN2d(2, **CONSTANTS)(cr.tensor(x)).numpy()
    assert not np.allclose(ours, torch.nn.LocalResponseNorm(2, **CONSTANTS)(
        torch.tensor(x)).numpy())


@needs_torch
def test_repr_and_state_equal_torch():
    ours, theirs = nn.CrossMapLRN2d(3, 1e-3, 0.5, 2), torch.nn.CrossMapLRN2d(3, 1e-3, 0.5, 2)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == []


@pytest.mark.parametrize(("shape", "size", "match"), [
    ((2, 3, 4), 3, "Expected input to be 4D, got 3D"),
    ((1, 2, 3, 4, 5), 3, "Expected input to be 4D, got 5D"),
    ((1, 2, 3, 4), 0, "size must be a positive int"),
])
def test_errors(shape, size, match):
    with pytest.raises(ValueError, match=match):
        nn.CrossMapLRN2d(size)(cr.randn(*shape))
