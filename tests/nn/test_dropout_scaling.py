"""Inverted dropout: while training each element is zeroed with probability p and every kept
element becomes exactly x/(1 − p), so E[y] = x; in eval mode the input passes unchanged.

Sampling error (n elements, keep probability q = 1 − p): the share of zeros has standard
error √(pq/n); the mean of y − x has standard error √(mean(x²)·p/(q n)), since
Var[x·B/q] = x²·p/q for B ~ Bernoulli(q). We allow 6 standard errors. Unscaled dropout
(y = x·B) misses the mean by p·mean(x), hundreds of standard errors at n = 200 000.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.nn import functional as F

N = 200_000


def inputs(dtype=np.float64):
    return np.random.default_rng(0).uniform(0.5, 2.0, N).astype(dtype)  # no zeros in x


def check_inverted_dropout(x, y, p, rtol):
    q = 1 - p
    kept = y != 0
    np.testing.assert_allclose(y[kept], x[kept] / q, rtol=rtol)
    assert abs(np.mean(~kept) - p) <= 6 * math.sqrt(p * q / N)
    standard_error = math.sqrt(np.mean(x**2) * p / (q * N))
    assert abs(np.mean(y) - np.mean(x)) <= 6 * standard_error, (np.mean(y), np.mean(x))


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_functional_dropout_scales_kept_units_and_keeps_the_mean(p):
    x = inputs()
    y = F.dropout(cr.tensor(x), p, training=True, generator=np.random.default_rng(1)).numpy()
    assert y.dtype == np.float64
    check_inverted_dropout(x, y, p, rtol=1e-15)


@pytest.mark.parametrize("p", [0.3, 0.6])
def test_dropout_layer_in_float32_and_its_gradient_is_the_same_mask_over_1_minus_p(p):
    x = cr.tensor(inputs(np.float32), requires_grad=True)
    layer = nn.Dropout(p, generator=np.random.default_rng(2))
    y = layer(x)
    check_inverted_dropout(x.detach().numpy(), y.detach().numpy(), p, rtol=1e-6)
    y.sum().backward()
    kept = y.detach().numpy() != 0
    np.testing.assert_allclose(x.grad.numpy(), kept / (1 - p), rtol=1e-6)


def test_eval_mode_and_the_edge_probabilities():
    x = cr.tensor(inputs())
    layer = nn.Dropout(0.5).eval()
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())
    np.testing.assert_array_equal(F.dropout(x, 0.0, training=True).numpy(), x.numpy())
    np.testing.assert_array_equal(F.dropout(x, 1.0, training=True).numpy(), 0.0)


@pytest.mark.parametrize("make,shape,channel_axes", [
    (nn.Dropout1d, (400, 500, 3), (2,)), (nn.Dropout2d, (400, 500, 2, 2), (2, 3)),
])
def test_channel_dropout_scales_whole_kept_channels(make, shape, channel_axes):
    p, q = 0.4, 0.6
    x = np.random.default_rng(3).uniform(0.5, 2.0, shape)
    y = make(p, generator=np.random.default_rng(4))(cr.tensor(x)).numpy()
    kept = (y != 0).all(axis=channel_axes)
    dropped = (y == 0).all(axis=channel_axes)
    assert (kept | dropped).all()  # a channel is kept or dropped as a whole
    np.testing.assert_allclose(y[kept], x[kept] / q, rtol=1e-15)
    channels = kept.size
    assert abs(np.mean(dropped) - p) <= 6 * math.sqrt(p * q / channels)
    # per-channel means: Var[mean of y] ≈ mean over channels of (channel mean of x)²·p/q / n
    per_channel = x.mean(axis=channel_axes)
    standard_error = math.sqrt(np.mean(per_channel**2) * p / (q * channels))
    assert abs(y.mean() - x.mean()) <= 6 * standard_error
