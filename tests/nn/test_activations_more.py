"""The activations added for issue 12 (celu, selu, mish, logsigmoid, softmin, glu, the
piecewise family and prelu), functional and as modules: values against NumPy references
written here (random inputs and extremes), float64 gradchecks away from kinks, the gradients
at the kinks, parity with PyTorch (float64, values and gradients, kinks and ±50 included),
module ↔ functional equality, reprs, PReLU's parameter, and the errors.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F
import chainrule.nn as nn
from tests.optional import needs_torch, torch

SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _sigmoid(x):
    return np.exp(-np.logaddexp(0.0, -x))


def _softmin(x, axis):
    z = -x - np.max(-x, axis=axis, keepdims=True)
    return np.exp(z) / np.exp(z).sum(axis=axis, keepdims=True)


# name -> (chainrule functional, its module, NumPy reference, kinks, torch functional)
CASES = {
    "celu": (lambda x: F.celu(x, 1.5), lambda: nn.CELU(1.5),
             lambda x: np.where(x > 0, x, 1.5 * np.expm1(np.minimum(x, 0) / 1.5)), (0.0,),
             lambda t: torch.nn.functional.celu(t, 1.5)),
    "selu": (F.selu, nn.SELU,
             lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0))),
             (0.0,), lambda t: torch.nn.functional.selu(t)),
    "mish": (F.mish, nn.Mish, lambda x: x * np.tanh(np.logaddexp(0.0, x)), (),
             lambda t: torch.nn.functional.mish(t)),
    "logsigmoid": (F.logsigmoid, nn.LogSigmoid, lambda x: -np.logaddexp(0.0, -x), (),
                   lambda t: torch.nn.functional.logsigmoid(t)),
    "softmin": (lambda x: F.softmin(x, dim=1), lambda: nn.Softmin(dim=1),
                lambda x: _softmin(x, 1), (), lambda t: torch.nn.functional.softmin(t, dim=1)),
    "glu": (lambda x: F.glu(x, 1), lambda: nn.GLU(1),
            lambda x: x[:, :2] * _sigmoid(x[:, 2:]), (), lambda t: torch.nn.functional.glu(t, 1)),
    "hardsigmoid": (F.hardsigmoid, nn.Hardsigmoid, lambda x: np.clip(x / 6 + 0.5, 0, 1),
                    (-3.0, 3.0), lambda t: torch.nn.functional.hardsigmoid(t)),
    "hardswish": (F.hardswish, nn.Hardswish, lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
                  (-3.0, 3.0), lambda t: torch.nn.functional.hardswish(t)),
    "softsign": (F.softsign, nn.Softsign, lambda x: x / (1 + np.abs(x)), (),
                 lambda t: torch.nn.functional.softsign(t)),
    "tanhshrink": (F.tanhshrink, nn.Tanhshrink, lambda x: x - np.tanh(x), (),
                   lambda t: torch.nn.functional.tanhshrink(t)),
    "softshrink": (lambda x: F.softshrink(x, 0.75), lambda: nn.Softshrink(0.75),
                   lambda x: np.sign(x) * np.maximum(np.abs(x) - 0.75, 0), (-0.75, 0.75),
                   lambda t: torch.nn.functional.softshrink(t, 0.75)),
    "hardshrink": (lambda x: F.hardshrink(x, 0.75), lambda: nn.Hardshrink(0.75),
                   lambda x: np.where(np.abs(x) > 0.75, x, 0.0), (-0.75, 0.75),
                   lambda t: torch.nn.functional.hardshrink(t, 0.75)),
    "threshold": (lambda x: F.threshold(x, 0.5, -2.0), lambda: nn.Threshold(0.5, -2.0),
                  lambda x: np.where(x > 0.5, x, -2.0), (0.5,),
                  lambda t: torch.nn.functional.threshold(t, 0.5, -2.0)),
}

EXTREMES = np.array([[-50.0, 50.0, 0.0, -3.0], [3.0, -0.75, 0.75, 0.5],
                     [-1e-3, 1e-3, 20.0, -20.0]])


def _away_from_kinks(kinks, shape=(3, 4), seed=0, low=-5.0, high=5.0):
    """Samples in [low, high) at least 0.2 from every kink."""
    x = np.random.default_rng(seed).uniform(low, high, shape)
    for kink in kinks:
        near = np.abs(x - kink) < 0.2
        x[near] = kink + np.where(x[near] >= kink, 0.4, -0.4)
    return x


@pytest.mark.parametrize("name", CASES)
def test_values_match_numpy_reference(name):
    fn, _, reference, kinks, _ = CASES[name]
    for x in (_away_from_kinks(kinks, seed=1), EXTREMES):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = fn(cr.tensor(x)).numpy()
        np.testing.assert_allclose(got, reference(x), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", CASES)
def test_gradcheck_float64_away_from_kinks(name):
    fn, _, _, kinks, _ = CASES[name]
    x = cr.tensor(_away_from_kinks(kinks, seed=2), requires_grad=True)
    assert cr.gradcheck(fn, (x,))


@pytest.mark.parametrize("name", CASES)
def test_module_equals_functional(name):
    fn, module, _, _, _ = CASES[name]
    x = cr.tensor(_away_from_kinks((), seed=3).astype(np.float32))
    np.testing.assert_array_equal(module()(x).numpy(), fn(x).numpy())
    assert module()(x).dtype == cr.float32


@pytest.mark.parametrize("name", CASES)
def test_finite_and_float32_at_extremes(name):
    fn, _, _, _, _ = CASES[name]
    x = cr.tensor(np.array([[-1000.0, 1000.0, 0.0, 50.0], [-50.0, 3.0, -3.0, 0.5]], np.float32),
                  requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = fn(x)
        y.backward(cr.ones_like(y))
    assert y.dtype == cr.float32 and x.grad.dtype == cr.float32
    assert np.all(np.isfinite(y.detach().numpy())) and np.all(np.isfinite(x.grad.numpy()))


def _grad_at(fn, points):
    x = cr.tensor(points, dtype=cr.float64, requires_grad=True)
    fn(x).sum().backward()
    return x.grad.numpy()


def test_conventions_at_kinks():
    """Hand-derived gradients at the kinks (the same choices as PyTorch's, checked below)."""
    np.testing.assert_allclose(_grad_at(F.hardsigmoid, [-3.0, 0.0, 3.0]), [0.0, 1 / 6, 0.0])
    np.testing.assert_allclose(_grad_at(F.hardswish, [-3.0, 0.0, 3.0]), [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(_grad_at(lambda x: F.softshrink(x, 0.5), [-0.5, 0.5]), [0, 0])
    np.testing.assert_array_equal(_grad_at(lambda x: F.hardshrink(x, 0.5), [-0.5, 0.5]), [0, 0])
    np.testing.assert_array_equal(_grad_at(lambda x: F.threshold(x, 1.0, 9.0), [1.0]), [0.0])
    np.testing.assert_allclose(_grad_at(lambda x: F.celu(x, 2.0), [0.0]), [1.0])
    np.testing.assert_allclose(_grad_at(F.selu, [0.0]), [SELU_SCALE * SELU_ALPHA])
    np.testing.assert_allclose(_grad_at(F.mish, [0.0]), [0.6])
    np.testing.assert_allclose(_grad_at(F.softsign, [0.0]), [1.0])


def test_logsigmoid_is_stable_far_out():
    x = cr.tensor([-1000.0, 1000.0, -50.0], dtype=cr.float64, requires_grad=True)
    y = F.logsigmoid(x)
    y.sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), [-1000.0, -0.0, -50.0 - np.log1p(np.exp(-50.0))])
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 0.0, 1.0 - np.exp(-50.0)], rtol=1e-15)


def test_softmin_is_softmax_of_minus_x_and_implicit_dim_warns():
    x = cr.tensor(np.random.default_rng(5).normal(0, 300, (2, 5)))
    np.testing.assert_allclose(F.softmin(x, 1).numpy(), F.softmax(-x, 1).numpy(), rtol=1e-15)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        out = nn.Softmin()(x)
    np.testing.assert_allclose(out.numpy(), _softmin(x.numpy(), 1), rtol=1e-12)
    assert F.softmin(x, 0, dtype=cr.float32).dtype == cr.float32


def test_integer_inputs_give_float32():
    x = cr.tensor([-4, 0, 2])
    for name in ("celu", "selu", "mish", "logsigmoid", "hardsigmoid", "hardswish", "softsign",
                 "tanhshrink", "softshrink", "hardshrink", "threshold"):
        assert CASES[name][0](x).dtype == cr.float32, name


# ---------------------------------------------------------------- errors


def test_errors_name_the_problem():
    x = cr.tensor(np.zeros((2, 3)))
    with pytest.raises(RuntimeError, match="celu: alpha cannot be 0"):
        F.celu(x, 0.0)
    with pytest.raises(RuntimeError, match="softshrink: lambd must be non-negative, got -1"):
        F.softshrink(x, -1.0)
    with pytest.raises(RuntimeError, match="halving dimension must be even.*dimension 1 is "
                                           "size 3"):
        F.glu(x, 1)
    with pytest.raises(RuntimeError, match="glu: a 0-dimensional tensor"):
        F.glu(cr.tensor(1.0))
    with pytest.raises(IndexError, match="dimension 2 is out of range"):
        F.glu(x, 2)
    with pytest.raises(RuntimeError, match="prelu: weight has 4 slopes but the input has 3 "
                                           "channels"):
        F.prelu(x, cr.tensor(np.ones(4)))
    with pytest.raises(RuntimeError, match="prelu: weight has 3 slopes but the input has 1 "):
        F.prelu(cr.tensor(np.zeros(3)), cr.tensor(np.ones(3)))
    with pytest.raises(RuntimeError, match="prelu: weight must be a 0-d or 1-d tensor, got 2"):
        F.prelu(x, cr.tensor(np.ones((1, 3))))
    with pytest.raises(ValueError, match="PReLU: num_parameters must be a positive int, got 0"):
        nn.PReLU(0)


# ---------------------------------------------------------------- PReLU


def test_prelu_parameter_and_values():
    layer = nn.PReLU(3, init=0.1)
    assert list(layer.state_dict()) == ["weight"] and layer.weight.shape == (3,)
    assert layer.weight.dtype == cr.float32 and layer.weight.requires_grad
    np.testing.assert_array_equal(layer.weight.detach().numpy(), np.full(3, 0.1, np.float32))
    assert repr(layer) == "PReLU(num_parameters=3)"
    assert nn.PReLU(dtype=cr.float64).weight.dtype == cr.float64
    layer.weight.data[...] = [0.5, -1.0, 2.0]
    x = np.random.default_rng(6).standard_normal((2, 3, 4)).astype(np.float32)
    want = np.where(x > 0, x, x * np.array([0.5, -1.0, 2.0], np.float32)[:, None])
    np.testing.assert_allclose(layer(cr.tensor(x)).detach().numpy(), want, rtol=1e-7)
    np.testing.assert_array_equal(layer(cr.tensor(x)).detach().numpy(),
                                  F.prelu(cr.tensor(x), layer.weight).detach().numpy())
    layer.reset_parameters()
    np.testing.assert_array_equal(layer.weight.detach().numpy(), np.full(3, 0.1, np.float32))


def test_prelu_gradcheck_and_gradient_at_zero():
    x = cr.tensor(_away_from_kinks((0.0,), (2, 3, 2), seed=7), requires_grad=True)
    w = cr.tensor([0.3, -0.2, 1.5], requires_grad=True)
    assert cr.gradcheck(F.prelu, (x, w))
    x0 = cr.tensor([[0.0, -2.0]], dtype=cr.float64, requires_grad=True)
    w0 = cr.tensor([0.25], dtype=cr.float64, requires_grad=True)
    F.prelu(x0, w0).sum().backward()
    np.testing.assert_array_equal(x0.grad.numpy(), [[0.25, 0.25]])  # the slope at 0
    np.testing.assert_array_equal(w0.grad.numpy(), [-2.0])  # x = 0 adds 0 to Σ x·G


# ---------------------------------------------------------------- PyTorch parity


def _torch_parity(ours_fn, theirs_fn, *arrays):
    upstream = None
    results = []
    for make, fn in ((cr.tensor, ours_fn), (torch.tensor, theirs_fn)):
        inputs = [make(a, requires_grad=True) for a in arrays]
        out = fn(*inputs)
        if upstream is None:
            upstream = np.random.default_rng(8).standard_normal(tuple(out.shape))
        out.backward(make(upstream))
        results.append((out.detach().numpy(), [i.grad.numpy() for i in inputs]))
    (mine, my_grads), (theirs, their_grads) = results
    np.testing.assert_allclose(mine, theirs, rtol=1e-7, atol=1e-14)
    for a, b in zip(my_grads, their_grads):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-14)


@needs_torch
@pytest.mark.parametrize("name", CASES)
def test_torch_parity_values_and_gradients_kinks_included(name):
    fn, _, _, _, theirs = CASES[name]
    x = np.concatenate([_away_from_kinks((), seed=9), EXTREMES])
    _torch_parity(fn, theirs, x)


@needs_torch
@pytest.mark.parametrize(("shape", "channels"), [
    ((2, 3, 4), 1), ((2, 3, 4), 3), ((2, 3), 1), ((2, 3), 3), ((5,), 1), ((), 1)])
def test_torch_parity_prelu(shape, channels):
    x = np.random.default_rng(10).standard_normal(shape)
    w = np.random.default_rng(11).uniform(-1, 1, channels)
    _torch_parity(F.prelu, torch.nn.functional.prelu, x, w)


@needs_torch
def test_prelu_module_matches_torch_module():
    ours, theirs = nn.PReLU(4, init=0.3), torch.nn.PReLU(4, init=0.3)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        assert ours.state_dict()[key].shape == tuple(value.shape)
        np.testing.assert_array_equal(ours.state_dict()[key].detach().numpy(), value.numpy())
    assert repr(ours) == repr(theirs)


@needs_torch
def test_reprs_and_signatures_match_torch():
    import inspect

    pairs = ["CELU(2.0)", "CELU(inplace=True)", "SELU(True)", "Mish()", "Mish(inplace=True)",
             "LogSigmoid()", "Softmin(dim=1)", "Softmin()", "GLU()", "GLU(0)", "Hardsigmoid(True)",
             "Hardswish(True)", "Softsign()", "Tanhshrink()", "Softshrink(0.25)", "Hardshrink()",
             "Threshold(0.1, 2.0)", "Threshold(0.1, 2.0, True)", "PReLU()"]
    for text in pairs:
        assert repr(eval("nn." + text)) == repr(eval("torch.nn." + text)), text
    for name in ("CELU", "SELU", "Mish", "Softmin", "GLU", "Hardsigmoid", "Hardswish",
                 "Softshrink", "Hardshrink", "Threshold", "PReLU"):
        ours = inspect.signature(getattr(nn, name)).parameters
        theirs = inspect.signature(getattr(torch.nn, name)).parameters
        assert [(p, ours[p].default) for p in ours] == \
            [(p, theirs[p].default) for p in theirs], name
    for name in ("celu", "selu", "mish", "softmin", "glu", "hardsigmoid", "hardswish",
                 "threshold"):
        ours = inspect.signature(getattr(F, name)).parameters
        theirs = inspect.signature(getattr(torch.nn.functional, name)).parameters
        assert [(p, ours[p].default) for p in ours] == \
            [(p, theirs[p].default) for p in theirs], name


def test_nn_functional_is_functional_and_exports_the_new_names():
    import chainrule.nn.functional as nn_functional

    assert nn_functional is F and cr.nn.functional is F
    names = {"prelu", "mish", "hardswish", "hardsigmoid", "softsign", "logsigmoid", "softmin",
             "glu", "selu", "celu", "tanhshrink", "softshrink", "hardshrink", "threshold",
             "normalize", "cosine_similarity", "pairwise_distance", "one_hot",
             "margin_ranking_loss", "triplet_margin_loss", "cosine_embedding_loss",
             "poisson_nll_loss", "gaussian_nll_loss", "hinge_embedding_loss",
             "soft_margin_loss", "multilabel_soft_margin_loss", "multi_margin_loss"}
    assert names <= set(F.__all__) and all(callable(getattr(nn_functional, n)) for n in names)
    modules = {"PReLU", "Mish", "Hardswish", "Hardsigmoid", "Softsign", "LogSigmoid", "Softmin",
               "GLU", "Tanhshrink", "Softshrink", "Hardshrink", "Threshold", "CELU", "SELU",
               "CosineSimilarity", "PairwiseDistance", "MarginRankingLoss", "TripletMarginLoss",
               "CosineEmbeddingLoss", "PoissonNLLLoss", "GaussianNLLLoss", "HingeEmbeddingLoss",
               "SoftMarginLoss", "MultiLabelSoftMarginLoss", "MultiMarginLoss"}
    assert modules <= set(nn.__all__)
    assert all(issubclass(getattr(nn, name), nn.Module) for name in modules)
