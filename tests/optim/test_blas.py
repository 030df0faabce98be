"""optim.blas.axpby_: OpenBLAS's y ← αx + βy where it applies, NumPy's expression elsewhere."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule
import chainrule.optim as optim
from chainrule.optim import blas

N = blas.min_size + 37  # large enough for OpenBLAS, and not a multiple of any vector width
needs_openblas = pytest.mark.skipif(not blas.available(),
                                    reason="NumPy's bundled OpenBLAS (scipy-openblas) not found")


def _arrays(dtype, n=N, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(n).astype(dtype), rng.standard_normal(n).astype(dtype)


def _numpy_in_place(alpha, beta, pair):
    """NumPy's ``y *= β; y += α·x`` on the pair's y (x sees it where they share memory)."""
    x, y = pair
    y *= beta
    y += alpha * x
    return y


class _Spy:
    """Stands in for the OpenBLAS functions: records each call, computes nothing."""

    def __init__(self):
        self.calls = []

    def functions(self):
        return (lambda *args: self.calls.append(("axpy", *args)),
                lambda *args: self.calls.append(("axpby", *args)))


@pytest.fixture
def spy(monkeypatch):
    recorder = _Spy()
    fake = {np.dtype(np.float32): recorder.functions(), np.dtype(np.float64): recorder.functions()}
    monkeypatch.setattr(blas, "_FUNCTIONS", fake)
    return recorder


# ------------------------------------------------------------ which path is taken


def test_large_contiguous_arrays_go_to_blas_with_their_addresses_and_size(spy):
    x, y = _arrays(np.float32)
    blas.axpby_(0.5, x, 0.9, y)
    blas.axpby_(-0.1, x, 1, y)
    assert spy.calls == [
        ("axpby", N, 0.5, x.ctypes.data, 1, 0.9, y.ctypes.data, 1),
        ("axpy", N, -0.1, x.ctypes.data, 1, y.ctypes.data, 1),  # β = 1: axpy, every thread
    ]


def _strided():
    x, y = _arrays(np.float32, 2 * N)
    return x[::2], y[::2]


def _overlapping():
    buffer = _arrays(np.float32, N + 1)[0]
    return buffer[:-1], buffer[1:]


@pytest.mark.parametrize("make", [
    lambda: _arrays(np.float32, blas.min_size - 1),  # small: a ctypes call costs more
    lambda: _arrays(np.float16),                     # no half-precision axpby
    _strided,                                        # not contiguous
    _overlapping,                                    # y is x shifted by one element
    lambda: (_arrays(np.float64)[0], _arrays(np.float32)[1]),  # dtypes differ
    lambda: (_arrays(np.float32)[0].astype(">f4"), _arrays(np.float32)[1].astype(">f4")),
], ids=["small", "float16", "strided", "overlapping", "mixed-dtypes", "big-endian"])
def test_arrays_blas_cannot_take_get_numpys_expression_bit_for_bit(spy, make):
    expected = _numpy_in_place(0.3, 0.7, make())  # on a pair built alike
    x, y = make()
    blas.axpby_(0.3, x, 0.7, y)
    assert spy.calls == []
    np.testing.assert_array_equal(y, expected)


def test_disabled_means_numpy_bit_for_bit(spy, monkeypatch):
    monkeypatch.setattr(blas, "enabled", False)
    expected = _numpy_in_place(-2.0, 0.25, _arrays(np.float64))
    x, y = _arrays(np.float64)
    blas.axpby_(-2.0, x, 0.25, y)
    assert spy.calls == []
    np.testing.assert_array_equal(y, expected)


def test_read_only_target_raises_like_numpy(spy):
    x, y = _arrays(np.float32)
    y.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        blas.axpby_(1.0, x, 0.5, y)
    assert spy.calls == []


# ------------------------------------------------------------ OpenBLAS's results


@needs_openblas
@pytest.mark.parametrize("dtype, rtol", [(np.float32, 2e-7), (np.float64, 5e-16)])
@pytest.mark.parametrize("alpha, beta", [(0.3, 0.9), (-0.05, 1.0), (1.0, 0.9), (-1.0, 1.0)])
def test_blas_result_is_alpha_x_plus_beta_y_to_rounding(dtype, rtol, alpha, beta):
    x, y = _arrays(dtype)
    exact = alpha * x.astype(np.longdouble) + beta * y.astype(np.longdouble)
    blas.axpby_(alpha, x, beta, y)
    scale = np.abs(alpha * x.astype(np.longdouble)) + np.abs(beta * y.astype(np.longdouble))
    assert np.all(np.abs(y - exact) <= 2 * rtol * scale)  # a couple of roundings of the terms


@needs_openblas
def test_blas_with_x_the_same_array_as_y():
    _, y = _arrays(np.float32)
    expected = 1.5 * y.astype(np.float64)
    blas.axpby_(0.5, y, 1.0, y)
    np.testing.assert_allclose(y, expected, rtol=1e-7)


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


@pytest.mark.parametrize("name, kwargs", LARGE_CASES, ids=LARGE_IDS)
def test_optimizer_on_a_large_parameter_matches_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    start, grads = _gradients()
    p = torch.tensor(start, requires_grad=True)
    opt = getattr(torch.optim, name)([p], foreach=False, **kwargs)
    for g in grads:
        p.grad = torch.from_numpy(g)
        opt.step()
    np.testing.assert_allclose(_chainrule_run(name, kwargs, np.float64), p.detach().numpy(),
                               rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("name, kwargs", LARGE_CASES, ids=LARGE_IDS)
def test_large_float32_runs_are_reproducible_and_close_to_numpys_expressions(name, kwargs,
                                                                             monkeypatch):
    first, second = (_chainrule_run(name, kwargs, np.float32) for _ in range(2))
    np.testing.assert_array_equal(first, second)
    monkeypatch.setattr(blas, "enabled", False)
    np.testing.assert_allclose(first, _chainrule_run(name, kwargs, np.float32), rtol=1e-5,
                               atol=1e-6)
