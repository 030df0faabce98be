"""RReLU, gumbel_softmax, the alpha dropouts, Dropout3d, Softmax2d and ChannelShuffle: values
and gradients against PyTorch where they are deterministic (eval modes, the affine constants
of alpha dropout, the permutation of channel_shuffle), against independent NumPy draws from
the same seed where they are random, and every refusal."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F
from chainrule import nn
from tests.optional import needs_torch, torch


def t64(a, grad=False):
    return cr.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


# ---------------------------------------------------------------- rrelu


@needs_torch
def test_rrelu_eval_is_leaky_relu_with_the_mean_slope_as_in_torch():
    x = np.random.default_rng(0).standard_normal((4, 5))
    ours, theirs = t64(x, True), torch.tensor(x, requires_grad=True)
    y, yt = F.rrelu(ours, 0.1, 0.5), torch.nn.functional.rrelu(theirs, 0.1, 0.5)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-14)
    y.sum().backward(), yt.sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy())


def test_rrelu_training_draws_a_slope_per_element_and_its_gradient_is_that_slope():
    x = np.concatenate([-np.linspace(0.5, 2.0, 20000), np.linspace(0.1, 1.0, 50), [0.0]])
    xc = t64(x, True)
    y = F.rrelu(xc, 0.2, 0.6, training=True, generator=np.random.default_rng(3))
    slopes = np.random.default_rng(3).uniform(0.2, 0.6, x.shape)
    expected = np.where(x <= 0, x * slopes, x)
    np.testing.assert_allclose(y.detach().numpy(), expected, rtol=1e-15)
    y.sum().backward()
    np.testing.assert_allclose(xc.grad.numpy(), np.where(x <= 0, slopes, 1.0))
    negative = slopes[:20000]
    assert negative.min() >= 0.2 and negative.max() < 0.6
    assert abs(negative.mean() - 0.4) < 0.005


def test_rrelu_follows_the_package_seed_and_rrelu_writes_in_place():
    cr.manual_seed(5)
    a = F.rrelu(cr.full((50,), -1.0), training=True).numpy()
    cr.manual_seed(5)
    b = F.rrelu(cr.full((50,), -1.0), training=True).numpy()
    np.testing.assert_array_equal(a, b)
    assert np.unique(a).size == 50
    x = cr.tensor([-2.0, 3.0])
    assert F.rrelu_(x, 0.25, 0.25, training=True) is x and x.tolist() == [-0.5, 3.0]


def test_rrelu_refusals():
    with pytest.raises(ValueError, match="lower .* at most upper"):
        F.rrelu(cr.randn(3), 0.5, 0.1)
    with pytest.raises(TypeError, match="floating-point input, got int64"):
        F.rrelu(cr.tensor([1, -1]), training=True)


@needs_torch
def test_rrelu_module_repr_modes_and_seeding():
    assert repr(nn.RReLU()) == repr(torch.nn.RReLU())
    assert repr(nn.RReLU(0.1, 0.3, True)) == repr(torch.nn.RReLU(0.1, 0.3, True))
    layer = nn.RReLU(0.1, 0.3, generator=np.random.default_rng(0))
    x = cr.full((1000,), -1.0)
    assert np.unique(layer(x).numpy()).size == 1000
    np.testing.assert_allclose(layer.eval()(x).numpy(), -0.2, rtol=1e-6)


# ---------------------------------------------------------------- gumbel_softmax


def test_gumbel_softmax_is_the_softmax_of_logits_plus_gumbel_noise_over_tau():
    logits = np.random.default_rng(1).standard_normal((3, 4))
    y = F.gumbel_softmax(t64(logits), tau=0.5, dim=0, generator=np.random.default_rng(2))
    z = (logits - np.log(np.random.default_rng(2).exponential(size=(3, 4)))) / 0.5
    expected = np.exp(z - z.max(0)) / np.exp(z - z.max(0)).sum(0)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12)


def test_hard_gumbel_softmax_is_one_hot_with_the_soft_gradient():
    logits = np.random.default_rng(4).standard_normal((5, 6))
    upstream = cr.tensor(np.random.default_rng(5).standard_normal((5, 6)))
    hard_in, soft_in = t64(logits, True), t64(logits, True)
    hard = F.gumbel_softmax(hard_in, hard=True, generator=np.random.default_rng(6))
    soft = F.gumbel_softmax(soft_in, generator=np.random.default_rng(6))
    one_hot = np.eye(6)[soft.detach().numpy().argmax(1)]
    np.testing.assert_allclose(hard.detach().numpy(), one_hot, atol=1e-15)
    hard.backward(upstream), soft.backward(upstream)
    np.testing.assert_allclose(hard_in.grad.numpy(), soft_in.grad.numpy(), rtol=1e-12)


def test_hard_samples_follow_the_softmax_probabilities():
    logits = np.log(np.array([0.1, 0.2, 0.7]))
    samples = F.gumbel_softmax(t64(np.tile(logits, (20000, 1))), hard=True,
                               generator=np.random.default_rng(7)).numpy()
    frequencies = samples.mean(0)
    np.testing.assert_allclose(frequencies, [0.1, 0.2, 0.7], atol=0.015)


@needs_torch
def test_gumbel_softmax_eps_is_deprecated_as_in_torch():
    with pytest.warns(UserWarning, match="eps parameter is deprecated"):
        F.gumbel_softmax(cr.randn(2, 3), eps=1e-5)
    with pytest.warns(UserWarning, match="deprecated"):
        torch.nn.functional.gumbel_softmax(torch.randn(2, 3), eps=1e-5)


def test_gumbel_softmax_refusals():
    with pytest.raises(ValueError, match="0-D"):
        F.gumbel_softmax(cr.tensor(1.0))
    with pytest.raises(TypeError, match="floating-point"):
        F.gumbel_softmax(cr.tensor([1, 2]))
    with pytest.raises(IndexError):
        F.gumbel_softmax(cr.randn(2, 3), dim=2)


# ---------------------------------------------------------------- alpha dropout


def affine_pieces(x, y):
    """(slope, intercept) of the kept elements and the value of the dropped ones, read off
    an output whose inputs are all distinct and nonzero."""
    dropped_value = np.median(y)  # more than half are dropped at p = 0.7
    kept = ~np.isclose(y, dropped_value, rtol=0, atol=1e-12)
    slope, intercept = np.polyfit(x[kept], y[kept], 1)
    return slope, intercept, dropped_value, kept


@needs_torch
@pytest.mark.parametrize("p", [0.7, 0.9])
def test_alpha_dropout_uses_torchs_affine_correction(p):
    x = np.linspace(1.0, 2.0, 4001)
    ours = F.alpha_dropout(t64(x), p, training=True, generator=np.random.default_rng(0))
    theirs = torch.nn.functional.alpha_dropout(torch.tensor(x), p, training=True)
    for got, want in zip(affine_pieces(x, ours.numpy())[:3],
                         affine_pieces(x, theirs.numpy())[:3]):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_alpha_dropout_keeps_zero_mean_unit_variance_and_passes_the_kept_gradient():
    x = np.random.default_rng(1).standard_normal(200000)
    y = F.alpha_dropout(t64(x), 0.2, training=True, generator=np.random.default_rng(2)).numpy()
    assert abs(y.mean()) < 0.01 and abs(y.std() - 1.0) < 0.01
    xc = t64(x[:50], True)
    out = F.alpha_dropout(xc, 0.5, training=True, generator=np.random.default_rng(3))
    out.sum().backward()
    slope, _, _, kept = affine_pieces(x[:50], out.detach().numpy())
    np.testing.assert_allclose(xc.grad.numpy(), np.where(kept, slope, 0.0), rtol=1e-9)


def test_alpha_dropouts_identity_zero_and_refusals():
    x = cr.randn(3, 4)
    assert F.alpha_dropout(x, 0.5) is x  # training=False is the default, as in torch
    assert F.feature_alpha_dropout(x, 0.5) is x
    assert F.alpha_dropout(x, 0.0, True) is x
    np.testing.assert_array_equal(F.alpha_dropout(x, 1.0, True).numpy(), 0.0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.alpha_dropout(x, 1.5, True)
    with pytest.raises(TypeError, match="floating-point"):
        F.alpha_dropout(cr.tensor([1, 2]), 0.5, True)
    with pytest.raises(ValueError, match="at least 2 dims"):
        F.feature_alpha_dropout(cr.randn(5), 0.5, True)


def test_feature_alpha_dropout_draws_once_per_channel():
    y = F.feature_alpha_dropout(cr.ones(300, 4, 3, 2), 0.5, True,
                                generator=np.random.default_rng(0)).numpy()
    per_channel = y.reshape(1200, 6)
    assert np.all(per_channel == per_channel[:, :1])
    assert np.unique(per_channel[:, 0]).size == 2


@needs_torch
def test_dropout_module_reprs_match_torch():
    for ours, theirs in [(nn.AlphaDropout(), torch.nn.AlphaDropout()),
                         (nn.FeatureAlphaDropout(0.2), torch.nn.FeatureAlphaDropout(0.2)),
                         (nn.Dropout3d(0.3, True), torch.nn.Dropout3d(0.3, True)),
                         (nn.Softmax2d(), torch.nn.Softmax2d()),
                         (nn.ChannelShuffle(3), torch.nn.ChannelShuffle(3))]:
        assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("cls", [nn.AlphaDropout, nn.FeatureAlphaDropout, nn.Dropout3d])
def test_dropout_modules_are_the_identity_in_eval_and_random_in_training(cls):
    layer = cls(0.5, generator=np.random.default_rng(0))
    x = cr.randn(4, 3, 2, 2, 2)
    assert layer.eval()(x) is x
    y = layer.train()(x)
    assert y.shape == x.shape and not np.allclose(y.numpy(), x.numpy())
    with pytest.raises(ValueError, match="between 0 and 1"):
        cls(-0.1)


# ---------------------------------------------------------------- dropout3d


@pytest.mark.parametrize("shape,lead", [((200, 6, 2, 1, 2), 2), ((300, 2, 2, 2), 1)])
def test_dropout3d_zeroes_whole_channels(shape, lead):
    y = F.dropout3d(cr.ones(*shape), 0.4, generator=np.random.default_rng(1)).numpy()
    channels = y.reshape(int(np.prod(shape[:lead])), -1)
    dropped = np.all(channels == 0.0, axis=1)
    assert np.all(dropped | np.all(np.isclose(channels, 1 / 0.6), axis=1))
    assert abs(dropped.mean() - 0.4) < 5 * np.sqrt(0.24 / channels.shape[0])


def test_dropout3d_other_ranks_warn_and_read_the_first_dim_as_channels():
    with pytest.warns(UserWarning, match="3-D input"):
        y = F.dropout3d(cr.ones(400, 3, 2), 0.5, generator=np.random.default_rng(2)).numpy()
    assert np.all(y.reshape(400, 6) == y.reshape(400, 6)[:, :1])
    with pytest.raises(ValueError, match="0-D"):
        F.dropout3d(cr.tensor(1.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.dropout3d(cr.ones(2, 3, 2, 2, 2), 0.5)


# ---------------------------------------------------------------- Softmax2d, channel_shuffle


@needs_torch
@pytest.mark.parametrize("shape", [(3, 4, 5), (2, 3, 4, 5)])
def test_softmax2d_matches_torch(shape):
    x = np.random.default_rng(0).standard_normal(shape)
    ours, theirs = t64(x, True), torch.tensor(x, requires_grad=True)
    y, yt = nn.Softmax2d()(ours), torch.nn.Softmax2d()(theirs)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-12)
    upstream = np.random.default_rng(1).standard_normal(shape)
    y.backward(cr.tensor(upstream)), yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-14)
    with pytest.raises(ValueError, match="3-D .* or 4-D"):
        nn.Softmax2d()(cr.randn(2, 3))


@needs_torch
@pytest.mark.parametrize("shape,groups", [((2, 6, 3), 3), ((1, 8, 2, 2), 2), ((2, 4, 1, 2, 1), 4),
                                          ((0, 6, 2), 2)])
def test_channel_shuffle_matches_torch(shape, groups):
    x = np.random.default_rng(0).standard_normal(shape)
    ours, theirs = t64(x, True), torch.tensor(x, requires_grad=True)
    y, yt = nn.ChannelShuffle(groups)(ours), torch.nn.functional.channel_shuffle(theirs, groups)
    np.testing.assert_array_equal(y.detach().numpy(), yt.detach().numpy())
    upstream = np.random.default_rng(1).standard_normal(shape)
    y.backward(cr.tensor(upstream)), yt.backward(torch.tensor(upstream))
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


def test_channel_shuffle_refusals():
    with pytest.raises(ValueError, match="more than 2 dims"):
        F.channel_shuffle(cr.randn(2, 4), 2)
    with pytest.raises(ValueError, match=r"channels \(5\) must be divisible by groups \(2\)"):
        F.channel_shuffle(cr.randn(2, 5, 3), 2)
    with pytest.raises(ValueError, match="positive int"):
        F.channel_shuffle(cr.randn(2, 4, 3), 0)
