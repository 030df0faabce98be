"""AdaptiveMaxPool1d, MaxUnpool1d/2d/3d, LPPool1d/2d/3d, the ``*_with_indices`` max pools and
pdist against PyTorch: values, indices, gradients, reprs, unbatched inputs, output_size, and
every refusal."""

from __future__ import annotations

import re

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


# ---------------------------------------------------------------- *_with_indices


def spatial_dims(name):
    return int(re.search(r"(\d)d_", name).group(1))


def tied(shape, seed=0):
    """Values from {0, 1, 2}: every window holds ties, so the first-maximum rule shows."""
    return np.random.default_rng(seed).integers(0, 3, shape).astype(float)


WITH_INDICES = [  # name, input shape, positional arguments after the input
    ("max_pool1d_with_indices", (2, 3, 9), (3, 2, 1, 1, True)),
    ("max_pool1d_with_indices", (3, 8), (2, None, 0, 2, False)),
    ("max_pool2d_with_indices", (2, 2, 7, 6), ((3, 2), (2, 1), 1, (1, 2), True)),
    ("max_pool2d_with_indices", (2, 5, 5), (2,)),
    ("max_pool3d_with_indices", (1, 2, 5, 6, 4), (3, 2, 1, 1, True)),
    ("max_pool3d_with_indices", (2, 4, 5, 6), ((2, 3, 2), (1, 2, 2), (1, 1, 0), (2, 1, 1))),
    ("adaptive_max_pool1d_with_indices", (2, 3, 10), (4,)),
    ("adaptive_max_pool2d_with_indices", (3, 7, 5), ((3, 2),)),
    ("adaptive_max_pool3d_with_indices", (1, 2, 5, 7, 3), ((2, 3, None),)),
    ("adaptive_max_pool3d_with_indices", (2, 4, 4, 5), (3,)),
]


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("name,shape,args", WITH_INDICES)
def test_with_indices_forms_match_torch(name, shape, args, ties):
    x = tied(shape) if ties else distinct(shape)
    ours, theirs = getattr(F, name), getattr(torch.nn.functional, name)
    y, i = ours(cr.tensor(x), *args)
    yt, it = theirs(torch.tensor(x), *args)
    np.testing.assert_array_equal(y.numpy(), yt.numpy())
    np.testing.assert_array_equal(i.numpy(), it.numpy())
    assert i.dtype == cr.int64 and not i.requires_grad
    # the layout: flat positions within each channel's sequence, plane or volume
    planes = x.reshape(-1, int(np.prod(shape[-spatial_dims(name):])))
    np.testing.assert_array_equal(
        np.take_along_axis(planes, i.numpy().reshape(len(planes), -1), 1),
        y.numpy().reshape(len(planes), -1))
    check_forward_backward(lambda t: ours(t, *args)[0], lambda t: theirs(t, *args)[0], x)


@pytest.mark.parametrize("name,shape,args", WITH_INDICES[::2])
def test_with_indices_forms_ignore_return_indices_as_torch_does(name, shape, args):
    x = distinct(shape)
    ours, theirs = getattr(F, name), getattr(torch.nn.functional, name)
    result = ours(cr.tensor(x), *args, return_indices=False)
    expected = theirs(torch.tensor(x), *args, return_indices=False)
    assert isinstance(expected, tuple) and isinstance(result, tuple) and len(result) == 2
    np.testing.assert_array_equal(result[1].numpy(), expected[1].numpy())
    plain = getattr(F, name.replace("_with_indices", ""))(cr.tensor(x), *args)
    np.testing.assert_array_equal(result[0].numpy(), plain.numpy())


@pytest.mark.parametrize("name,args", [
    ("max_pool1d_with_indices", (2, 1)), ("max_pool2d_with_indices", (3, 2, 1)),
    ("max_pool3d_with_indices", (2, 1)), ("adaptive_max_pool1d_with_indices", (3,)),
    ("adaptive_max_pool2d_with_indices", ((2, 3),)),
    ("adaptive_max_pool3d_with_indices", (2,))])
def test_with_indices_forms_gradcheck(name, args):
    small = cr.tensor(distinct((1, 2) + (4, 5, 3)[:spatial_dims(name)]), requires_grad=True)
    assert cr.gradcheck(lambda t: getattr(F, name)(t, *args)[0], (small,))


def test_with_indices_forms_refuse_what_their_pools_refuse():
    with pytest.raises(ValueError, match="max_pool2d: expected a 4-D input"):
        F.max_pool2d_with_indices(cr.randn(5, 5), 2)
    with pytest.raises(ValueError, match="max_pool3d: expected a 5-D input"):
        F.max_pool3d_with_indices(cr.randn(4, 4, 4), 2)
    with pytest.raises(ValueError, match="padding .* at most half"):
        F.max_pool1d_with_indices(cr.randn(1, 1, 8), 2, padding=2)
    with pytest.raises(ValueError, match="adaptive_max_pool1d"):
        F.adaptive_max_pool1d_with_indices(cr.randn(7), 3)
    with pytest.raises(ValueError, match="output_size"):
        F.adaptive_max_pool3d_with_indices(cr.randn(1, 1, 4, 4, 4), (2, 2))


# ---------------------------------------------------------------- max_unpool3d


@pytest.mark.parametrize("shape,kernel,stride,padding,output_size", [
    ((2, 3, 4, 6, 4), 2, None, 0, None), ((1, 2, 5, 6, 7), 3, 2, 1, (5, 6, 7)),
    ((2, 5, 6, 7), (2, 3, 2), (1, 2, 2), (1, 1, 0), (5, 6, 7)),
    ((1, 1, 5, 6, 7), 2, 2, 0, (1, 1, 5, 6, 7))])
def test_max_unpool3d_inverts_torchs_max_pool3d(shape, kernel, stride, padding, output_size):
    x = distinct(shape)
    pooled, index = torch.nn.functional.max_pool3d(torch.tensor(x), kernel, stride, padding,
                                                   return_indices=True)
    ours_index = cr.tensor(index.numpy())
    check_forward_backward(
        lambda t: F.max_unpool3d(t, ours_index, kernel, stride, padding, output_size),
        lambda t: torch.nn.functional.max_unpool3d(t, index, kernel, stride, padding,
                                                   output_size), pooled.numpy())
    check_forward_backward(
        lambda t: nn.MaxUnpool3d(kernel, stride, padding)(t, ours_index, output_size),
        lambda t: torch.nn.MaxUnpool3d(kernel, stride, padding)(t, index, output_size),
        pooled.numpy())


@pytest.mark.parametrize("shape,kernel,output_size", [
    ((1, 2, 4, 6, 4), 2, None), ((2, 5, 6, 7), (2, 3, 2), (5, 6, 7))])
def test_max_unpool3d_gradcheck(shape, kernel, output_size):
    # Windows that do not overlap: each index once. (Where overlapping windows repeat an
    # index, one of the repeats lands there and each gets the gradient of the position, as
    # in PyTorch, whose docs call that case nondeterministic: not a derivative to check.)
    pooled, index = F.max_pool3d(cr.tensor(distinct(shape)), kernel, return_indices=True)
    small = cr.tensor(pooled.numpy(), requires_grad=True)
    assert cr.gradcheck(lambda t: F.max_unpool3d(t, index, kernel, output_size=output_size),
                        (small,))


def test_max_unpool3d_round_trips_chainrules_own_max_pool3d():
    x = cr.tensor(distinct((2, 3, 4, 6, 4)))
    y, i = nn.MaxPool3d(2, return_indices=True)(x)
    restored = nn.MaxUnpool3d(2)(y, i).numpy()
    kept = restored != 0
    np.testing.assert_array_equal(restored[kept], x.numpy()[kept])
    assert kept.sum() == y.numel()
    np.testing.assert_array_equal(F.max_pool3d(cr.tensor(restored), 2).numpy(), y.numpy())


def test_max_unpool3d_repr_and_refusals():
    for ours, theirs in [(nn.MaxUnpool3d(2), torch.nn.MaxUnpool3d(2)),
                         (nn.MaxUnpool3d((2, 3, 1), 1, (1, 0, 0)),
                          torch.nn.MaxUnpool3d((2, 3, 1), 1, (1, 0, 0)))]:
        assert repr(ours) == repr(theirs)
    y, i = F.max_pool3d(cr.tensor(distinct((1, 2, 4, 4, 4))), 2, return_indices=True)
    with pytest.raises(ValueError, match="5-D batched or 4-D unbatched"):
        F.max_unpool3d(y[0, 0], i[0, 0], 2)
    with pytest.raises(ValueError, match=r"dim 1 must be between 2 and 6"):
        F.max_unpool3d(y, i, 2, output_size=(4, 7, 4))
    with pytest.raises(IndexError, match="out of range for an output of size 4x4x4"):
        F.max_unpool3d(y, i * 10, 2)
    with pytest.raises(TypeError, match="int64"):
        F.max_unpool3d(y, i.float(), 2)
    with pytest.raises(ValueError, match="indices have shape"):
        F.max_unpool3d(y, i[..., :1], 2)
    with pytest.raises(ValueError, match="kernel_size"):
        F.max_unpool3d(y, i, (2, 2))


# ---------------------------------------------------------------- lp_pool3d and p = ±inf


@pytest.mark.parametrize("norm_type,kernel,stride,ceil_mode,shape", [
    (2, 2, None, False, (2, 2, 4, 4, 6)), (1.5, (2, 3, 2), 1, False, (1, 2, 3, 5, 4)),
    (3, 3, 2, True, (2, 5, 6, 5)), (4, (3, 2, 2), (2, 1, 2), True, (1, 1, 5, 4, 5))])
def test_lp_pool3d_matches_torch(norm_type, kernel, stride, ceil_mode, shape):
    x = np.abs(distinct(shape)) + 0.1
    check_forward_backward(
        lambda t: nn.LPPool3d(norm_type, kernel, stride, ceil_mode)(t),
        lambda t: torch.nn.LPPool3d(norm_type, kernel, stride, ceil_mode)(t), x)
    check_forward_backward(
        lambda t: F.lp_pool3d(t, norm_type, kernel, stride, ceil_mode),
        lambda t: torch.nn.functional.lp_pool3d(t, norm_type, kernel, stride, ceil_mode), x)
    small = cr.tensor(x[..., :3, :4, :4], requires_grad=True)
    assert cr.gradcheck(lambda t: F.lp_pool3d(t, norm_type, kernel, stride, ceil_mode),
                        (small,))


@pytest.mark.parametrize("norm_type", [float("inf"), -float("inf")])
@pytest.mark.parametrize("name,shape,kernel,stride,ceil_mode", [
    ("lp_pool1d", (2, 3, 7), 2, None, False), ("lp_pool1d", (3, 8), 3, 2, True),
    ("lp_pool2d", (2, 2, 5, 6), (2, 3), 1, False), ("lp_pool3d", (1, 2, 4, 5, 4), 2, 1, True),
    ("lp_pool3d", (2, 3, 4, 4), (2, 1, 2), None, False)])
def test_lp_pools_of_infinite_p_are_max_pools_of_the_magnitude(norm_type, name, shape, kernel,
                                                                stride, ceil_mode):
    x = distinct(shape) + 0.05  # signs of both kinds, no two magnitudes equal
    check_forward_backward(
        lambda t: getattr(F, name)(t, norm_type, kernel, stride, ceil_mode),
        lambda t: getattr(torch.nn.functional, name)(t, norm_type, kernel, stride, ceil_mode),
        x)


def test_lp_pool3d_of_an_all_zero_window_has_zero_gradient_as_in_torch():
    x = np.ones((1, 1, 2, 2, 4))
    x[..., :2] = 0.0
    check_forward_backward(lambda t: F.lp_pool3d(t, 2, 2),
                           lambda t: torch.nn.functional.lp_pool3d(t, 2, 2), x)


def test_lp_pool3d_repr_and_refusals():
    for ours, theirs in [(nn.LPPool3d(2, 3), torch.nn.LPPool3d(2, 3)),
                         (nn.LPPool3d(1.5, (2, 3, 2), (1, 1, 2), True),
                          torch.nn.LPPool3d(1.5, (2, 3, 2), (1, 1, 2), True))]:
        assert repr(ours) == repr(theirs)
    with pytest.raises(ValueError, match=r"lp_pool3d: expected a 5-D input .* got shape "
                                         r"\(4, 4, 4\)"):
        F.lp_pool3d(cr.ones(4, 4, 4), 2, 2)
    with pytest.raises(ValueError, match="kernel_size"):
        F.lp_pool3d(cr.ones(1, 1, 4, 4, 4), 2, (2, 2))
    with pytest.raises(ValueError, match="norm_type"):
        F.lp_pool3d(cr.ones(1, 1, 4, 4, 4), float("nan"), 2)
    with pytest.raises(ValueError, match="norm_type"):
        nn.LPPool3d(0, 2)(cr.ones(1, 1, 4, 4, 4))
    with pytest.raises(TypeError, match="floating-point"):
        F.lp_pool3d(cr.ones(1, 1, 4, 4, 4, dtype=cr.int64), 2, 2)


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
