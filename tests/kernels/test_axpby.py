"""``kernels.axpby_``: y ← αx + βy in place. The fast path (OpenBLAS through ctypes,
``kernels.openblas``) against the reference (NumPy's ``y *= β; y += α·x``): which arrays take
it, and that its results are the reference's to within two roundings of the terms
(|fast − exact| ≤ 2ε(|αx| + |βy|), plus two of the smallest subnormals among the
subnormals; OpenBLAS fuses the multiply-adds, so the two are not bit
for bit), with special values in the same places; everything else bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule
import chainrule.optim as optim
from chainrule import kernels
from chainrule.kernels import axpby_, openblas

from .helpers import DTYPES, LAYOUTS, array, reference, same_bits

N = openblas.MIN_SIZE + 37  # large enough for OpenBLAS, and not a multiple of any vector width
needs_openblas = pytest.mark.skipif(not openblas.available(),
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
    monkeypatch.setattr(openblas, "_FUNCTIONS", fake)
    return recorder


# ------------------------------------------------------------ which path is taken


def test_large_contiguous_arrays_go_to_blas_with_their_addresses_and_size(spy):
    x, y = _arrays(np.float32)
    axpby_(0.5, x, 0.9, y)
    axpby_(-0.1, x, 1, y)
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
    lambda: _arrays(np.float32, openblas.MIN_SIZE - 1),  # small: a ctypes call costs more
    lambda: _arrays(np.float16),                          # no half-precision axpby
    _strided,                                             # not contiguous
    _overlapping,                                         # y is x shifted by one element
    lambda: (_arrays(np.float64)[0], _arrays(np.float32)[1]),  # dtypes differ
    lambda: (_arrays(np.float32)[0].astype(">f4"), _arrays(np.float32)[1].astype(">f4")),
], ids=["small", "float16", "strided", "overlapping", "mixed-dtypes", "big-endian"])
def test_arrays_blas_cannot_take_get_the_reference_bit_for_bit(spy, make):
    expected = _numpy_in_place(0.3, 0.7, make())  # on a pair built alike
    x, y = make()
    axpby_(0.3, x, 0.7, y)
    assert spy.calls == []
    assert same_bits(y, expected)


def test_the_switch_off_means_the_reference_bit_for_bit(spy):
    expected = _numpy_in_place(-2.0, 0.25, _arrays(np.float64))
    x, y = _arrays(np.float64)
    with reference("axpby_"):
        axpby_(-2.0, x, 0.25, y)
    assert spy.calls == []
    assert same_bits(y, expected)


def test_read_only_target_raises_like_numpy(spy):
    x, y = _arrays(np.float32)
    y.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        axpby_(1.0, x, 0.5, y)
    assert spy.calls == []


# ------------------------------------------------------------ the fast path's results


def _within_two_roundings(fast, alpha, x, beta, y0):
    wide = np.longdouble
    exact = alpha * x.astype(wide) + beta * y0.astype(wide)
    scale = np.abs(alpha * x.astype(wide)) + np.abs(beta * y0.astype(wide))
    info = np.finfo(fast.dtype)
    finite = np.abs(exact) <= info.max  # beyond: inf in both paths (checked by the caller)
    bound = 2 * info.eps * scale + 2 * info.smallest_subnormal  # absolute below the normals
    assert np.all(np.abs(fast[finite] - exact[finite]) <= bound[finite])


@needs_openblas
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("alpha, beta", [(0.3, 0.9), (-0.05, 1.0), (1.0, 0.9), (-1.0, 1.0)])
def test_fast_path_is_alpha_x_plus_beta_y_to_two_roundings(dtype, alpha, beta):
    x, y = _arrays(dtype)
    y0 = y.copy()
    axpby_(alpha, x, beta, y)
    _within_two_roundings(y, alpha, x, beta, y0)


@needs_openblas
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_special_values_and_layouts_against_the_reference(dtype, layout):
    """Zeros of both signs, subnormals, ±inf, NaN and the largest numbers: NaN and infinities
    in the reference's places and the finite results within two roundings where the fast path
    runs (large C-contiguous arrays); the other layouts equal the reference bit for bit."""
    x = array(layout, dtype, seed=1)
    fast, plain = array(layout, dtype, seed=2), array(layout, dtype, seed=2)
    y0 = fast.copy()
    with np.errstate(all="ignore"):
        axpby_(0.5, x, 0.75, fast)
        with reference("axpby_"):
            axpby_(0.5, x, 0.75, plain)
    assert same_bits(np.isnan(fast), np.isnan(plain))
    assert same_bits(np.isposinf(fast), np.isposinf(plain))
    assert same_bits(np.isneginf(fast), np.isneginf(plain))
    if x.flags.c_contiguous and x.size >= openblas.MIN_SIZE:
        with np.errstate(all="ignore"):
            _within_two_roundings(fast, 0.5, x, 0.75, y0)
    else:
        assert same_bits(fast, plain)


@needs_openblas
def test_blas_with_x_the_same_array_as_y():
    _, y = _arrays(np.float32)
    expected = 1.5 * y.astype(np.float64)
    axpby_(0.5, y, 1.0, y)
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
def test_large_float32_runs_are_reproducible_and_close_to_the_reference(name, kwargs):
    first, second = (_chainrule_run(name, kwargs, np.float32) for _ in range(2))
    assert same_bits(first, second)
    with reference("axpby_"):
        plain = _chainrule_run(name, kwargs, np.float32)
    np.testing.assert_allclose(first, plain, rtol=1e-5, atol=1e-6)
    assert kernels.fast_paths()["axpby_"]
