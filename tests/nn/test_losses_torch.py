"""Every loss against PyTorch in float64 (rtol 1e-7), values and gradients (of the input, and
of the target wherever PyTorch differentiates it), over every combination of options:
reduction × class weight × ignore_index × label smoothing × shape × target kind for the
categorical losses, and reduction × weight × pos_weight / delta / beta / log_target for the rest.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F
from tests.optional import needs_torch, torch

pytestmark = needs_torch
TF = torch.nn.functional if torch is not None else None

RNG = np.random.default_rng(1)
C = 5
REDUCTIONS = ["mean", "sum", "none"]
CLASS_WEIGHT = RNG.uniform(0.5, 2.0, C)
SHAPES = {  # name -> (logits, class indices with an ignored entry, class probabilities)
    "2d": (RNG.standard_normal((4, C)), np.array([0, 3, -100, 4]), RNG.dirichlet(np.ones(C), 4)),
    "3d": (RNG.standard_normal((2, C, 3)), np.array([[0, 4, -100], [2, 2, 1]]),
           np.moveaxis(RNG.dirichlet(np.ones(C), (2, 3)), -1, 1)),
    "1d": (RNG.standard_normal(C), np.array(2), RNG.dirichlet(np.ones(C))),
}
OURS = (cr.tensor, F)
THEIRS = (torch.tensor if torch is not None else None, TF)


def grid(*axes) -> list[tuple]:
    """Every combination of the axes, as a list (pytest's parametrize wants a collection)."""
    return list(itertools.product(*axes))


def assert_parity(call, arrays, differentiable):
    """``call(tensor_maker, functional_module, *tensors)`` gives equal values and gradients."""
    results = []
    for make, module in (OURS, THEIRS):
        inputs = [make(a, requires_grad=d) for a, d in zip(arrays, differentiable)]
        results.append((inputs, call(make, module, *inputs)))
    (ours_in, ours), (theirs_in, theirs) = results
    assert ours.shape == tuple(theirs.shape) and str(theirs.dtype) == "torch.float64"
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-7,
                               atol=1e-14)
    upstream = RNG.standard_normal(ours.shape)
    ours.backward(upstream)
    theirs.backward(torch.tensor(upstream))
    for mine, yours, d in zip(ours_in, theirs_in, differentiable):
        if d:
            np.testing.assert_allclose(mine.grad.numpy(), yours.grad.numpy(), rtol=1e-7,
                                       atol=1e-14)


def optional(make, array):
    return None if array is None else make(array)


@pytest.mark.parametrize(("shape", "soft", "weighted", "ignore", "smoothing", "reduction"), [
    combo for combo in grid(SHAPES, [False, True], [False, True], [-100, 1],
                                         [0.0, 0.25], REDUCTIONS)
    if not (combo[1] and combo[3] >= 0)])  # PyTorch forbids ignore_index with probabilities
def test_cross_entropy(shape, soft, weighted, ignore, smoothing, reduction):
    logits, labels, probs = SHAPES[shape]
    if ignore != -100:
        labels = np.where(labels == -100, ignore, labels)
    weight = CLASS_WEIGHT if weighted else None

    def call(make, module, x, y):
        return module.cross_entropy(x, y, optional(make, weight), ignore_index=ignore,
                                    reduction=reduction, label_smoothing=smoothing)

    assert_parity(call, [logits, probs if soft else labels], [True, soft])


@pytest.mark.parametrize(("shape", "weighted", "ignore", "reduction"),
                         grid(SHAPES, [False, True], [-100, 3], REDUCTIONS))
def test_nll_loss(shape, weighted, ignore, reduction):
    logits, labels, _ = SHAPES[shape]
    labels = np.where(labels == -100, ignore, labels)
    log_p = logits - np.log(np.exp(logits).sum(0 if shape == "1d" else 1, keepdims=True))
    weight = CLASS_WEIGHT if weighted else None
    assert_parity(lambda make, module, x, y: module.nll_loss(
        x, y, optional(make, weight), ignore_index=ignore, reduction=reduction),
        [log_p, labels], [True, False])


IMAGE_LOG_P = RNG.standard_normal((2, C, 3, 4))
IMAGE_LOG_P -= np.log(np.exp(IMAGE_LOG_P).sum(1, keepdims=True))
IMAGE_LABELS = RNG.integers(0, C, (2, 3, 4))


@pytest.mark.filterwarnings("ignore:`NLLLoss2d` has been deprecated")
@pytest.mark.parametrize(("weighted", "ignore", "reduction"),
                         grid([False, True], [-100, 3], REDUCTIONS))
def test_nll_loss2d_module(weighted, ignore, reduction):
    def call(make, module, x, y):
        layers = cr.nn if module is F else torch.nn
        weight = optional(make, CLASS_WEIGHT if weighted else None)
        return layers.NLLLoss2d(weight, ignore_index=ignore, reduction=reduction)(x, y)

    assert_parity(call, [IMAGE_LOG_P, IMAGE_LABELS], [True, False])


def test_nll_loss2d_warns_as_torch_does_and_is_an_nll_loss():
    caught = []
    for layers, make in ((cr.nn, cr.tensor), (torch.nn, torch.tensor)):
        with warnings.catch_warnings(record=True) as found:
            warnings.simplefilter("always")
            layer = layers.NLLLoss2d(make(CLASS_WEIGHT), None, 3, None, "sum")  # by position
        caught.append([(w.category, str(w.message), w.filename) for w in found])
        assert layer.ignore_index == 3 and layer.reduction == "sum"
        assert isinstance(layer, layers.NLLLoss)
    assert caught[0] == caught[1]  # category, message, and this file as the place
    assert [w[0] for w in caught[0]] == [FutureWarning] and caught[0][0][2] == __file__
    with pytest.warns(FutureWarning, match="NLLLoss2d"):
        ours = cr.nn.NLLLoss2d(cr.tensor(CLASS_WEIGHT))
    with pytest.warns(FutureWarning, match="NLLLoss2d"):
        theirs = torch.nn.NLLLoss2d(torch.tensor(CLASS_WEIGHT))
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == ["weight"]
    with pytest.warns(FutureWarning), pytest.raises(ValueError, match="reduction"):
        cr.nn.NLLLoss2d(reduction="average")
    with pytest.warns(FutureWarning):
        layer = cr.nn.NLLLoss2d()
    with pytest.raises(ValueError, match="out of range"):
        layer(cr.tensor(IMAGE_LOG_P), cr.tensor(IMAGE_LABELS + C))


def test_cross_entropy_with_every_target_ignored():
    """Mean over zero kept targets: NaN, and a zero gradient, in both."""
    logits, labels = SHAPES["2d"][0], np.full(4, -100)
    ours_x = cr.tensor(logits, requires_grad=True)
    theirs_x = torch.tensor(logits, requires_grad=True)
    ours = F.cross_entropy(ours_x, cr.tensor(labels))
    theirs = TF.cross_entropy(theirs_x, torch.tensor(labels))
    ours.backward()
    theirs.backward()
    assert np.isnan(ours.item()) and np.isnan(theirs.item())
    np.testing.assert_array_equal(ours_x.grad.numpy(), theirs_x.grad.numpy())


PRED, GOAL = RNG.uniform(-2, 2, (3, 4)), RNG.uniform(-2, 2, (3, 4))
PROB_IN, PROB_TARGET = RNG.uniform(0.02, 0.98, (3, 4)), RNG.uniform(0, 1, (3, 4))
WEIGHTS = {"none": None, "full": RNG.uniform(0.5, 2, (3, 4)), "row": RNG.uniform(0.5, 2, 4)}


@pytest.mark.parametrize(("name", "weight", "reduction"),
                         grid(["mse_loss", "l1_loss"], ["none", "full"], REDUCTIONS))
def test_mse_and_l1(name, weight, reduction):
    w = WEIGHTS[weight]
    assert_parity(lambda make, module, x, y: getattr(module, name)(
        x, y, reduction=reduction, weight=optional(make, w)), [PRED, GOAL], [True, True])


@pytest.mark.parametrize(("delta", "weight", "reduction"),
                         grid([0.5, 1.0, 2.0], ["none", "full"], REDUCTIONS))
def test_huber(delta, weight, reduction):
    w = WEIGHTS[weight]
    assert_parity(lambda make, module, x, y: module.huber_loss(
        x, y, reduction=reduction, delta=delta, weight=optional(make, w)), [PRED, GOAL],
        [True, True])


@pytest.mark.parametrize(("beta", "reduction"), grid([0.0, 0.5, 1.0], REDUCTIONS))
def test_smooth_l1(beta, reduction):
    assert_parity(lambda make, module, x, y: module.smooth_l1_loss(
        x, y, reduction=reduction, beta=beta), [PRED, GOAL], [True, True])


@pytest.mark.parametrize(("weight", "reduction"), grid(WEIGHTS, REDUCTIONS))
def test_binary_cross_entropy(weight, reduction):
    w = WEIGHTS[weight]
    assert_parity(lambda make, module, x, y: module.binary_cross_entropy(
        x, y, optional(make, w), reduction=reduction), [PROB_IN, PROB_TARGET], [True, True])


@pytest.mark.parametrize(("weight", "pos_weight", "reduction"),
                         grid(WEIGHTS, ["none", "row"], REDUCTIONS))
def test_binary_cross_entropy_with_logits(weight, pos_weight, reduction):
    w, p = WEIGHTS[weight], WEIGHTS[pos_weight]
    logits = PRED * 20  # includes |z| up to 40
    assert_parity(lambda make, module, x, y: module.binary_cross_entropy_with_logits(
        x, y, optional(make, w), reduction=reduction, pos_weight=optional(make, p)),
        [logits, PROB_TARGET], [True, True])


@pytest.mark.filterwarnings("ignore:kl_div")
@pytest.mark.filterwarnings("ignore:reduction")
@pytest.mark.parametrize(("log_target", "reduction"),
                         grid([False, True], REDUCTIONS + ["batchmean"]))
def test_kl_div(log_target, reduction):
    log_q = np.log(SHAPES["2d"][2])
    target = SHAPES["2d"][2][::-1].copy()
    target[0, 0] = 0.0  # 0·log 0 = 0
    target = np.log(target + 1e-3) if log_target else target
    assert_parity(lambda make, module, x, y: module.kl_div(
        x, y, reduction=reduction, log_target=log_target), [log_q, target], [True, log_target])


def test_bce_at_exact_zero_and_one_matches_torch():
    probs, targets = np.array([0.0, 1.0, 0.0, 1.0, 0.5]), np.array([1.0, 0.0, 0.0, 1.0, 0.3])
    assert_parity(lambda make, module, x, y: module.binary_cross_entropy(x, y, reduction="sum"),
                  [probs, targets], [True, False])
