"""``kernels.axpby_``: y ← αx + βy in place, NumPy's ``y *= β; y += α·x`` (the products by 1
and −1 skipped, which changes no value). Its OpenBLAS fast path was removed: on a quiet machine
it earned 2.6–5.4% of the MLP step and nothing on the CNN, under the 5% rule
(benchmarks/README.md). What stays is checked bit for bit against the plain expression, on
special values, every layout and both float dtypes, and through the optimizers against torch."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule
import chainrule.optim as optim
from chainrule import kernels
from chainrule.kernels import axpby_
from tests.optional import needs_torch, torch

from .helpers import DTYPES, LAYOUTS, array, same_bits

N = 10_037  # not a multiple of any vector width
COEFFICIENTS = [(1.0, 1.0), (-1.0, 1.0), (0.5, 1.0), (1.0, 0.9), (-2.0, 0.25), (0.1, -3.0)]


def _numpy_in_place(alpha, x, beta, y):
    y *= beta
    y += alpha * x
    return y


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("alpha, beta", COEFFICIENTS)
def test_axpby_is_numpys_in_place_expression_bit_for_bit(dtype, layout, alpha, beta):
    x, y = array(layout, dtype, seed=1), array(layout, dtype, seed=2)
    with np.errstate(all="ignore"):  # the special values overflow to inf and make NaN
        expected = _numpy_in_place(dtype(alpha), x, dtype(beta), y.copy())
        out = axpby_(dtype(alpha), x, dtype(beta), y)
    assert out is y
    assert same_bits(y, expected)


def test_x_may_broadcast_and_may_be_y_itself():
    y = np.arange(6.0).reshape(2, 3)
    axpby_(2.0, np.array([1.0, 0.0, -1.0]), 0.5, y)
    np.testing.assert_array_equal(y, [[2.0, 0.5, -1.0], [3.5, 2.0, 0.5]])
    z = np.array([1.0, -2.0, 4.0])
    axpby_(3.0, z, 1.0, z)  # y ← 3y + y with x the same memory as y
    np.testing.assert_array_equal(z, [4.0, -8.0, 16.0])


def test_read_only_target_raises_like_numpy():
    x, y = np.ones(4), np.ones(4)
    y.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        axpby_(1.0, x, 0.5, y)


def test_axpby_has_no_fast_path_left():
    assert "axpby_" not in kernels.fast_paths()  # over_batch's is the only one


# ------------------------------------------------------------ optimizers on large parameters


LARGE_CASES = [
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "maximize": True}),
    ("SGD", {"lr": 0.1}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1, "maximize": True}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.6, "centered": True, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.2, "initial_accumulator_value": 0.5}),
]
LARGE_IDS = [name + "-" + ",".join(f"{k}={v}" for k, v in kw.items()) for name, kw in LARGE_CASES]


def _gradients(steps=15):
    rng = np.random.default_rng(1)
    return rng.standard_normal(N), [rng.standard_normal(N) for _ in range(steps)]


def _chainrule_run(name, kwargs, dtype):
    start, grads = _gradients()
    p = chainrule.tensor(start.astype(dtype), requires_grad=True)
    opt = getattr(optim, name)([p], **kwargs)
    for g in grads:
        p.grad = g.astype(dtype)
        opt.step()
    return p.data


@needs_torch
@pytest.mark.parametrize("name, kwargs", LARGE_CASES, ids=LARGE_IDS)
def test_optimizer_on_a_large_parameter_matches_torch(name, kwargs):
    start, grads = _gradients()
    p = torch.tensor(start, requires_grad=True)
    opt = getattr(torch.optim, name)([p], foreach=False, **kwargs)
    for g in grads:
        p.grad = torch.from_numpy(g)
        opt.step()
    np.testing.assert_allclose(_chainrule_run(name, kwargs, np.float64), p.detach().numpy(),
                               rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("name, kwargs", LARGE_CASES, ids=LARGE_IDS)
def test_large_float32_runs_are_reproducible(name, kwargs):
    first, second = (_chainrule_run(name, kwargs, np.float32) for _ in range(2))
    assert same_bits(first, second)
