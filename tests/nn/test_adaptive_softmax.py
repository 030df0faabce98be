"""nn.AdaptiveLogSoftmaxWithLoss against PyTorch's with the same weights (float64): output,
loss, log_prob, predict and the gradients of the input and of every parameter; parameter
names and shapes (state dicts load both ways), a float64 gradcheck, and the errors."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from tests.optional import needs_torch, torch

SETTINGS = [  # (in_features, n_classes, cutoffs, div_value, head_bias)
    (16, 20, [5, 9, 14], 2.0, True),
    (8, 10, [4], 4.0, False),
    (12, 30, [2, 20], 1.5, False),
]


def pair(in_features, n_classes, cutoffs, div_value, head_bias):
    """A PyTorch module and ours holding its weights (float64)."""
    theirs = torch.nn.AdaptiveLogSoftmaxWithLoss(in_features, n_classes, cutoffs, div_value,
                                                 head_bias).double()
    ours = nn.AdaptiveLogSoftmaxWithLoss(in_features, n_classes, cutoffs, div_value, head_bias,
                                         dtype=cr.float64)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


@needs_torch
@pytest.mark.parametrize("setting", SETTINGS)
def test_parameter_names_and_shapes_equal_torch_and_load_both_ways(setting):
    theirs = torch.nn.AdaptiveLogSoftmaxWithLoss(*setting)
    ours = nn.AdaptiveLogSoftmaxWithLoss(*setting)
    shapes = {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == shapes
    assert list(ours.state_dict()) == list(shapes)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    for key, value in ours.state_dict().items():
        np.testing.assert_array_equal(theirs.state_dict()[key].numpy(), value.numpy())


@needs_torch
@pytest.mark.parametrize("setting", SETTINGS)
def test_output_loss_and_gradients_equal_torch(setting):
    ours, theirs = pair(*setting)
    rng = np.random.default_rng(len(setting[2]))
    x = rng.standard_normal((9, setting[0]))
    target = rng.integers(0, setting[1], 9)
    target[:len(setting[2]) + 1] = [0] + setting[2]  # every cluster's first class
    a, b = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    mine, ref = ours(a, cr.tensor(target)), theirs(b, torch.tensor(target))
    assert type(mine).__name__ == type(ref).__name__ and mine._fields == ref._fields
    np.testing.assert_allclose(mine.output.detach().numpy(), ref.output.detach().numpy(),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(mine.loss.item(), ref.loss.item(), rtol=1e-12)
    upstream = rng.standard_normal(9)
    (mine.output * cr.tensor(upstream)).sum().backward()
    (ref.output * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)
    theirs_grads = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs_grads[name].grad.numpy(),
                                   rtol=1e-10, atol=1e-12, err_msg=name)


@needs_torch
def test_unbatched_input_and_loss_gradient_equal_torch():
    ours, theirs = pair(*SETTINGS[0])
    x = np.random.default_rng(2).standard_normal(16)
    a, b = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    mine, ref = ours(a, cr.tensor(17)), theirs(b, torch.tensor(17))
    assert mine.output.shape == tuple(ref.output.shape) == ()
    np.testing.assert_allclose(mine.output.item(), ref.output.item(), rtol=1e-12)
    mine.loss.backward()
    ref.loss.backward()
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("setting", SETTINGS)
def test_log_prob_and_predict_equal_torch(setting):
    ours, theirs = pair(*setting)
    x = np.random.default_rng(3).standard_normal((20, setting[0]))
    mine, ref = ours.log_prob(cr.tensor(x)), theirs.log_prob(torch.tensor(x))
    np.testing.assert_allclose(mine.detach().numpy(), ref.detach().numpy(), rtol=1e-12,
                               atol=1e-12)
    np.testing.assert_allclose(np.exp(mine.detach().numpy()).sum(1), 1.0, rtol=1e-12)
    shortlist = setting[2][0]
    for bias in (0.0, 50.0, -50.0):  # mixed, all rows, no rows in the clusters
        with torch.no_grad():
            theirs.head.weight[shortlist:] += bias / 10
        ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
        predicted = ours.predict(cr.tensor(x))
        assert predicted.dtype == cr.int64
        np.testing.assert_array_equal(predicted.numpy(), theirs.predict(torch.tensor(x)).numpy())


def test_gradcheck_float64():
    layer = nn.AdaptiveLogSoftmaxWithLoss(6, 9, [3, 6], div_value=2.0, head_bias=True,
                                          dtype=cr.float64)
    x = cr.tensor(np.random.default_rng(4).standard_normal((5, 6)), requires_grad=True)
    target = cr.tensor([0, 4, 8, 2, 6])
    assert cr.gradcheck(lambda t: layer(t, target).output, (x,))
    assert cr.gradcheck(lambda t: layer.log_prob(t), (x,))


@pytest.mark.parametrize(("cutoffs", "match"), [
    ([], "length larger than 0"),
    ([5, 3], "sorted in an increasing order"),
    ([3, 3], "unique"),
    ([0, 3], "positive"),
    ([3, 10], "between 1 and n_classes-1"),
    ([2.5], "integers"),
])
def test_bad_cutoffs(cutoffs, match):
    with pytest.raises(ValueError, match=match):
        nn.AdaptiveLogSoftmaxWithLoss(4, 10, cutoffs)


@pytest.mark.parametrize(("x", "target", "match"), [
    (np.zeros((3, 4)), [0, 1, 10], r"Target values should be in \[0, 9\]"),
    (np.zeros((3, 4)), [0, -1, 2], r"values in range \[-1, 2\]"),
    (np.zeros((3, 4)), [0, 1], "same size in the batch dimension"),
    (np.zeros((3, 4, 1)), [0, 1, 2], "1D target tensor expects 2D input"),
    (np.zeros((3, 4)), 1, "0D target tensor expects 1D input"),
    (np.zeros((3, 4)), [[0], [1], [2]], "multi-target not supported"),
])
def test_bad_input_or_target(x, target, match):
    layer = nn.AdaptiveLogSoftmaxWithLoss(4, 10, [3, 6], div_value=2.0)
    with pytest.raises(RuntimeError, match=match):
        layer(cr.tensor(x, dtype=cr.float32), cr.tensor(target))
