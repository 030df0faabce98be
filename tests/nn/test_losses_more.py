"""The losses added for issue 12 (margin ranking, hinge embedding, soft margin, multi-label
soft margin, cosine embedding, triplet margin, multi margin, Poisson and Gaussian NLL):
values against NumPy references written here, float64 gradchecks, parity with PyTorch
(float64, values and gradients, every reduction and option), module ↔ functional equality,
constructor signatures against PyTorch (the existing losses' too), and the errors.
"""

from __future__ import annotations

import inspect
import math
import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F
import chainrule.nn as nn
from tests.optional import needs_torch, torch

RNG = np.random.default_rng(3)
REDUCTIONS = ["mean", "sum", "none"]
N, C = 6, 5


def _reduced(loss, reduction):
    return {"none": loss, "sum": loss.sum(), "mean": loss.mean()}[reduction]


def _signs(shape, seed):
    return np.random.default_rng(seed).choice([-1.0, 1.0], shape)


def _log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


# ---------------------------------------------------------------- the cases
# name -> (arrays, differentiable flags, call(module, *tensors, reduction), NumPy reference
#          of the unreduced loss from the arrays)

X1, X2 = RNG.standard_normal(N), RNG.standard_normal(N)
Y = _signs(N, 1)
EMB1, EMB2, EMB3 = (RNG.standard_normal((N, C)) for _ in range(3))
LABELS01 = RNG.integers(0, 2, (N, C)).astype(float)
CLASS_WEIGHT = RNG.uniform(0.5, 2.0, C)
CLASSES = RNG.integers(0, C, N)
COUNTS = np.array([0.0, 1.0, 2.5, 7.0, 3.0, 0.5])
RATES = RNG.uniform(0.1, 3.0, N)
VAR = RNG.uniform(0.2, 2.0, (N, C))


def _cosine_loss(a, b, y, margin):
    cos = (a * b).sum(1) / np.sqrt(((a * a).sum(1) + 1e-12) * ((b * b).sum(1) + 1e-12))
    return np.where(y == 1, 1 - cos, 0) + np.where(y == -1, np.maximum(cos - margin, 0), 0)


def _triplet(a, p, n, margin, norm_p, swap, eps=1e-6):
    def dist(u, v):
        return (np.abs(u - v + eps) ** norm_p).sum(-1) ** (1 / norm_p)
    negative = np.minimum(dist(a, n), dist(p, n)) if swap else dist(a, n)
    return np.maximum(dist(a, p) - negative + margin, 0)


def _multi_margin(x, t, p, margin, weight):
    picked = x[np.arange(len(t)), t][:, None]
    hinge = np.maximum(margin - picked + x, 0) ** p
    hinge[np.arange(len(t)), t] = 0
    w = np.ones(x.shape[1]) if weight is None else weight
    return (hinge * w[t][:, None]).sum(1) / x.shape[1]


def _poisson(x, y, log_input, full, eps=1e-8):
    loss = np.exp(x) - y * x if log_input else x - y * np.log(x + eps)
    if full:
        safe = np.where(y > 1, y, 1.0)
        loss = loss + np.where(y > 1, safe * np.log(safe) - safe + 0.5 * np.log(2 * np.pi * safe),
                               0)
    return loss


def _gaussian(x, y, var, full, eps=1e-6):
    var = np.maximum(var, eps)
    return 0.5 * (np.log(var) + (x - y) ** 2 / var) + (0.5 * math.log(2 * math.pi) if full else 0)


CASES = {
    "margin_ranking": (
        [X1, X2, Y], [True, True, False],
        lambda m, a, b, y, r: m.margin_ranking_loss(a, b, y, margin=0.3, reduction=r),
        lambda: np.maximum(-Y * (X1 - X2) + 0.3, 0)),
    "hinge_embedding": (
        [X1 * 2, np.array([1.0, -1.0, 1.0, -1.0, 0.0, -1.0])], [True, False],
        lambda m, x, y, r: m.hinge_embedding_loss(x, y, margin=0.8, reduction=r),
        lambda: np.array([1, 0, 1, 0, 1, 0]) * X1 * 2
        + np.array([0, 1, 0, 1, 1, 1]) * np.maximum(0.8 - X1 * 2, 0)),
    "soft_margin": (
        [EMB1 * 3, _signs((N, C), 2)], [True, False],
        lambda m, x, y, r: m.soft_margin_loss(x, y, reduction=r),
        lambda: np.logaddexp(0, -_signs((N, C), 2) * EMB1 * 3)),
    "multilabel_soft_margin": (
        [EMB1, LABELS01], [True, True],
        lambda m, x, y, r: m.multilabel_soft_margin_loss(x, y, reduction=r),
        lambda: -(LABELS01 * _log_sigmoid(EMB1) + (1 - LABELS01) * _log_sigmoid(-EMB1)).mean(1)),
    "multilabel_soft_margin_weighted": (
        [EMB1, LABELS01, CLASS_WEIGHT], [True, False, False],
        lambda m, x, y, w, r: m.multilabel_soft_margin_loss(x, y, weight=w, reduction=r),
        lambda: -(CLASS_WEIGHT * (LABELS01 * _log_sigmoid(EMB1)
                                  + (1 - LABELS01) * _log_sigmoid(-EMB1))).mean(1)),
    "cosine_embedding": (
        [EMB1, EMB2, Y], [True, True, False],
        lambda m, a, b, y, r: m.cosine_embedding_loss(a, b, y, margin=-0.2, reduction=r),
        lambda: _cosine_loss(EMB1, EMB2, Y, -0.2)),
    "poisson_log": (
        [RNG.standard_normal(N), COUNTS], [True, True],
        lambda m, x, y, r: m.poisson_nll_loss(x, y, reduction=r),
        lambda: _poisson(CASES["poisson_log"][0][0], COUNTS, True, False)),
    "poisson_rate_full": (
        [RATES, COUNTS], [True, False],
        lambda m, x, y, r: m.poisson_nll_loss(x, y, log_input=False, full=True, reduction=r),
        lambda: _poisson(RATES, COUNTS, False, True)),
    "poisson_log_full": (
        [RNG.standard_normal(N), COUNTS], [True, False],
        lambda m, x, y, r: m.poisson_nll_loss(x, y, log_input=True, full=True, reduction=r),
        lambda: _poisson(CASES["poisson_log_full"][0][0], COUNTS, True, True)),
    "gaussian": (
        [EMB1, EMB2, VAR], [True, True, True],
        lambda m, x, y, v, r: m.gaussian_nll_loss(x, y, v, reduction=r),
        lambda: _gaussian(EMB1, EMB2, VAR, False)),
    "gaussian_full_tiny_var": (
        [EMB1, EMB2, np.where(VAR > 1.5, 1e-9, VAR)], [True, True, True],
        lambda m, x, y, v, r: m.gaussian_nll_loss(x, y, v, full=True, reduction=r),
        lambda: _gaussian(EMB1, EMB2, np.where(VAR > 1.5, 1e-9, VAR), True)),
    "gaussian_var_without_last_dim": (
        [EMB1, EMB2, VAR[:, 0]], [True, True, True],
        lambda m, x, y, v, r: m.gaussian_nll_loss(x, y, v, reduction=r),
        lambda: _gaussian(EMB1, EMB2, VAR[:, :1], False)),
    "gaussian_var_size_one_dim": (
        [EMB1, EMB2, VAR[:1]], [True, True, True],
        lambda m, x, y, v, r: m.gaussian_nll_loss(x, y, v, reduction=r),
        lambda: _gaussian(EMB1, EMB2, VAR[:1], False)),
}
for _p in (1, 2, 3):
    for _swap in (False, True):
        CASES[f"triplet_p{_p}_swap{_swap}"] = (
            [EMB1, EMB2, EMB3], [True, True, True],
            lambda m, a, b, c, r, p=_p, s=_swap: m.triplet_margin_loss(
                a, b, c, margin=0.7, p=p, swap=s, reduction=r),
            lambda p=_p, s=_swap: _triplet(EMB1, EMB2, EMB3, 0.7, p, s))
for _p in (1, 2):
    for _weighted in (False, True):
        CASES[f"multi_margin_p{_p}_w{_weighted}"] = (
            [EMB1, CLASSES] + ([CLASS_WEIGHT] if _weighted else []),
            [True, False] + ([False] if _weighted else []),
            lambda m, x, t, *w, r, p=_p: m.multi_margin_loss(
                x, t, p=p, margin=0.9, weight=w[0] if w else None, reduction=r),
            lambda p=_p, w=_weighted: _multi_margin(EMB1, CLASSES, p, 0.9,
                                                    CLASS_WEIGHT if w else None))


def _call(name, module, tensors, reduction):
    return CASES[name][2](module, *tensors, r=reduction)


# ---------------------------------------------------------------- values and gradients


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", CASES)
def test_values_match_numpy_reference(name, reduction):
    arrays, _, _, reference = CASES[name]
    got = _call(name, F, [cr.tensor(a) for a in arrays], reduction)
    np.testing.assert_allclose(got.numpy(), _reduced(reference(), reduction), rtol=1e-12,
                               atol=1e-15)


# Inputs whose gradient is by design not the finite-difference derivative: a variance below
# eps is floored outside autograd (PyTorch's rule), so its gradient is taken at the floor.
NOT_A_DERIVATIVE = {("gaussian_full_tiny_var", 2)}


@pytest.mark.parametrize("name", CASES)
def test_gradcheck_float64(name):
    arrays, differentiable, _, _ = CASES[name]
    tensors = [cr.tensor(a, requires_grad=d and (name, i) not in NOT_A_DERIVATIVE)
               for i, (a, d) in enumerate(zip(arrays, differentiable))]
    assert cr.gradcheck(lambda *t: _call(name, F, list(t), "none"), tensors)


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", CASES)
def test_torch_parity_values_and_gradients(name, reduction):
    arrays, differentiable, _, _ = CASES[name]
    results, upstream = [], None
    for make, module in ((cr.tensor, F), (torch.tensor, torch.nn.functional)):
        tensors = [make(a, requires_grad=d) for a, d in zip(arrays, differentiable)]
        out = _call(name, module, tensors, reduction)
        if upstream is None:
            upstream = RNG.standard_normal(tuple(out.shape))
        out.backward(make(upstream))
        results.append((out.detach().numpy(), [t.grad.numpy() for t, d in
                                               zip(tensors, differentiable) if d]))
    (mine, my_grads), (theirs, their_grads) = results
    assert mine.shape == theirs.shape
    np.testing.assert_allclose(mine, theirs, rtol=1e-7, atol=1e-14)
    for a, b in zip(my_grads, their_grads):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-12)


# ---------------------------------------------------------------- edge values


def test_soft_margin_and_multilabel_stay_finite_far_out():
    x = cr.tensor([[-1000.0, 1000.0, 50.0, -50.0]], dtype=cr.float64, requires_grad=True)
    y = cr.tensor([[1.0, -1.0, 1.0, -1.0]], dtype=cr.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.soft_margin_loss(x, y, reduction="none")
        loss.sum().backward()
    np.testing.assert_allclose(loss.detach().numpy(),
                               [[1000.0, 1000.0, np.log1p(np.exp(-50.0)), np.log1p(np.exp(-50))]],
                               rtol=1e-15)
    np.testing.assert_allclose(x.grad.numpy(), [[-1.0, 1.0, -np.exp(-50.0), np.exp(-50.0)]],
                               rtol=1e-12)
    labels = cr.tensor([[1.0, 0.0, 1.0, 0.0]], dtype=cr.float64)
    multi = F.multilabel_soft_margin_loss(x.detach(), labels, reduction="none")
    np.testing.assert_allclose(multi.numpy(), [(1000 + 1000 + 2 * np.log1p(np.exp(-50))) / 4])


def test_hinge_kinks_pass_the_gradient_as_torch_clamp_min():
    """max(0, m − x) at x = m: the gradient flows (clamp_min's bounds-included rule)."""
    x = cr.tensor([1.0, 0.0], dtype=cr.float64, requires_grad=True)
    F.hinge_embedding_loss(x, cr.tensor([-1.0, 1.0]), margin=1.0, reduction="sum").backward()
    np.testing.assert_array_equal(x.grad.numpy(), [-1.0, 1.0])
    x1 = cr.tensor([1.0], dtype=cr.float64, requires_grad=True)
    F.margin_ranking_loss(x1, cr.tensor([1.0], dtype=cr.float64),
                          cr.tensor([1.0], dtype=cr.float64)).backward()
    np.testing.assert_array_equal(x1.grad.numpy(), [-1.0])


@needs_torch
def test_hinge_kinks_match_torch():
    def grads(module, make):
        x = make([1.0, 0.0, 2.0], requires_grad=True)
        y = make([-1.0, 1.0, -1.0])
        module.hinge_embedding_loss(x, y, margin=1.0, reduction="sum").backward()
        scores = make([[2.0, 1.0, 0.5]], requires_grad=True)
        module.multi_margin_loss(scores, make([0]) if make is cr.tensor else
                                 torch.tensor([0]), reduction="sum").backward()
        return x.grad.numpy(), scores.grad.numpy()

    for mine, theirs in zip(grads(F, cr.tensor), grads(torch.nn.functional, torch.tensor)):
        np.testing.assert_array_equal(mine, theirs)


def test_cosine_embedding_unbatched_and_triplet_unbatched():
    a, b = RNG.standard_normal(4), RNG.standard_normal(4)
    got = F.cosine_embedding_loss(cr.tensor(a), cr.tensor(b), cr.tensor(-1.0), reduction="none")
    assert got.shape == ()
    np.testing.assert_allclose(got.numpy(), _cosine_loss(a[None], b[None], np.array([-1]), 0)[0])
    c = RNG.standard_normal(4)
    got = F.triplet_margin_loss(cr.tensor(a), cr.tensor(b), cr.tensor(c), reduction="none")
    np.testing.assert_allclose(got.numpy(), _triplet(a, b, c, 1.0, 2, False), rtol=1e-12)


def test_gaussian_scalar_var_equals_full_var():
    x, y = cr.tensor(EMB1), cr.tensor(EMB2)
    np.testing.assert_allclose(F.gaussian_nll_loss(x, y, 0.5).numpy(),
                               F.gaussian_nll_loss(x, y, cr.tensor(np.full((N, C), 0.5))).numpy(),
                               rtol=1e-15)


# ---------------------------------------------------------------- modules


MODULES = {  # name -> (module, the functional call it must equal, the inputs)
    "MarginRankingLoss": (lambda: nn.MarginRankingLoss(0.3, reduction="sum"),
                          lambda a, b, y: F.margin_ranking_loss(a, b, y, 0.3, reduction="sum"),
                          [X1, X2, Y]),
    "HingeEmbeddingLoss": (lambda: nn.HingeEmbeddingLoss(0.5),
                           lambda x, y: F.hinge_embedding_loss(x, y, 0.5), [X1, Y]),
    "SoftMarginLoss": (lambda: nn.SoftMarginLoss(reduction="none"),
                       lambda x, y: F.soft_margin_loss(x, y, reduction="none"), [X1, Y]),
    "MultiLabelSoftMarginLoss": (
        lambda: nn.MultiLabelSoftMarginLoss(cr.tensor(CLASS_WEIGHT)),
        lambda x, y: F.multilabel_soft_margin_loss(x, y, CLASS_WEIGHT), [EMB1, LABELS01]),
    "CosineEmbeddingLoss": (lambda: nn.CosineEmbeddingLoss(0.1),
                            lambda a, b, y: F.cosine_embedding_loss(a, b, y, 0.1),
                            [EMB1, EMB2, Y]),
    "TripletMarginLoss": (lambda: nn.TripletMarginLoss(0.5, 1.0, 1e-3, True),
                          lambda a, b, c: F.triplet_margin_loss(a, b, c, 0.5, 1.0, 1e-3, True),
                          [EMB1, EMB2, EMB3]),
    "MultiMarginLoss": (lambda: nn.MultiMarginLoss(2, 0.5, cr.tensor(CLASS_WEIGHT)),
                        lambda x, t: F.multi_margin_loss(x, t, 2, 0.5, CLASS_WEIGHT),
                        [EMB1, CLASSES]),
    "PoissonNLLLoss": (lambda: nn.PoissonNLLLoss(False, True, eps=1e-3),
                       lambda x, y: F.poisson_nll_loss(x, y, False, True, eps=1e-3),
                       [RATES, COUNTS]),
    "GaussianNLLLoss": (lambda: nn.GaussianNLLLoss(full=True, eps=0.5, reduction="sum"),
                        lambda x, y, v: F.gaussian_nll_loss(x, y, v, True, 0.5, "sum"),
                        [EMB1, EMB2, VAR]),
}


@pytest.mark.parametrize("name", MODULES)
def test_module_equals_functional(name):
    make, functional, arrays = MODULES[name]
    tensors = [cr.tensor(a) for a in arrays]
    np.testing.assert_array_equal(make()(*tensors).numpy(), functional(*tensors).numpy())


def test_class_weights_are_buffers():
    for layer in (nn.MultiMarginLoss(weight=cr.tensor(CLASS_WEIGHT)),
                  nn.MultiLabelSoftMarginLoss(cr.tensor(CLASS_WEIGHT))):
        assert list(layer.state_dict()) == ["weight"] and list(layer.parameters()) == []


@needs_torch
@pytest.mark.parametrize("name", sorted(MODULES) + [
    "KLDivLoss", "SmoothL1Loss", "HuberLoss", "BCEWithLogitsLoss", "CrossEntropyLoss",
    "NLLLoss", "BCELoss", "MSELoss", "L1Loss"])
def test_constructor_signature_matches_torch(name):
    ours = inspect.signature(getattr(nn, name)).parameters
    theirs = inspect.signature(getattr(torch.nn, name)).parameters
    assert [(p, ours[p].kind, ours[p].default) for p in ours] == \
        [(p, theirs[p].kind, theirs[p].default) for p in theirs]


@needs_torch
@pytest.mark.parametrize("name", [
    "margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss",
    "multilabel_soft_margin_loss", "cosine_embedding_loss", "triplet_margin_loss",
    "multi_margin_loss", "poisson_nll_loss", "gaussian_nll_loss"])
def test_functional_signature_matches_torch(name):
    ours = inspect.signature(getattr(F, name)).parameters
    theirs = inspect.signature(getattr(torch.nn.functional, name)).parameters
    assert [(p, ours[p].default) for p in ours] == [(p, theirs[p].default) for p in theirs]


def test_legacy_size_average_is_translated_with_a_warning():
    x1, x2, y = cr.tensor(X1), cr.tensor(X2), cr.tensor(Y)
    with pytest.warns(UserWarning, match="reduction='sum'"):
        legacy = F.margin_ranking_loss(x1, x2, y, size_average=False)
    np.testing.assert_array_equal(legacy.numpy(),
                                  F.margin_ranking_loss(x1, x2, y, reduction="sum").numpy())


# ---------------------------------------------------------------- errors


def test_bad_reduction_is_a_value_error_naming_the_loss():
    x, y = cr.tensor(X1), cr.tensor(Y)
    calls = {
        "margin_ranking_loss": lambda r: F.margin_ranking_loss(x, x, y, reduction=r),
        "hinge_embedding_loss": lambda r: F.hinge_embedding_loss(x, y, reduction=r),
        "soft_margin_loss": lambda r: F.soft_margin_loss(x, y, reduction=r),
        "poisson_nll_loss": lambda r: F.poisson_nll_loss(x, y, reduction=r),
        "gaussian_nll_loss": lambda r: F.gaussian_nll_loss(x, y, 1.0, reduction=r),
        "triplet_margin_loss": lambda r: F.triplet_margin_loss(x, x, x, reduction=r),
        "multi_margin_loss": lambda r: F.multi_margin_loss(x, cr.tensor(0), reduction=r),
        "MarginRankingLoss": lambda r: nn.MarginRankingLoss(reduction=r),
        "GaussianNLLLoss": lambda r: nn.GaussianNLLLoss(reduction=r),
        "TripletMarginLoss": lambda r: nn.TripletMarginLoss(reduction=r),
    }
    for name, call in calls.items():
        with pytest.raises(ValueError, match=f"{name}: reduction must be one of .*got 'avg'"):
            call("avg")


def test_shape_and_value_errors_name_the_problem():
    x = cr.tensor(np.ones(3))
    with pytest.raises(ValueError, match=r"margin_ranking_loss: input1 has shape \(3,\) but "
                                         r"input2 has shape \(2,\)"):
        F.margin_ranking_loss(x, cr.tensor(np.ones(2)), x)
    with pytest.raises(ValueError, match=r"soft_margin_loss: input has shape \(3,\) but target"):
        F.soft_margin_loss(x, cr.tensor(np.ones((3, 1))))
    with pytest.raises(ValueError, match="gaussian_nll_loss: var has negative entry"):
        F.gaussian_nll_loss(x, x, cr.tensor([1.0, -1.0, 1.0]))
    with pytest.raises(ValueError, match="gaussian_nll_loss: var has negative entry"):
        F.gaussian_nll_loss(x, x, -0.5)
    with pytest.raises(ValueError, match=r"var is of incorrect size: shape \(3, 1\) for an "
                                         r"input of shape \(2, 3\)"):
        F.gaussian_nll_loss(cr.tensor(np.ones((2, 3))), cr.tensor(np.ones((2, 3))),
                            cr.tensor(np.ones((3, 1))))
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(cr.tensor(np.ones((2, 3))), cr.tensor(np.ones((2, 3))),
                            cr.tensor(np.ones(3)))
    with pytest.raises(ValueError, match="triplet_margin_loss: margin must be greater than 0"):
        F.triplet_margin_loss(x, x, x, margin=0.0)
    with pytest.raises(ValueError, match="TripletMarginLoss: margin must be greater than 0"):
        nn.TripletMarginLoss(margin=-1.0)
    with pytest.raises(ValueError, match="same number of dimensions, got shapes"):
        F.triplet_margin_loss(cr.tensor(np.ones((2, 3))), x, cr.tensor(np.ones((2, 3))))
    with pytest.raises(ValueError, match=r"cosine_embedding_loss: .*target of shape \(3,\)"):
        F.cosine_embedding_loss(cr.tensor(np.ones((2, 3))), cr.tensor(np.ones((2, 3))), x)
    with pytest.raises(ValueError, match="multi_margin_loss: only p == 1 and p == 2"):
        F.multi_margin_loss(cr.tensor(np.ones((2, 3))), cr.tensor([0, 1]), p=3)
    with pytest.raises(ValueError, match="MultiMarginLoss: only p == 1 and p == 2"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match="multi_margin_loss: target label 3 .* out of range"):
        F.multi_margin_loss(cr.tensor(np.ones((2, 3))), cr.tensor([0, 3]))
    with pytest.raises(ValueError, match=r"multi_margin_loss: weight must hold one value per "
                                         r"class, shape \(3,\)"):
        F.multi_margin_loss(cr.tensor(np.ones((2, 3))), cr.tensor([0, 1]), weight=np.ones(2))
    with pytest.raises(ValueError, match="multilabel_soft_margin_loss: input must have a class"):
        F.multilabel_soft_margin_loss(cr.tensor(1.0), cr.tensor(1.0))
    with pytest.raises(TypeError, match="poisson_nll_loss: input must be a floating-point"):
        F.poisson_nll_loss(cr.tensor([1, 2]), cr.tensor([1.0, 2.0]))


@pytest.mark.parametrize("name", CASES)
def test_float32_inputs_give_float32_loss_and_gradients(name):
    arrays, differentiable, _, _ = CASES[name]
    tensors = [cr.tensor(a.astype(np.float32) if a.dtype.kind == "f" else a, requires_grad=d)
               for a, d in zip(arrays, differentiable)]
    loss = _call(name, F, tensors, "mean")
    loss.backward()
    assert loss.dtype == cr.float32
    assert all(t.grad.dtype == cr.float32 for t, d in zip(tensors, differentiable) if d)
