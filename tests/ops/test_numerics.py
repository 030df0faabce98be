"""Numerics: extreme logits (R-NUM-1), the stable sigmoid and softplus, and dtype preservation
(R-NUM-3): float32 stays float32 through every op and its backward, PyTorch's promotion rules.

Warnings are turned into errors inside each test as well (``no_warnings``), so that the tests
mean the same without the project's pytest configuration.
"""

from __future__ import annotations

import math
import warnings
from contextlib import contextmanager

import numpy as np
import pytest

import chainrule as cr
from chainrule import autograd
from tests.ops.op_specs import DIFFERENTIABLE, as_outputs, to_chainrule


@contextmanager
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# ---------------------------------------------------------------- R-NUM-1: logits of ±1000

LOGITS = [[1000.0, -1000.0, 0.0], [1000.0, 1000.0, 999.0], [-1000.0, -1000.0, -999.0]]


def exact_logsumexp(row: list[float]) -> float:
    """ln Σ eˣ in Python floats: m + ln Σ e^(x − m)."""
    m = max(row)
    return m + math.log(sum(math.exp(x - m) for x in row))


def exact_log_softmax(rows):
    return np.array([[x - exact_logsumexp(row) for x in row] for row in rows])


def test_softmax_family_is_finite_and_correct_at_1000():
    x = cr.tensor(LOGITS, requires_grad=True)
    with no_warnings():
        log_p = x.log_softmax(dim=1)
        p = x.softmax(dim=1)
        lse = x.logsumexp(dim=1)
    want_log_p = exact_log_softmax(LOGITS)
    for out in (log_p, p, lse):
        assert out.dtype == cr.float32
        assert np.all(np.isfinite(out.detach().numpy()))
    np.testing.assert_allclose(log_p.detach().numpy(), want_log_p, rtol=1e-6)
    np.testing.assert_allclose(p.detach().numpy(), np.exp(want_log_p), rtol=1e-6, atol=1e-30)
    np.testing.assert_allclose(lse.detach().numpy(), [exact_logsumexp(r) for r in LOGITS],
                               rtol=1e-6)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp"])
def test_softmax_family_gradients_are_finite_and_correct_at_1000(name):
    rng = np.random.default_rng(0)
    x = cr.tensor(LOGITS, requires_grad=True)
    with no_warnings():
        y = getattr(x, name)(1)
        upstream = rng.standard_normal(y.shape).astype(np.float32)
        y.backward(upstream)
    p = np.exp(exact_log_softmax(LOGITS))
    g = upstream if name != "logsumexp" else upstream[:, None]
    want = {
        "softmax": p * (g - np.sum(g * p, axis=1, keepdims=True)),
        "log_softmax": g - p * np.sum(g, axis=1, keepdims=True),
        "logsumexp": g * p,
    }[name]
    assert x.grad.dtype == cr.float32
    assert np.all(np.isfinite(x.grad.numpy()))
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-5, atol=1e-6)


def test_logsumexp_of_minus_infinity_rows():
    x = cr.tensor([[-np.inf, -np.inf], [0.0, -np.inf]])
    with no_warnings():
        out = x.logsumexp(1).numpy()
    assert out[0] == -np.inf
    assert out[1] == 0.0


EXTREMES = [-1000.0, -100.0, -88.8, -20.0, 0.0, 20.0, 88.8, 100.0, 1000.0]


def exact_sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def exact_softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


@pytest.mark.parametrize(("name", "value", "slope"), [
    ("sigmoid", exact_sigmoid, lambda x: exact_sigmoid(x) * (1 - exact_sigmoid(x))),
    ("softplus", exact_softplus, exact_sigmoid),
])
def test_sigmoid_and_softplus_at_extremes(name, value, slope):
    x = cr.tensor(EXTREMES, requires_grad=True)
    with no_warnings():
        y = getattr(x, name)()
        y.sum().backward()
    want_y = np.array([value(v) for v in EXTREMES], dtype=np.float32)
    want_grad = np.array([slope(v) for v in EXTREMES], dtype=np.float32)
    assert y.dtype == cr.float32 and x.grad.dtype == cr.float32
    assert np.all(np.isfinite(y.detach().numpy())) and np.all(np.isfinite(x.grad.numpy()))
    np.testing.assert_allclose(y.detach().numpy(), want_y, rtol=1e-6, atol=1e-30)
    # NOTE: atol 1e-8: in float32 σ(20) rounds to 1, so σ(1 − σ) is 0 there, not 2e-9
    # (PyTorch gives the same 0).
    np.testing.assert_allclose(x.grad.numpy(), want_grad, rtol=1e-5, atol=1e-8)


# ---------------------------------------------------------------- float32 through every op


NUMPY_1 = np.lib.NumpyVersion(np.__version__) < "2.0.0"


@pytest.fixture
def raw_gradient_dtypes(monkeypatch):
    """Record (gradient dtype, input dtype) for every gradient a backward returns, before the
    engine casts it to the input's dtype: a backward that upcasts shows here."""
    seen = []
    conform = autograd._conform

    def recording(grad, parent, ctx):
        if np.ndim(grad) == 0 and NUMPY_1:
            # NOTE: NumPy 1.x widens 0-d float32 arithmetic with Python numbers to float64
            # (value-based casting); the engine casts it back, as the check above confirms.
            return conform(grad, parent, ctx)
        seen.append((np.asarray(grad).dtype, parent.dtype, autograd._name(ctx)))
        return conform(grad, parent, ctx)

    monkeypatch.setattr(autograd, "_conform", recording)
    return seen


@pytest.mark.parametrize("spec", DIFFERENTIABLE, ids=lambda spec: spec.name)
def test_float32_stays_float32_through_backward(spec, raw_gradient_dtypes):
    """Every case of every op: float32 gradients, and no backward that computes in float64."""
    for shapes in spec.cases:
        arrays = [a.astype(np.float32) if a.dtype.kind == "f" else a
                  for a in spec.sample(shapes)]
        inputs = to_chainrule(arrays, np.float32)
        outputs = [o for o in as_outputs(spec.op(*inputs)) if o.requires_grad]
        upstream = [np.ones(o.shape, dtype=o.dtype) for o in outputs]
        leaves = [x for x in inputs if x.requires_grad]
        grads = autograd.grad(outputs, leaves, upstream, allow_unused=True)
        assert all(g is None or g.dtype == np.float32 for g in grads), shapes
    for grad_dtype, input_dtype, name in raw_gradient_dtypes:
        assert grad_dtype == input_dtype, f"{name}.backward returned {grad_dtype}"


NUMPY_FLOAT64_SCALAR_OPS = {
    "mul": lambda x: x * np.float64(2.0),
    "rmul": lambda x: np.float64(2.0) * x,
    "add": lambda x: x + np.float64(0.5),
    "rsub": lambda x: np.float64(1.0) - x,
    "div": lambda x: x / np.float64(3.0),
    "rdiv": lambda x: np.float64(3.0) / (x + 2),
    "pow": lambda x: x ** np.float64(2.0),
    "maximum": lambda x: x.maximum(np.float64(1.5)),
    "clamp": lambda x: x.clamp(np.float64(0.5), np.float64(2.5)),
    "where": lambda x: cr.where(x > 1, x, np.float64(0.0)),
    "float32_scalar": lambda x: x * np.float32(2.0),
}


@pytest.mark.parametrize("name", NUMPY_FLOAT64_SCALAR_OPS)
def test_numpy_float64_scalar_does_not_widen_float32(name):
    """The NumPy 2 trap: np.float64(2.0) * float32_array is float64; in PyTorch, and here,
    a scalar never widens a tensor of its kind."""
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = NUMPY_FLOAT64_SCALAR_OPS[name](x)
    assert y.dtype == cr.float32
    y.sum().backward()
    assert x.grad.dtype == cr.float32


# ---------------------------------------------------------------- promotion (PyTorch's rules)

PROMOTIONS = [
    ("python_float", lambda lib: lib.tensor([1.0, 2.0]), "float32"),
    ("python_float_0d", lambda lib: lib.tensor(1.5), "float32"),
    ("python_int", lambda lib: lib.tensor([1, 2]), "int64"),
    ("python_bool", lambda lib: lib.tensor([True]), "bool"),
    ("int_plus_int", lambda lib: lib.tensor([1, 2]) + lib.tensor([3, 4]), "int64"),
    ("int_times_python_int", lambda lib: lib.tensor([1, 2]) * 3, "int64"),
    ("int32_plus_python_int", lambda lib: lib.tensor([1, 2], dtype=lib.int32) + 2, "int32"),
    ("int32_plus_int64", lambda lib: lib.tensor([1], dtype=lib.int32) + lib.tensor([1]),
     "int64"),
    ("int_div_int", lambda lib: lib.tensor([1, 2]) / lib.tensor([2, 4]), "float32"),
    ("int_div_python_int", lambda lib: lib.tensor([1, 2]) / 2, "float32"),
    ("int_times_python_float", lambda lib: lib.tensor([1, 2]) * 2.5, "float32"),
    ("int_plus_float32", lambda lib: lib.tensor([1, 2]) + lib.tensor([0.5, 0.5]), "float32"),
    ("float32_plus_float64",
     lambda lib: lib.tensor([1.0]) + lib.tensor([1.0], dtype=lib.float64), "float64"),
    ("float32_times_python_float", lambda lib: lib.tensor([1.0]) * 1e-3, "float32"),
    ("bool_plus_python_int", lambda lib: lib.tensor([True, False]) + 1, "int64"),
    ("int_floordiv", lambda lib: lib.tensor([7, -7]) // 2, "int64"),
    ("int_mod", lambda lib: lib.tensor([7, -7]) % 3, "int64"),
    ("int_neg", lambda lib: -lib.tensor([1, 2]), "int64"),
    ("int_abs", lambda lib: abs(lib.tensor([-1, 2])), "int64"),
    ("int_pow_int", lambda lib: lib.tensor([1, 2]) ** 2, "int64"),
    ("int_pow_float", lambda lib: lib.tensor([1, 2]) ** 0.5, "float32"),
    ("float_rpow_int", lambda lib: 2.0 ** lib.tensor([1, 2]), "float32"),
    ("int_exp", lambda lib: lib.tensor([1, 2]).exp(), "float32"),
    ("int_sqrt", lambda lib: lib.tensor([1, 4]).sqrt(), "float32"),
    ("int_sum", lambda lib: lib.tensor([1, 2]).sum(), "int64"),
    ("int32_sum", lambda lib: lib.tensor([1, 2], dtype=lib.int32).sum(), "int64"),
    ("int_prod", lambda lib: lib.tensor([1, 2]).prod(), "int64"),
    ("int_amax", lambda lib: lib.tensor([1, 2]).amax(), "int64"),
    ("int_compare", lambda lib: lib.tensor([1, 2]) > 1, "bool"),
    ("float64_compare_float32", lambda lib: lib.tensor([1.0], dtype=lib.float64) < 2.0, "bool"),
    ("argmax", lambda lib: lib.tensor([1.0, 3.0]).argmax(), "int64"),
    ("int_matmul", lambda lib: lib.tensor([[1, 2]]) @ lib.tensor([[3], [4]]), "int64"),
]


@pytest.mark.parametrize(("name", "make", "dtype"), PROMOTIONS, ids=[p[0] for p in PROMOTIONS])
def test_promotion(name, make, dtype):
    assert make(cr).dtype.name == dtype


@pytest.mark.parametrize(("name", "make", "dtype"), PROMOTIONS, ids=[p[0] for p in PROMOTIONS])
def test_promotion_matches_torch(name, make, dtype):
    torch = pytest.importorskip("torch")
    assert str(make(torch).dtype) == f"torch.{make(cr).dtype.name}"


def test_mixed_precision_gradients_keep_each_leaf_dtype():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    b = cr.tensor([3.0, 4.0], dtype=cr.float64, requires_grad=True)
    y = a * b
    assert y.dtype == cr.float64
    y.sum().backward()
    assert a.grad.dtype == cr.float32
    assert b.grad.dtype == cr.float64
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 2.0])


def test_int_results_are_exact():
    x = cr.tensor([2**53 + 1, 7])
    assert (x + 0).tolist() == [2**53 + 1, 7]
    assert (x // 2).tolist() == [(2**53 + 1) // 2, 3]
    assert (cr.tensor([7, -7]) % 3).tolist() == [1, 2]
    assert (cr.tensor([7, -7]) // 2).tolist() == [3, -4]
