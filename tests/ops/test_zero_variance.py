"""var/std where every reduced element is equal, and sign: gradients PyTorch defines as 0,
which must not come out as NaN (a constant batch would poison every gradient)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule as cr

ROWS = [[1.5, 1.5, 1.5, 1.5], [0.5, -2.0, 3.0, 1.0]]  # a constant row and a spread one


def leaf(values, dtype=cr.float64):
    return cr.tensor(values, dtype=dtype, requires_grad=True)


@pytest.mark.parametrize("name", ["std", "var"])
@pytest.mark.parametrize("correction", [0, 1])
def test_zero_variance_rows_get_a_zero_gradient(name, correction):
    x = leaf(ROWS)
    getattr(x, name)(dim=1, correction=correction).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0], 0.0)
    assert np.all(np.isfinite(x.grad.numpy()))


def test_standardising_a_constant_batch_gives_zero_gradients():
    x = leaf(np.full((4, 3), 2.0), dtype=cr.float32)
    w = leaf([1.0, 2.0, 3.0], dtype=cr.float32)
    z = (x - x.mean(0, keepdim=True)) / (x.std(0, keepdim=True) + 1e-5)
    (z * w).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 0.0)
    np.testing.assert_array_equal(w.grad.numpy(), 0.0)


def central_difference(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        grad[i] = (f(up) - f(down)) / (2 * eps)
    return grad


@pytest.mark.parametrize("name", ["std", "var"])
@pytest.mark.parametrize("dim, correction, keepdim", [(1, 1, False), (0, 0, True),
                                                      (None, 1, False), ((0, 1), 0, True)])
def test_gradient_matches_finite_differences_away_from_zero(name, dim, correction, keepdim):
    rng = np.random.default_rng(3)
    data = rng.standard_normal((3, 4))
    weights = rng.standard_normal(np.shape(getattr(data, name)(
        axis=dim, ddof=correction, keepdims=keepdim)))

    def loss(array):
        out = getattr(cr.tensor(array, dtype=cr.float64), name)(dim, correction=correction,
                                                               keepdim=keepdim)
        return float(np.sum(out.numpy() * weights))

    x = leaf(data)
    (getattr(x, name)(dim, correction=correction, keepdim=keepdim) * weights).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), central_difference(loss, data),
                               rtol=1e-6, atol=1e-8)


def test_var_and_std_of_too_few_elements_are_nan_without_warnings():
    for name in ("var", "std"):
        x = leaf([3.0])
        y = getattr(x, name)()  # n − correction = 0
        y.backward()
        assert np.isnan(y.item()) and np.isnan(x.grad.item())


def test_sign_records_a_zero_gradient():
    x = leaf([-2.0, 0.0, 3.0])
    s = x.sign()
    assert s.requires_grad and s.grad_fn is not None
    np.testing.assert_array_equal(s.detach().numpy(), [-1.0, 0.0, 1.0])
    (s * 5.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])


def test_sign_of_an_integer_tensor_records_nothing():
    s = cr.tensor([-3, 0, 4]).sign()
    assert not s.requires_grad and s.dtype == cr.int64
    np.testing.assert_array_equal(s.numpy(), [-1, 0, 1])


@pytest.mark.parametrize("name", ["std", "var"])
@pytest.mark.parametrize("dim, correction", [(1, 1), (1, 0), (0, 1), (None, 0)])
def test_var_std_and_sign_gradients_match_torch(name, dim, correction):
    torch = pytest.importorskip("torch")
    data = np.array(ROWS + [[4.0, 4.0, 4.0, 4.0]])
    x, t = leaf(data), torch.tensor(data, requires_grad=True)
    weights = np.arange(1.0, 1.0 + getattr(data, name)(axis=dim).size).reshape(
        getattr(data, name)(axis=dim).shape)
    (getattr(x, name)(dim, correction=correction) * weights).sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        kwargs = {} if dim is None else {"dim": dim}
        out = getattr(t, name)(correction=correction, **kwargs)
    (out * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-15)
    x, t = leaf(data - 1.5), torch.tensor(data - 1.5, requires_grad=True)
    x.sign().sum().backward()
    t.sign().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())
