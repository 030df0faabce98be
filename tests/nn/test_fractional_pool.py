"""Fractional max pooling (F.fractional_max_pool2d/3d, their *_with_indices forms,
nn.FractionalMaxPool2d/3d): values and indices equal to PyTorch's for the same samples on many
random cases (ties, NaN, both dtypes), gradients against PyTorch's, a float64 gradcheck, the
package generator's samples, the modules' buffer, and the errors."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.nn import functional as F
from tests.optional import needs_torch, torch


def random_case(rng, dims, dtype):
    """(x, kernel, output size, samples) for a random legal geometry."""
    n, c = (int(v) for v in rng.integers(1, 3, 2))
    sizes = tuple(int(v) for v in rng.integers(2, 12 if dims == 2 else 7, dims))
    strict = dims == 3  # PyTorch's 3-D check is O + k − 1 < I
    kernel = tuple(int(rng.integers(1, s + 1 - strict)) for s in sizes)
    out = tuple(int(rng.integers(1, s - k + 2 - strict)) for s, k in zip(sizes, kernel))
    if rng.random() < 0.4:  # few distinct values: ties in the windows
        x = rng.integers(-2, 3, (n, c) + sizes).astype(dtype)
    else:
        x = rng.standard_normal((n, c) + sizes).astype(dtype)
    u = rng.random((n, c, dims)).astype(dtype)
    return x, kernel, out, u


@needs_torch
@pytest.mark.parametrize("dims", [2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_and_indices_equal_torch_for_the_same_samples(dims, dtype):
    rng = np.random.default_rng(dims * 10 + (dtype == np.float64))
    ours = F.fractional_max_pool2d if dims == 2 else F.fractional_max_pool3d
    theirs = getattr(torch.nn.functional, f"fractional_max_pool{dims}d")
    for _ in range(150):
        x, kernel, out, u = random_case(rng, dims, dtype)
        y, i = ours(cr.tensor(x), kernel, out, return_indices=True, _random_samples=cr.tensor(u))
        t, j = theirs(torch.tensor(x), kernel, out, return_indices=True,
                      _random_samples=torch.tensor(u))
        np.testing.assert_array_equal(y.numpy(), t.numpy())
        np.testing.assert_array_equal(i.numpy(), j.numpy())
        assert y.dtype == x.dtype and i.dtype == cr.int64


@needs_torch
@pytest.mark.parametrize("u", [0.0, 0.5, 1 / 3, 0.999999])
def test_edge_samples_and_output_ratio_equal_torch(u):
    x = np.random.default_rng(1).standard_normal((2, 3, 11, 9))
    samples = np.full((2, 3, 2), u)
    for kwargs in (dict(output_ratio=(0.5, 0.7)), dict(output_size=(4, 8)),
                   dict(output_ratio=0.6)):
        ratio = kwargs.get("output_ratio")
        torch_kwargs = dict(kwargs, output_ratio=(ratio, ratio)) if isinstance(ratio, float) \
            else kwargs  # PyTorch's F.fractional_max_pool2d fails on a bare float ratio
        y = F.fractional_max_pool2d(cr.tensor(x), 2, **kwargs, _random_samples=samples)
        t = torch.nn.functional.fractional_max_pool2d(
            torch.tensor(x), 2, **torch_kwargs, _random_samples=torch.tensor(samples))
        np.testing.assert_array_equal(y.numpy(), t.numpy())


@needs_torch
def test_nan_takes_the_window_as_in_torch():
    x = np.arange(36.0).reshape(1, 1, 6, 6)
    x[0, 0, 1, 1] = x[0, 0, 2, 3] = x[0, 0, 3, 2] = np.nan
    u = np.full((1, 1, 2), 0.3)
    y, i = F.fractional_max_pool2d_with_indices(cr.tensor(x), 3, 3, _random_samples=u)
    t, j = torch.nn.functional.fractional_max_pool2d_with_indices(
        torch.tensor(x), 3, 3, _random_samples=torch.tensor(u))
    np.testing.assert_array_equal(y.numpy(), t.numpy())
    np.testing.assert_array_equal(i.numpy(), j.numpy())


@needs_torch
@pytest.mark.parametrize("dims", [2, 3])
@pytest.mark.parametrize("batched", [True, False])
def test_gradient_equals_torch(dims, batched):
    rng = np.random.default_rng(5 + dims)
    x, kernel, out, u = random_case(rng, dims, np.float64)
    x = rng.integers(-2, 3, x.shape).astype(np.float64)  # ties: shared maxima
    if not batched:
        x, u = x[0], u[:1]
    ours = getattr(F, f"fractional_max_pool{dims}d")
    theirs = getattr(torch.nn.functional, f"fractional_max_pool{dims}d")
    a, b = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y = ours(a, kernel, out, _random_samples=cr.tensor(u))
    t = theirs(b, kernel, out, _random_samples=torch.tensor(u))
    assert y.shape == tuple(t.shape)
    upstream = rng.standard_normal(y.shape)
    y.backward(cr.tensor(upstream))
    t.backward(torch.tensor(upstream))
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dims", [2, 3])
def test_gradcheck_float64(dims):
    rng = np.random.default_rng(dims)
    x = cr.tensor(rng.standard_normal((2, 2) + (5,) * dims), requires_grad=True)
    u = rng.random((2, 2, dims))
    pool = getattr(F, f"fractional_max_pool{dims}d")
    assert cr.gradcheck(lambda t: pool(t, 2, 3, _random_samples=u), (x,))


def test_without_samples_draws_from_the_package_generator():
    x = cr.randn(2, 3, 9, 9)
    cr.manual_seed(7)
    first = F.fractional_max_pool2d(x, 2, output_size=5)
    cr.manual_seed(7)
    again = F.fractional_max_pool2d(x, 2, output_size=5)
    cr.manual_seed(7)
    drawn = cr.random.default_generator().random((2, 3, 2)).astype(np.float32)
    given = F.fractional_max_pool2d(x, 2, output_size=5, _random_samples=drawn)
    np.testing.assert_array_equal(first.numpy(), again.numpy())
    np.testing.assert_array_equal(first.numpy(), given.numpy())


@needs_torch
@pytest.mark.parametrize("dims", [2, 3])
def test_modules_match_torch_and_hold_samples_as_a_buffer(dims):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3) + (8,) * dims)
    u = rng.random((2, 3, dims))
    ours = getattr(nn, f"FractionalMaxPool{dims}d")(2, output_ratio=0.5, return_indices=True,
                                                    _random_samples=cr.tensor(u))
    theirs = getattr(torch.nn, f"FractionalMaxPool{dims}d")(
        2, output_ratio=0.5, return_indices=True, _random_samples=torch.tensor(u))
    (y, i), (t, j) = ours(cr.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_array_equal(y.numpy(), t.numpy())
    np.testing.assert_array_equal(i.numpy(), j.numpy())
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["_random_samples"]
    plain = getattr(nn, f"FractionalMaxPool{dims}d")(2, output_size=3)
    assert list(plain.state_dict()) == list(
        getattr(torch.nn, f"FractionalMaxPool{dims}d")(2, output_size=3).state_dict()) == []
    assert plain(cr.randn(3, *(8,) * dims)).shape == (3,) + (3,) * dims


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda x: F.fractional_max_pool2d(x, 3), ValueError, "either an output_size or"),
    (lambda x: F.fractional_max_pool2d(x, 3, output_size=6), RuntimeError,
     "pool height 3 too large relative to input height 7"),
    (lambda x: F.fractional_max_pool2d(x, 3, output_size=(3, 8)), RuntimeError,
     "pool width 3 too large relative to input width 9"),
    (lambda x: F.fractional_max_pool2d(x, 3, output_size=(3, 3, 3)), ValueError,
     "output_size must be"),
    (lambda x: F.fractional_max_pool2d(x, 0, output_size=3), ValueError, "kernel_size"),
    (lambda x: F.fractional_max_pool2d(x, 3, output_ratio=(0.5, 0.5, 0.5)), ValueError,
     "output_ratio"),
    (lambda x: F.fractional_max_pool2d(x[0, 0], 3, output_size=3), ValueError,
     "expected a 4-D"),
    (lambda x: F.fractional_max_pool2d(x, 3, output_size=3,
                                       _random_samples=np.zeros((2, 3, 2), np.float32)),
     RuntimeError, "same dtype as input"),
    (lambda x: F.fractional_max_pool2d(x, 3, output_size=3, _random_samples=np.zeros((1, 3, 2))),
     RuntimeError, r"shape \(≥ 2, 3, 2\)"),
    (lambda x: F.fractional_max_pool2d(x, 3, output_size=3, _random_samples=np.zeros((2, 3))),
     RuntimeError, "3 dimensions"),
    (lambda x: F.fractional_max_pool3d(x, 2, output_size=(4, 2, 2)), RuntimeError,
     "pool time 2 too large relative to input time 3"),  # (C, T, H, W) = (2, 3, 7, 9)
])
def test_errors_name_the_problem(call, error, match):
    x = cr.tensor(np.random.default_rng(0).standard_normal((2, 3, 7, 9)))
    with pytest.raises(error, match=match):
        call(x)


def test_3d_check_is_strict_as_in_torch():
    x = cr.randn(1, 1, 5, 5, 5)
    with pytest.raises(RuntimeError, match="too large"):
        F.fractional_max_pool3d(x, 2, output_size=4)  # 4 + 2 − 1 = 5: allowed in 2-D only
    assert F.fractional_max_pool2d(x[0], 2, output_size=4).shape == (1, 5, 4, 4)


@pytest.mark.parametrize(("kwargs", "match"), [
    (dict(kernel_size=3), "either an output size"),
    (dict(kernel_size=3, output_size=2, output_ratio=0.5), "only one of"),
    (dict(kernel_size=3, output_ratio=1.0), "between 0 and 1"),
    (dict(kernel_size=3, output_ratio=(0.5, 0.0)), "between 0 and 1"),
    (dict(kernel_size=0, output_size=2), "greater than 0"),
])
def test_module_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        nn.FractionalMaxPool2d(**kwargs)
