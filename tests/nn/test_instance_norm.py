"""InstanceNorm1d/2d/3d and F.instance_norm: values against a NumPy reference, running
statistics, train/eval, state_dict, gradchecks, torch parity, errors."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F
from chainrule import nn
from tests.optional import needs_torch, torch

LAYERS = [(nn.InstanceNorm1d, (2, 3, 5)), (nn.InstanceNorm2d, (2, 3, 4, 3)),
          (nn.InstanceNorm3d, (2, 3, 2, 3, 2))]


def reference(x, gamma=None, beta=None, eps=1e-5):
    axes = tuple(range(2, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + eps)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if gamma is not None:
        y = y * gamma.reshape(shape)
    return y if beta is None else y + beta.reshape(shape)


@pytest.mark.parametrize(("cls", "shape"), LAYERS)
def test_forward_matches_numpy(cls, shape):
    x = np.random.default_rng(0).standard_normal(shape)
    layer = cls(3).double()
    np.testing.assert_allclose(layer(cr.tensor(x)).detach().numpy(), reference(x), rtol=1e-12,
                               atol=1e-12)
    layer.eval()  # no running statistics: eval still uses the instance statistics
    np.testing.assert_allclose(layer(cr.tensor(x)).detach().numpy(), reference(x), rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize(("cls", "shape"), LAYERS)
def test_defaults_and_state_dict_keys(cls, shape):
    layer = cls(3)
    assert (layer.eps, layer.momentum, layer.affine, layer.track_running_stats) == \
        (1e-5, 0.1, False, False)
    assert list(layer.state_dict()) == []
    full = cls(3, affine=True, track_running_stats=True)
    assert list(full.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                       "num_batches_tracked"]
    np.testing.assert_array_equal(full.weight.data, np.ones(3))
    np.testing.assert_array_equal(full.bias.data, np.zeros(3))
    np.testing.assert_array_equal(full.running_var.data, np.ones(3))
    assert full.num_batches_tracked.dtype == cr.int64


def test_affine_and_unbatched_input():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 6))
    layer = nn.InstanceNorm1d(3, affine=True).double()
    layer.weight.data[...] = [1.0, 2.0, -1.0]
    layer.bias.data[...] = [0.5, 0.0, 1.0]
    expected = reference(x[None], layer.weight.data, layer.bias.data)[0]
    np.testing.assert_allclose(layer(cr.tensor(x)).detach().numpy(), expected, rtol=1e-12,
                               atol=1e-12)


def test_running_statistics_update_and_eval():
    """running_mean ← 0.9·0 + 0.1·mean over n of the per-instance means; running_var with the
    per-instance unbiased variances; eval then normalises with them."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 3, 5)) * 2 + 1
    layer = nn.InstanceNorm1d(3, track_running_stats=True).double()
    layer(cr.tensor(x))
    mean = x.mean(axis=2).mean(axis=0)
    var = x.var(axis=2, ddof=1).mean(axis=0)
    np.testing.assert_allclose(layer.running_mean.numpy(), 0.1 * mean, rtol=1e-12)
    np.testing.assert_allclose(layer.running_var.numpy(), 0.9 + 0.1 * var, rtol=1e-12)
    assert layer.num_batches_tracked.item() == 0
    layer.eval()
    rm, rv = layer.running_mean.numpy(), layer.running_var.numpy()
    expected = (x - rm[:, None]) / np.sqrt(rv[:, None] + 1e-5)
    np.testing.assert_allclose(layer(cr.tensor(x)).detach().numpy(), expected, rtol=1e-12)


def test_momentum_none_leaves_running_statistics():
    layer = nn.InstanceNorm1d(2, momentum=None, track_running_stats=True)
    layer(cr.randn(3, 2, 4))
    np.testing.assert_array_equal(layer.running_mean.numpy(), np.zeros(2))


def test_gradcheck_function_and_layer():
    rng = np.random.default_rng(3)
    x = cr.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    w = cr.tensor(rng.standard_normal(3), requires_grad=True)
    b = cr.tensor(rng.standard_normal(3), requires_grad=True)
    assert cr.gradcheck(lambda a, g, h: F.instance_norm(a, weight=g, bias=h), [x, w, b])
    x2 = cr.tensor(rng.standard_normal((2, 2, 3, 3)), requires_grad=True)
    assert cr.gradcheck(lambda a: F.instance_norm(a), [x2])
    rm, rv = cr.tensor(rng.standard_normal(3)), cr.tensor(rng.random(3) + 0.5)
    assert cr.gradcheck(lambda a: F.instance_norm(a, rm, rv, use_input_stats=False), [x])


def test_errors():
    with pytest.raises(ValueError, match=r"InstanceNorm2d: expected 3D or 4D input \(got 2D"):
        nn.InstanceNorm2d(3)(cr.randn(2, 3))
    with pytest.raises(ValueError, match=r"size at dim=1 to match num_features \(3\), but "
                                         r"got: 4"):
        nn.InstanceNorm2d(3, affine=True)(cr.randn(2, 4, 3, 3))
    with pytest.warns(UserWarning, match="num_features is not used"):
        assert nn.InstanceNorm2d(3)(cr.randn(2, 4, 3, 3)).shape == (2, 4, 3, 3)
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        nn.InstanceNorm2d(3)(cr.randn(2, 3, 1, 1))
    with pytest.raises(ValueError, match="running_mean has shape"):
        F.instance_norm(cr.randn(2, 3, 4), cr.zeros(2), cr.ones(2))
    with pytest.raises(ValueError, match="use_input_stats=False needs running_mean"):
        F.instance_norm(cr.randn(2, 3, 4), use_input_stats=False)
    with pytest.raises(TypeError, match="floating-point input"):
        F.instance_norm(cr.tensor(np.ones((2, 3, 4), dtype=np.int64)))


@needs_torch
@pytest.mark.parametrize(("cls", "shape"), LAYERS)
@pytest.mark.parametrize("track", [False, True])
def test_torch_parity(cls, shape, track):
    rng = np.random.default_rng(4)
    ours = cls(3, affine=True, track_running_stats=track).double()
    theirs = getattr(torch.nn, cls.__name__)(3, affine=True, track_running_stats=track).double()
    ours.weight.data[...] = rng.standard_normal(3)
    ours.bias.data[...] = rng.standard_normal(3)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    for mode in ("train", "eval"):
        getattr(ours, mode)(), getattr(theirs, mode)()
        x = rng.standard_normal(shape) * 3 + 1
        a, ta = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, ty = ours(a), theirs(ta)
        g = rng.standard_normal(shape)
        y.backward(cr.tensor(g))
        ty.backward(torch.tensor(g))
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
        np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(),
                                   rtol=1e-9, atol=1e-12)
        for key, value in theirs.state_dict().items():
            np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(),
                                       rtol=1e-12)
    assert repr(ours) == repr(theirs)
