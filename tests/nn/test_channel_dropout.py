"""Dropout1d / Dropout2d: whole channels zeroed at rate p, kept ones scaled by 1/(1 − p),
identity in eval, seeded masks, gradients through the kept channels, layouts and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F
from chainrule import nn

CASES = [  # (function, input shape, number of leading mask dims: (N, C) or just (C,))
    (F.dropout1d, (200, 50, 3), 2),
    (F.dropout1d, (400, 3), 1),
    (F.dropout2d, (100, 40, 2, 3), 2),
]


def channel_values(y, lead):
    """The output reshaped to (channels, positions)."""
    return y.reshape(int(np.prod(y.shape[:lead])), -1)


@pytest.mark.parametrize("p", [0.2, 0.5])
@pytest.mark.parametrize("fn,shape,lead", CASES)
def test_whole_channels_are_zeroed_at_rate_p_and_the_rest_scaled(fn, shape, lead, p):
    x = cr.ones(*shape, dtype=cr.float64)
    y = channel_values(fn(x, p, generator=np.random.default_rng(0)).numpy(), lead)
    dropped = np.all(y == 0.0, axis=1)
    kept = np.all(y == 1.0 / (1.0 - p), axis=1)
    assert np.all(dropped | kept), "a channel was partly zeroed"
    # Binomial(n, p) rate: 5 standard deviations either side.
    n = y.shape[0]
    assert abs(dropped.mean() - p) < 5 * np.sqrt(p * (1 - p) / n)


def test_channels_are_drawn_independently_per_sample():
    y = F.dropout1d(cr.ones(300, 4, 2), 0.5, generator=np.random.default_rng(1)).numpy()
    patterns = {tuple(row) for row in (y[:, :, 0] == 0)}
    assert len(patterns) == 16  # all 2⁴ keep/drop patterns of 4 channels occur in 300 draws


@pytest.mark.parametrize("fn,shape,lead", CASES)
def test_gradient_flows_through_the_kept_channels_only(fn, shape, lead):
    rng = np.random.default_rng(2)
    x = cr.tensor(rng.standard_normal(shape), requires_grad=True)
    y = fn(x, 0.4, generator=np.random.default_rng(3))
    upstream = rng.standard_normal(shape)
    y.backward(upstream)
    mask = fn(cr.ones(*shape, dtype=cr.float64), 0.4, generator=np.random.default_rng(3))
    np.testing.assert_allclose(y.detach().numpy(), x.detach().numpy() * mask.numpy())
    np.testing.assert_allclose(x.grad.numpy(), upstream * mask.numpy())


@pytest.mark.parametrize("cls,shape", [(nn.Dropout1d, (4, 3, 5)), (nn.Dropout1d, (16, 5)),
                                       (nn.Dropout2d, (4, 3, 2, 2))])
def test_modules_are_the_identity_in_eval_and_drop_in_training(cls, shape):
    layer = cls(0.5, generator=np.random.default_rng(0))
    x = cr.randn(*shape)
    assert layer.eval()(x) is x
    layer.train()
    y = layer(x)
    assert y.shape == x.shape
    assert (y == 0).any().item() and not (y == x).all().item()


def test_p_zero_is_the_identity_and_p_one_zeroes_everything():
    x = cr.randn(4, 3, 5)
    assert F.dropout1d(x, 0.0) is x
    np.testing.assert_array_equal(F.dropout2d(cr.randn(2, 3, 4, 4), 1.0).numpy(), 0.0)


def test_masks_follow_the_package_seed_and_explicit_generators():
    cr.manual_seed(7)
    a = nn.Dropout2d(0.5)(cr.ones(8, 6, 2, 2)).numpy()
    cr.manual_seed(7)
    b = nn.Dropout2d(0.5)(cr.ones(8, 6, 2, 2)).numpy()
    np.testing.assert_array_equal(a, b)
    layer = nn.Dropout1d(0.5, generator=np.random.default_rng(5))
    c = layer(cr.ones(8, 6, 3)).numpy()
    d = F.dropout1d(cr.ones(8, 6, 3), 0.5, generator=np.random.default_rng(5)).numpy()
    np.testing.assert_array_equal(c, d)


def test_dtype_is_preserved():
    assert F.dropout1d(cr.randn(4, 3, 2), 0.3).dtype == cr.float32
    assert F.dropout2d(cr.randn(4, 3, 2, 2, dtype=cr.float64), 0.3).dtype == cr.float64


def test_dropout2d_reads_a_3d_input_as_n_c_l_with_a_warning_as_torch_does():
    with pytest.warns(UserWarning, match=r"\(N, C, L\)"):
        y = F.dropout2d(cr.ones(50, 8, 3), 0.5, generator=np.random.default_rng(4)).numpy()
    per_channel = y.reshape(400, 3)
    assert np.all(np.all(per_channel == 0, axis=1) | np.all(per_channel == 2, axis=1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.dropout2d(cr.ones(2, 3, 4, 4), 0.5)  # no warning for 4-D


def test_reprs_match_torch():
    torch = pytest.importorskip("torch")
    assert repr(nn.Dropout1d(0.3)) == repr(torch.nn.Dropout1d(0.3))
    assert repr(nn.Dropout2d()) == repr(torch.nn.Dropout2d())


def test_errors_name_the_expected_layouts_and_the_shape():
    with pytest.raises(ValueError, match=r"\(C, L\).*\(N, C, L\).*\(2, 3, 4, 5\)"):
        F.dropout1d(cr.randn(2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\).*\(2, 3\)"):
        nn.Dropout2d()(cr.randn(2, 3))
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout2d(cr.randn(2, 3, 4, 4), 1.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout1d(-0.1)
