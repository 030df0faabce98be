"""Activations, functional and as modules: erf's accuracy, gradients (gradcheck away from kinks),
the conventions at kinks, dtypes, extreme inputs, reprs, and parity with PyTorch (float64,
rtol 1e-7) where torch is installed.

References are NumPy or ``math`` formulas written here, or torch; never the code under test.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F
from chainrule.autograd import Function
from chainrule.nn import activation as nn_act
from chainrule.ops import activation as ops_act


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def _phi(x: np.ndarray) -> np.ndarray:
    """Standard normal CDF from math.erf (the reference)."""
    return np.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in np.ravel(x)]).reshape(
        np.shape(x))


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


# name -> (chainrule function, NumPy reference, kinks to keep away from)
CASES = {
    "relu": (F.relu, lambda x: np.maximum(x, 0), (0.0,)),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x), (0.0,)),
    "elu": (lambda x: F.elu(x, 1.5), lambda x: np.where(x > 0, x, 1.5 * np.expm1(x)), (0.0,)),
    "gelu": (F.gelu, lambda x: x * _phi(x), ()),
    "gelu_tanh": (
        lambda x: F.gelu(x, approximate="tanh"),
        lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))), ()),
    "silu": (F.silu, lambda x: x * _sigmoid(x), ()),
    "sigmoid": (F.sigmoid, _sigmoid, ()),
    "tanh": (F.tanh, np.tanh, ()),
    "softplus": (F.softplus, lambda x: np.log1p(np.exp(x)), ()),
    "softplus_beta": (
        lambda x: F.softplus(x, beta=2.0, threshold=3.0),
        lambda x: np.where(2 * x > 3, x, np.log1p(np.exp(2 * x)) / 2), (1.5,)),
    "relu6": (F.relu6, lambda x: np.clip(x, 0, 6), (0.0, 6.0)),
    "hardtanh": (lambda x: F.hardtanh(x, -0.5, 2.0), lambda x: np.clip(x, -0.5, 2.0), (-0.5, 2.0)),
    "softmax": (lambda x: F.softmax(x, dim=1),
                lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True), ()),
    "log_softmax": (lambda x: F.log_softmax(x, dim=0),
                    lambda x: x - np.log(np.exp(x).sum(0, keepdims=True)), ()),
}


def _away_from_kinks(kinks, shape=(3, 4), seed=0, low=-3.0, high=7.0):
    """Samples in [low, high) at least 0.1 from every kink (R-GRAD-4)."""
    x = np.random.default_rng(seed).uniform(low, high, shape)
    for kink in kinks:
        near = np.abs(x - kink) < 0.1
        x[near] = kink + np.where(x[near] >= kink, 0.1, -0.1) * 2
    return x


# ---------------------------------------------------------------- erf


def test_erf_matches_math_erf_on_a_grid():
    x = np.linspace(-7, 7, 20001)
    want = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(ops_act.erf(x), want, rtol=0, atol=1e-7)
    np.testing.assert_allclose(ops_act.erf(x), want, rtol=0, atol=1e-14)  # the measured bound


def test_erfc_is_relatively_accurate_in_the_tail():
    x = np.linspace(2.0001, 26, 5001)
    want = np.array([math.erfc(v) for v in x])
    np.testing.assert_allclose(ops_act.erfc(x), want, rtol=1e-13, atol=0)
    np.testing.assert_allclose(ops_act.erfc(-x), 2 - want, rtol=1e-15)
    near = np.linspace(0, 2, 2001)  # erfc = 1 − erf here, so only ~1e-12 relative
    np.testing.assert_allclose(ops_act.erfc(near), [math.erfc(v) for v in near], rtol=1e-12)


def test_erf_float32_and_special_values():
    x = np.linspace(-5, 5, 1001).astype(np.float32)
    got = ops_act.erf(x)
    assert got.dtype == np.float32
    want = np.array([math.erf(float(v)) for v in x])
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-7)
    special = ops_act.erf(np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e300]))
    np.testing.assert_array_equal(special[[0, 2, 3, 5]], [0.0, 1.0, -1.0, 1.0])
    assert np.isnan(special[4]) and np.signbit(special[1])


def test_normal_cdf_left_tail_does_not_cancel():
    # Φ(−10) = 7.6198530241605e-24: ½(1 + erf(x/√2)) would give 0 in float64.
    np.testing.assert_allclose(ops_act.normal_cdf(np.array([-10.0])), [7.619853024160527e-24],
                               rtol=1e-12)


# ---------------------------------------------------------------- values and gradients


@pytest.mark.parametrize("name", CASES)
def test_values_match_numpy_reference(name):
    fn, reference, kinks = CASES[name]
    x = _away_from_kinks(kinks, seed=1)
    np.testing.assert_allclose(fn(cr.tensor(x)).numpy(), reference(x), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", CASES)
def test_gradcheck_float64_away_from_kinks(name):
    fn, _, kinks = CASES[name]
    x = cr.tensor(_away_from_kinks(kinks, seed=2), requires_grad=True)
    assert cr.gradcheck(fn, (x,))


@pytest.mark.parametrize("name", CASES)
def test_float32_in_float32_out_and_gradient(name):
    fn, _, _ = CASES[name]
    x = cr.tensor(np.linspace(-4, 8, 12, dtype=np.float32).reshape(3, 4), requires_grad=True)
    y = fn(x)
    y.backward(cr.ones_like(y))
    assert y.dtype == cr.float32 and x.grad.dtype == cr.float32


@pytest.mark.parametrize("name", CASES)
def test_finite_at_plus_minus_1000_in_float32_without_warnings(name):
    fn, _, _ = CASES[name]
    x = cr.tensor(np.array([[-1000.0, 1000.0, 0.5], [1000.0, -1000.0, -0.5]], np.float32),
                  requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = fn(x)
        y.backward(cr.ones_like(y))
    assert np.all(np.isfinite(y.detach().numpy()))
    assert np.all(np.isfinite(x.grad.numpy()))


def test_conventions_at_kinks():
    """relu'(0) = 0, leaky'(0) = slope, elu'(0) = alpha, hardtanh/relu6 have gradient 0 at
    their bounds (PyTorch's choices)."""
    def grad_at(fn, points):
        x = cr.tensor(points, dtype=cr.float64, requires_grad=True)
        fn(x).sum().backward()
        return x.grad.numpy()

    np.testing.assert_array_equal(grad_at(F.relu, [0.0]), [0.0])
    np.testing.assert_array_equal(grad_at(lambda x: F.leaky_relu(x, 0.3), [0.0]), [0.3])
    np.testing.assert_array_equal(grad_at(lambda x: F.elu(x, 2.5), [0.0]), [2.5])
    np.testing.assert_array_equal(grad_at(F.relu6, [0.0, 3.0, 6.0]), [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(grad_at(F.hardtanh, [-1.0, 0.0, 1.0]), [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(grad_at(lambda x: F.softplus(x, 1.0, 20.0), [21.0]), [1.0])


def test_fused_gelu_matches_its_composite():
    """Gelu (one node) against 0.5·x·(1 + erf(x/√2)) built from ops, with erf's textbook
    derivative 2/√π·e^(−x²) written here."""

    class Erf(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return ops_act.erf(x)

        @staticmethod
        def backward(ctx, grad_out):
            (x,) = ctx.saved
            return grad_out * 2 / math.sqrt(math.pi) * np.exp(-x * x)

    values = np.random.default_rng(3).normal(0, 2, (4, 5))
    upstream = np.random.default_rng(4).standard_normal((4, 5))
    fused_x = cr.tensor(values, requires_grad=True)
    composite_x = cr.tensor(values, requires_grad=True)
    fused = F.gelu(fused_x)
    composite = composite_x * 0.5 * (Erf.apply(composite_x * (1 / math.sqrt(2))) + 1.0)
    fused.backward(upstream)
    composite.backward(upstream)
    np.testing.assert_allclose(fused.detach().numpy(), composite.detach().numpy(), rtol=1e-12,
                               atol=1e-15)
    np.testing.assert_allclose(fused_x.grad.numpy(), composite_x.grad.numpy(), rtol=1e-12,
                               atol=1e-15)


def test_integer_inputs_give_float32():
    x = cr.tensor([-2, 0, 3])
    for fn in (F.gelu, F.silu, F.elu, F.leaky_relu, F.softplus, F.hardtanh):
        assert fn(x).dtype == cr.float32


def test_softmax_dim_dtype_and_implicit_dim():
    x = cr.tensor(np.arange(6.0).reshape(2, 3), dtype=cr.float32)
    assert F.softmax(x, dim=1, dtype=cr.float64).dtype == cr.float64
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        implicit = F.softmax(x)
    np.testing.assert_allclose(implicit.numpy(), F.softmax(x, 1).numpy())
    with pytest.warns(UserWarning, match="log_softmax"):
        implicit = F.log_softmax(cr.tensor([1.0, 2.0]))
    np.testing.assert_allclose(implicit.numpy(), F.log_softmax(cr.tensor([1.0, 2.0]), 0).numpy())


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        F.gelu(cr.ones(2), approximate="erf")
    with pytest.raises(ValueError, match="min_val"):
        F.hardtanh(cr.ones(2), 1.0, -1.0)
    with pytest.raises(ValueError, match="approximate"):
        nn_act.GELU("fast")


# ---------------------------------------------------------------- modules


MODULES = [
    (nn_act.ReLU(), "ReLU()", F.relu),
    (nn_act.ReLU(inplace=True), "ReLU(inplace=True)", F.relu),
    (nn_act.LeakyReLU(0.2), "LeakyReLU(negative_slope=0.2)", lambda x: F.leaky_relu(x, 0.2)),
    (nn_act.ELU(alpha=2.0, inplace=True), "ELU(alpha=2.0, inplace=True)",
     lambda x: F.elu(x, 2.0)),
    (nn_act.GELU(), "GELU(approximate='none')", F.gelu),
    (nn_act.GELU("tanh"), "GELU(approximate='tanh')", lambda x: F.gelu(x, approximate="tanh")),
    (nn_act.SiLU(), "SiLU()", F.silu),
    (nn_act.Sigmoid(), "Sigmoid()", F.sigmoid),
    (nn_act.Tanh(), "Tanh()", F.tanh),
    (nn_act.Softplus(2, 10), "Softplus(beta=2, threshold=10)", lambda x: F.softplus(x, 2, 10)),
    (nn_act.Softmax(dim=1), "Softmax(dim=1)", lambda x: F.softmax(x, 1)),
    (nn_act.LogSoftmax(dim=-1), "LogSoftmax(dim=-1)", lambda x: F.log_softmax(x, -1)),
    (nn_act.ReLU6(), "ReLU6()", F.relu6),
    (nn_act.Hardtanh(-2, 3, True), "Hardtanh(min_val=-2, max_val=3, inplace=True)",
     lambda x: F.hardtanh(x, -2, 3)),
]
MODULE_IDS = [text for _, text, _ in MODULES]  # the reprs: the same in every process


@pytest.mark.parametrize(("module", "text", "functional"), MODULES, ids=MODULE_IDS)
def test_module_repr_and_thin_wrapper(module, text, functional):
    assert repr(module) == text
    x = cr.tensor(np.random.default_rng(5).normal(0, 3, (2, 3)))
    want = functional(x.clone()).numpy()
    got = module(x)
    np.testing.assert_array_equal(got.numpy(), want)
    assert (got is x) == getattr(module, "inplace", False)  # inplace=True: x itself, changed
    assert list(module.parameters()) == [] and module.state_dict() == {}


def test_softmax_module_without_dim_warns_like_torch():
    with pytest.warns(UserWarning, match="Implicit dimension"):
        out = nn_act.Softmax()(cr.zeros(2, 4))
    np.testing.assert_allclose(out.numpy(), 0.25)


# ---------------------------------------------------------------- parity with PyTorch


TORCH_PAIRS = {
    "relu": ("relu", {}), "leaky_relu": ("leaky_relu", {"negative_slope": 0.2}),
    "elu": ("elu", {"alpha": 1.5}), "gelu": ("gelu", {}),
    "gelu_tanh": ("gelu", {"approximate": "tanh"}), "silu": ("silu", {}),
    "sigmoid": ("sigmoid", {}), "tanh": ("tanh", {}), "softplus": ("softplus", {}),
    "softplus_beta": ("softplus", {"beta": 2.0, "threshold": 3.0}), "relu6": ("relu6", {}),
    "hardtanh": ("hardtanh", {"min_val": -0.5, "max_val": 2.0}),
    "softmax": ("softmax", {"dim": 1}), "log_softmax": ("log_softmax", {"dim": 0}),
}


@pytest.mark.parametrize("name", CASES)
def test_matches_torch_in_float64_including_kinks(name, torch):
    fn, _, kinks = CASES[name]
    torch_name, kwargs = TORCH_PAIRS[name]
    values = np.random.default_rng(6).uniform(-4, 8, (5, 6))
    values[0, : len(kinks)] = kinks  # the conventions at kinks must agree too
    values[1, :3] = [-30.0, 25.0, 1e-9]
    upstream = np.random.default_rng(7).standard_normal((5, 6))
    ours_x = cr.tensor(values, requires_grad=True)
    theirs_x = torch.tensor(values, requires_grad=True)
    ours = fn(ours_x)
    theirs = getattr(torch.nn.functional, torch_name)(theirs_x, **kwargs)
    ours.backward(upstream)
    theirs.backward(torch.tensor(upstream))
    # atol: at x = −30 torch's GELU cancels to −0.0; ours keeps the true −1.5e-196.
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-7,
                               atol=1e-15)
    np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=1e-7,
                               atol=1e-15)


@pytest.mark.parametrize(("module", "text", "functional"), MODULES, ids=MODULE_IDS)
def test_module_repr_matches_torch(module, text, functional, torch):
    theirs = eval("torch.nn." + text, {"torch": torch})  # noqa: S307 - our own fixed strings
    assert repr(theirs) == text
