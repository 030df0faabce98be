"""MultiLabelMarginLoss and TripletMarginWithDistanceLoss against PyTorch: values and
gradients for every reduction, the target conventions (−1 ends a row, duplicates count), a
custom distance, the swap, reprs, and every refusal."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F
from chainrule import nn
from tests.optional import needs_torch, torch

pytestmark = needs_torch

TARGETS = [
    [[3, 0, -1, 1], [0, 1, 2, 3], [-1, 2, 2, 0], [2, 2, -1, 3]],  # full rows, empty, duplicates
]


def check(ours_fn, theirs_fn, *arrays, rtol=1e-10):
    ours = [cr.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, yt = ours_fn(*ours), theirs_fn(*theirs)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=rtol, atol=1e-12)
    upstream = np.random.default_rng(9).standard_normal(tuple(yt.shape))
    y.backward(cr.tensor(upstream)), yt.backward(torch.tensor(upstream))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_multilabel_margin_loss_matches_torch(reduction):
    x = np.random.default_rng(0).standard_normal((4, 4)) * 0.7
    target = np.array(TARGETS[0])
    check(lambda t: nn.MultiLabelMarginLoss(reduction=reduction)(t, cr.tensor(target)),
          lambda t: torch.nn.MultiLabelMarginLoss(reduction=reduction)(t, torch.tensor(target)),
          x)


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_multilabel_margin_loss_of_one_sample_matches_torch(reduction):
    x = np.array([0.1, 0.2, 0.4, 0.8, -0.3])
    target = np.array([3, 0, -1, 1, 4])
    check(lambda t: F.multilabel_margin_loss(t, cr.tensor(target), reduction=reduction),
          lambda t: torch.nn.functional.multilabel_margin_loss(t, torch.tensor(target),
                                                               reduction=reduction), x)


def test_multilabel_margin_loss_by_the_formula():
    x = np.array([0.1, 0.2, 0.4, 0.8])
    expected = ((1 - (0.1 - 0.2)) + (1 - (0.1 - 0.4)) + (1 - (0.8 - 0.2)) + (1 - (0.8 - 0.4))) / 4
    got = F.multilabel_margin_loss(cr.tensor(x), cr.tensor([3, 0, -1, 1])).item()
    assert got == pytest.approx(expected, rel=1e-12)


def test_multilabel_margin_loss_refusals():
    x = cr.randn(1, 4)
    with pytest.raises(ValueError, match=r"class indices in \[0, 4\) or -1"):
        F.multilabel_margin_loss(x, cr.tensor([[4, 0, -1, 1]]))
    with pytest.raises(ValueError, match=r"class indices in \[0, 4\) or -1"):
        F.multilabel_margin_loss(x, cr.tensor([[-2, 0, -1, 1]]))
    with pytest.raises(TypeError, match="int64 class indices"):
        F.multilabel_margin_loss(x, cr.tensor([[0.0, 1, 2, 3]]))
    with pytest.raises(ValueError, match="target has shape"):
        F.multilabel_margin_loss(x, cr.tensor([[0, 1]]))
    with pytest.raises(ValueError, match="1-D .* or 2-D"):
        F.multilabel_margin_loss(cr.tensor(1.0), cr.tensor(0))
    with pytest.raises(TypeError, match="floating-point"):
        F.multilabel_margin_loss(cr.tensor([[1, 2]]), cr.tensor([[0, -1]]))
    with pytest.raises(ValueError, match="reduction"):
        nn.MultiLabelMarginLoss(reduction="avg")
    assert repr(nn.MultiLabelMarginLoss()) == repr(torch.nn.MultiLabelMarginLoss())


@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_triplet_margin_with_distance_loss_default_distance_matches_torch(swap, reduction):
    rng = np.random.default_rng(1)
    a, p, n = (rng.standard_normal((6, 3)) for _ in range(3))
    check(lambda *t: nn.TripletMarginWithDistanceLoss(margin=1.5, swap=swap,
                                                      reduction=reduction)(*t),
          lambda *t: torch.nn.TripletMarginWithDistanceLoss(margin=1.5, swap=swap,
                                                            reduction=reduction)(*t), a, p, n)


def test_triplet_margin_with_distance_loss_custom_distance_matches_torch():
    rng = np.random.default_rng(2)
    a, p, n = (rng.standard_normal((5, 4)) for _ in range(3))

    def cosine_distance(framework):
        return lambda x, y: 1.0 - framework.nn.functional.cosine_similarity(x, y)

    check(lambda *t: F.triplet_margin_with_distance_loss(
              *t, distance_function=cosine_distance(cr), margin=0.7, swap=True),
          lambda *t: torch.nn.functional.triplet_margin_with_distance_loss(
              *t, distance_function=cosine_distance(torch), margin=0.7, swap=True), a, p, n)
    unbatched = [rng.standard_normal(3) for _ in range(3)]
    check(lambda *t: F.triplet_margin_with_distance_loss(*t, reduction="none"),
          lambda *t: torch.nn.functional.triplet_margin_with_distance_loss(*t,
                                                                           reduction="none"),
          *unbatched)


def test_triplet_margin_with_distance_loss_reprs_and_refusals():
    assert repr(nn.TripletMarginWithDistanceLoss()) == \
        repr(torch.nn.TripletMarginWithDistanceLoss())
    assert repr(nn.TripletMarginWithDistanceLoss(distance_function=nn.PairwiseDistance(p=1))) \
        == repr(torch.nn.TripletMarginWithDistanceLoss(
            distance_function=torch.nn.PairwiseDistance(p=1)))
    plain = nn.TripletMarginWithDistanceLoss(distance_function=lambda x, y: (x - y).abs())
    assert repr(plain) == "TripletMarginWithDistanceLoss()"
    with pytest.raises(ValueError, match="margin must be greater than 0"):
        nn.TripletMarginWithDistanceLoss(margin=0)
    with pytest.raises(ValueError, match="margin must be greater than 0"):
        F.triplet_margin_with_distance_loss(cr.randn(2), cr.randn(2), cr.randn(2), margin=-1)
    with pytest.raises(ValueError, match="same number of dimensions"):
        F.triplet_margin_with_distance_loss(cr.randn(3, 2), cr.randn(3, 2), cr.randn(2))
    with pytest.raises(TypeError):
        nn.TripletMarginWithDistanceLoss(None)  # keyword-only, as in torch
