"""AdaptiveMaxPool1d, MaxUnpool1d/2d, LPPool1d/2d and pdist against PyTorch: values, indices,
gradients, reprs, unbatched inputs, output_size, and every refusal."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F
from chainrule import nn
from tests.optional import needs_torch, torch

pytestmark = needs_torch


def both(x):
    return cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)


def check_forward_backward(ours_fn, theirs_fn, x, rtol=1e-10, atol=1e-12, seed=1):
    ours, theirs = both(x)
    y, yt = ours_fn(ours), theirs_fn(theirs)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=rtol, atol=atol)
    upstream = np.random.default_rng(seed).standard_normal(tuple(yt.shape))
    y.backward(cr.tensor(upstream)), yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=rtol, atol=atol)


def distinct(shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.permutation(np.prod(shape)).reshape(shape) / 7.0 - 3.0


# ---------------------------------------------------------------- adaptive_max_pool1d


@pytest.mark.parametrize("shape,out", [((2, 3, 7), 3), ((3, 10), 4), ((1, 2, 5), 5),
                                       ((2, 2, 6), None)])
def test_adaptive_max_pool1d_matches_torch(shape, out):
    x = distinct(shape)
    target = shape[-1] if out is None else out
    check_forward_backward(lambda t: F.adaptive_max_pool1d(t, out),
                           lambda t: torch.nn.functional.adaptive_max_pool1d(t, target), x)
    y, i = nn.AdaptiveMaxPool1d(out, return_indices=True)(cr.tensor(x))
    yt, it = torch.nn.functional.adaptive_max_pool1d(torch.tensor(x), target, True)
    np.testing.assert_array_equal(i.numpy(), it.numpy())
    assert i.dtype == cr.int64


def test_adaptive_max_pool1d_repr_and_refusal():
    assert repr(nn.AdaptiveMaxPool1d(3)) == repr(torch.nn.AdaptiveMaxPool1d(3))
    assert repr(nn.AdaptiveMaxPool1d(3, True)) == repr(torch.nn.AdaptiveMaxPool1d(3, True))
    with pytest.raises(ValueError, match="adaptive_max_pool1d"):
        F.adaptive_max_pool1d(cr.randn(7), 3)


# ---------------------------------------------------------------- max_unpool


@pytest.mark.parametrize("shape,kernel,stride,padding", [
    ((2, 3, 8), 2, None, 0), ((1, 2, 9), 3, 2, 1), ((3, 7), 2, 2, 0)])
def test_max_unpool1d_inverts_torchs_max_pool1d(shape, kernel, stride, padding):
    x = distinct(shape)
    pooled, index = torch.nn.functional.max_pool1d(torch.tensor(x), kernel, stride, padding,
                                                   return_indices=True)
    ours_index = cr.tensor(index.numpy())
    check_forward_backward(
        lambda t: F.max_unpool1d(t, ours_index, kernel, stride, padding),
        lambda t: torch.nn.functional.max_unpool1d(t, index, kernel, stride, padding),
        pooled.numpy())


@pytest.mark.parametrize("shape,kernel,stride,padding,output_size", [
    ((2, 3, 6, 8), 2, None, 0, None), ((1, 2, 7, 5), (3, 2), (2, 1), (1, 0), None),
    ((3, 5, 5), 2, 2, 0, (5, 5)), ((1, 1, 5, 7), 2, 2, 0, (1, 1, 5, 7))])
def test_max_unpool2d_inverts_torchs_max_pool2d(shape, kernel, stride, padding, output_size):
    x = distinct(shape)
    pooled, index = torch.nn.functional.max_pool2d(torch.tensor(x), kernel, stride, padding,
                                                   return_indices=True)
    ours_index = cr.tensor(index.numpy())
    check_forward_backward(
        lambda t: F.max_unpool2d(t, ours_index, kernel, stride, padding, output_size),
        lambda t: torch.nn.functional.max_unpool2d(t, index, kernel, stride, padding,
                                                   output_size), pooled.numpy())


def test_max_unpool_layers_round_trip_chainrules_own_pools():
    x = cr.tensor(distinct((2, 3, 4, 6)))
    y, i = nn.MaxPool2d(2, return_indices=True)(x)
    restored = nn.MaxUnpool2d(2)(y, i).numpy()
    kept = restored != 0
    np.testing.assert_array_equal(restored[kept], x.numpy()[kept])
    assert kept.sum() == y.numel()
    y1, i1 = nn.MaxPool1d(3, return_indices=True)(cr.tensor(distinct((2, 2, 9))))
    assert nn.MaxUnpool1d(3)(y1, i1, output_size=(10,)).shape == (2, 2, 10)


def test_max_unpool_reprs_match_torch():
    for ours, theirs in [(nn.MaxUnpool1d(2), torch.nn.MaxUnpool1d(2)),
                         (nn.MaxUnpool2d(2, 1, 1), torch.nn.MaxUnpool2d(2, 1, 1)),
                         (nn.MaxUnpool2d((2, 3)), torch.nn.MaxUnpool2d((2, 3)))]:
        assert repr(ours) == repr(theirs)


def test_max_unpool_refusals():
    y, i = F.max_pool1d(cr.tensor(distinct((1, 2, 5))), 2, return_indices=True)
    with pytest.raises(ValueError, match=r"dim 0 must be between 2 and 6"):
        F.max_unpool1d(y, i, 2, output_size=(7,))
    with pytest.raises(IndexError, match="index [0-9]+ is out of range for an output of size 4"):
        F.max_unpool1d(y, i * 10, 2)
    with pytest.raises(TypeError, match="int64"):
        F.max_unpool1d(y, i.float(), 2)
    with pytest.raises(ValueError, match="indices have shape"):
        F.max_unpool1d(y, i[..., :1], 2)
    with pytest.raises(ValueError, match="3-D batched or 2-D unbatched"):
        F.max_unpool1d(cr.randn(4), cr.tensor([0, 1, 2, 3]), 2)


# ---------------------------------------------------------------- lp_pool


@pytest.mark.parametrize("norm_type,kernel,stride,ceil_mode", [
    (2, 3, None, False), (1.5, 2, 1, False), (3, 3, 2, True), (1, 2, None, False)])
def test_lp_pool1d_matches_torch(norm_type, kernel, stride, ceil_mode):
    x = np.abs(distinct((2, 3, 8))) + 0.1
    check_forward_backward(
        lambda t: nn.LPPool1d(norm_type, kernel, stride, ceil_mode)(t),
        lambda t: torch.nn.LPPool1d(norm_type, kernel, stride, ceil_mode)(t), x)


@pytest.mark.parametrize("norm_type,kernel,stride,ceil_mode,shape", [
    (2, 2, None, False, (2, 3, 4, 6)), (1.5, (2, 3), 1, False, (1, 2, 5, 5)),
    (2, 3, 2, True, (2, 6, 6)), (4, (3, 2), (2, 1), True, (1, 1, 5, 4))])
def test_lp_pool2d_matches_torch(norm_type, kernel, stride, ceil_mode, shape):
    x = np.abs(distinct(shape)) + 0.1
    check_forward_backward(
        lambda t: nn.LPPool2d(norm_type, kernel, stride, ceil_mode)(t),
        lambda t: torch.nn.LPPool2d(norm_type, kernel, stride, ceil_mode)(t), x)


def test_lp_pool_of_an_all_zero_window_has_zero_gradient_and_odd_p_negative_gives_nan():
    check_forward_backward(lambda t: F.lp_pool1d(t, 2, 2),
                           lambda t: torch.nn.functional.lp_pool1d(t, 2, 2),
                           np.array([[[0.0, 0.0, 1.0, 2.0]]]))
    y = F.lp_pool1d(cr.tensor([[[-1.0, -2.0, 3.0, 0.0]]]), 3, 2).numpy()
    yt = torch.nn.functional.lp_pool1d(torch.tensor([[[-1.0, -2.0, 3.0, 0.0]]]), 3, 2).numpy()
    np.testing.assert_allclose(y, yt)  # [nan, 3]: NaN in the same place


def test_lp_pool_reprs_and_refusals():
    for ours, theirs in [(nn.LPPool1d(2, 3), torch.nn.LPPool1d(2, 3)),
                         (nn.LPPool2d(1.5, (2, 3), 1, True),
                          torch.nn.LPPool2d(1.5, (2, 3), 1, True))]:
        assert repr(ours) == repr(theirs)
    with pytest.raises(TypeError, match="floating-point"):
        F.lp_pool1d(cr.ones(1, 2, 4, dtype=cr.int64), 2, 2)
    with pytest.raises(ValueError, match="norm_type"):
        F.lp_pool2d(cr.ones(1, 1, 4, 4), 0, 2)


# ---------------------------------------------------------------- pdist


@pytest.mark.parametrize("p", [2, 1, 0.5, 3, 0, float("inf")])
@pytest.mark.parametrize("shape", [(5, 3), (2, 4), (1, 3), (4, 1)])
def test_pdist_matches_torch(shape, p):
    x = np.random.default_rng(3).standard_normal(shape)
    check_forward_backward(lambda t: F.pdist(t, p), lambda t: torch.pdist(t, p), x,
                           rtol=1e-9)


def test_pdist_of_no_rows_is_empty():
    # torch 2.13's pdist backward crashes (a segfault) on a (0, M) input: ours only.
    x = cr.randn(0, 2, dtype=cr.float64, requires_grad=True)
    y = F.pdist(x)
    assert y.shape == (0,) and tuple(torch.pdist(torch.zeros(0, 2)).shape) == (0,)
    y.sum().backward()
    assert x.grad.shape == (0, 2)


def test_pdist_of_equal_rows_is_zero_with_zero_gradient_as_in_torch():
    x = np.array([[0.0, 1.0], [0.0, 1.0], [2.0, 3.5]])
    for p in (2, 1, 0.5):
        check_forward_backward(lambda t, p=p: F.pdist(t, p), lambda t, p=p: torch.pdist(t, p), x)


def test_pdist_refusals():
    with pytest.raises(ValueError, match="2-D"):
        F.pdist(cr.randn(3))
    with pytest.raises(ValueError, match="non-negative"):
        F.pdist(cr.randn(3, 2), -1)
    with pytest.raises(TypeError, match="floating-point"):
        F.pdist(cr.ones(3, 2, dtype=cr.int64))
