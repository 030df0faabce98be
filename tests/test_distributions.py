"""chainrule.distributions: values and gradients against torch.distributions and NumPy closed
forms, float64 gradient checks, sample shapes and statistics, seeding, validation errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.distributions import (
    Bernoulli,
    Categorical,
    Distribution,
    Normal,
    Uniform,
    kl_divergence,
)

from .optional import needs_torch, torch

RNG = np.random.default_rng(0)
LOC = RNG.standard_normal((3, 1))
SCALE = RNG.uniform(0.5, 2.0, (4,))
X = RNG.standard_normal((2, 3, 4)) * 2
LOGITS = RNG.standard_normal((2, 3, 4)) * 2
PROBS = RNG.uniform(0.05, 1.0, (2, 3, 4))
LABELS = RNG.integers(0, 4, (5, 2, 3))
P = RNG.uniform(0.02, 0.98, (3, 4))
COINS = RNG.integers(0, 2, (2, 3, 4)).astype(np.float64)


def leaf(array, dtype=np.float64):
    return cr.tensor(np.asarray(array, dtype), requires_grad=True)


def torch_leaf(array, dtype=None):
    return torch.tensor(np.asarray(array), dtype=dtype or torch.float64, requires_grad=True)


def close(ours, theirs, rtol=1e-10, atol=1e-12):
    if ours is None or theirs is None:  # no gradient (entropy does not depend on loc)
        assert ours is None and theirs is None
        return
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)


# ------------------------------------------------------------------ closed forms in NumPy


def test_normal_matches_its_closed_forms():
    d = Normal(cr.tensor(LOC), cr.tensor(SCALE))
    density = np.exp(-(X - LOC) ** 2 / (2 * SCALE ** 2)) / (SCALE * np.sqrt(2 * np.pi))
    close(d.log_prob(cr.tensor(X)).data, np.log(density))
    cdf = 0.5 * (1 + np.vectorize(math.erf)((X - LOC) / (SCALE * np.sqrt(2))))
    close(d.cdf(cr.tensor(X)).data, cdf, atol=1e-15)
    close(d.icdf(cr.tensor(cdf)).data, X + 0 * LOC * SCALE, rtol=1e-9, atol=1e-9)
    close(d.entropy().data, np.broadcast_to(0.5 * np.log(2 * np.pi * np.e * SCALE ** 2),
                                            (3, 4)))
    close(d.mean.data, np.broadcast_to(LOC, (3, 4)))
    close(d.variance.data, np.broadcast_to(SCALE ** 2, (3, 4)))
    close(d.stddev.data, np.broadcast_to(SCALE, (3, 4)))


def test_categorical_matches_its_closed_forms():
    p = PROBS / PROBS.sum(-1, keepdims=True)
    for d in (Categorical(probs=cr.tensor(PROBS)), Categorical(logits=cr.tensor(np.log(p) + 3))):
        close(d.probs.data, p)
        close(d.logits.data, np.log(p))
        expected = np.log(np.take_along_axis(np.broadcast_to(p, (5, 2, 3, 4)),
                                             LABELS[..., None], -1)[..., 0])
        close(d.log_prob(cr.tensor(LABELS)).data, expected)
        close(d.entropy().data, -(p * np.log(p)).sum(-1))
        np.testing.assert_array_equal(d.mode.data, p.argmax(-1))


def test_bernoulli_matches_its_closed_forms():
    d = Bernoulli(probs=cr.tensor(P))
    x = COINS[0]
    close(d.log_prob(cr.tensor(x)).data, x * np.log(P) + (1 - x) * np.log(1 - P))
    close(d.entropy().data, -(P * np.log(P) + (1 - P) * np.log(1 - P)))
    close(d.variance.data, P * (1 - P))
    logit = np.log(P / (1 - P))
    close(Bernoulli(logits=cr.tensor(logit)).log_prob(cr.tensor(x)).data,
          x * np.log(P) + (1 - x) * np.log(1 - P))


def test_bernoulli_is_finite_at_logits_of_plus_minus_100_in_float32():
    logits = cr.tensor(np.array([-100.0, 100.0], np.float32), requires_grad=True)
    d = Bernoulli(logits=logits)
    log_prob = d.log_prob(cr.tensor(np.array([1.0, 0.0], np.float32)))
    np.testing.assert_allclose(log_prob.data, [-100.0, -100.0], rtol=1e-6)
    assert log_prob.dtype == np.float32 and np.isfinite(d.entropy().data).all()
    log_prob.sum().backward()
    np.testing.assert_allclose(logits.grad, [1.0, -1.0], rtol=1e-6)


def test_uniform_matches_its_closed_forms():
    def t(values):
        return cr.tensor(np.array(values))  # float64

    d = Uniform(t([0.0, -1.0]), t([2.0, 3.0]))
    close(d.log_prob(t([0.5, 2.9])).data, -np.log([2.0, 4.0]))
    close(d.cdf(t([0.5, 2.0])).data, [0.25, 0.75])
    close(d.icdf(t([0.25, 0.75])).data, [0.5, 2.0])
    close(d.entropy().data, np.log([2.0, 4.0]))
    close(d.variance.data, np.array([4.0, 16.0]) / 12)
    unchecked = Uniform(0.0, 1.0, validate_args=False)
    assert unchecked.log_prob(cr.tensor(1.5)).item() == -math.inf


# ------------------------------------------------------------------ parity with torch


@needs_torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_normal_values_and_gradients_match_torch(dtype):
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    rtol = 1e-10 if dtype == np.float64 else 1e-5
    for method in ("log_prob", "cdf", "entropy", "icdf", "rsample"):
        loc, scale = leaf(LOC, dtype), leaf(SCALE, dtype)
        tloc, tscale = torch_leaf(LOC, tdtype), torch_leaf(SCALE, tdtype)
        ours, theirs = Normal(loc, scale), torch.distributions.Normal(tloc, tscale)
        if method == "entropy":
            a, b = ours.entropy(), theirs.entropy()
        elif method == "icdf":
            p = RNG.uniform(0.001, 0.999, (2, 3, 4))
            a, b = ours.icdf(cr.tensor(p.astype(dtype))), theirs.icdf(torch.tensor(p, dtype=tdtype))
        elif method == "rsample":  # the same noise in both: rsample = loc + ε·scale
            cr.manual_seed(3)
            a = ours.rsample((2,))
            noise = (a.data - LOC.astype(dtype)) / SCALE.astype(dtype)
            b = tloc + torch.tensor(noise, dtype=tdtype) * tscale
        else:
            a = getattr(ours, method)(cr.tensor(X.astype(dtype)))
            b = getattr(theirs, method)(torch.tensor(X, dtype=tdtype))
        assert a.dtype == dtype
        close(a.data, b, rtol=rtol, atol=rtol)
        upstream = RNG.standard_normal(a.shape)
        (a * cr.tensor(upstream.astype(dtype))).sum().backward()
        (b * torch.tensor(upstream, dtype=tdtype)).sum().backward()
        close(loc.grad, tloc.grad, rtol=rtol * 10, atol=rtol)
        close(scale.grad, tscale.grad, rtol=rtol * 10, atol=rtol)


@needs_torch
@pytest.mark.parametrize("param", ["probs", "logits"])
def test_categorical_values_and_gradients_match_torch(param):
    source = PROBS if param == "probs" else LOGITS
    ours_param, theirs_param = leaf(source), torch_leaf(source)
    ours = Categorical(**{param: ours_param})
    theirs = torch.distributions.Categorical(**{param: theirs_param})
    close(ours.probs.data, theirs.probs)
    close(ours.logits.data, theirs.logits)
    assert ours.batch_shape == tuple(theirs.batch_shape) and ours.event_shape == ()
    assert ours.param_shape == tuple(theirs.param_shape)
    a, b = ours.log_prob(cr.tensor(LABELS)), theirs.log_prob(torch.tensor(LABELS))
    close(a.data, b)
    e, f = ours.entropy(), theirs.entropy()
    close(e.data, f)
    up, up_e = RNG.standard_normal(a.shape), RNG.standard_normal(e.shape)
    ((a * cr.tensor(up)).sum() + (e * cr.tensor(up_e)).sum()).backward()
    ((b * torch.tensor(up)).sum() + (f * torch.tensor(up_e)).sum()).backward()
    close(ours_param.grad, theirs_param.grad)
    close(ours.enumerate_support().data, theirs.enumerate_support())
    close(ours.enumerate_support(expand=False).data, theirs.enumerate_support(expand=False))
    np.testing.assert_array_equal(ours.mode.data, theirs.mode.numpy())


@needs_torch
def test_categorical_log_prob_broadcasts_values_like_torch():
    logits = RNG.standard_normal((3, 5))
    ours, theirs = Categorical(logits=cr.tensor(logits)), \
        torch.distributions.Categorical(logits=torch.tensor(logits))
    for labels in (np.array(2), np.array([[1], [4]]), RNG.integers(0, 5, (4, 1, 3))):
        close(ours.log_prob(cr.tensor(labels)).data, theirs.log_prob(torch.tensor(labels)))


@needs_torch
@pytest.mark.parametrize("param", ["probs", "logits"])
def test_bernoulli_values_and_gradients_match_torch(param):
    source = P if param == "probs" else np.log(P / (1 - P)) * 3
    ours_param, theirs_param = leaf(source), torch_leaf(source)
    ours = Bernoulli(**{param: ours_param})
    theirs = torch.distributions.Bernoulli(**{param: theirs_param})
    close(ours.probs.data, theirs.probs)
    close(ours.logits.data, theirs.logits)
    a, b = ours.log_prob(cr.tensor(COINS)), theirs.log_prob(torch.tensor(COINS))
    close(a.data, b)
    e, f = ours.entropy(), theirs.entropy()
    close(e.data, f)
    close(ours.variance.data, theirs.variance)
    up, up_e = RNG.standard_normal(a.shape), RNG.standard_normal(e.shape)
    ((a * cr.tensor(up)).sum() + (e * cr.tensor(up_e)).sum()).backward()
    ((b * torch.tensor(up)).sum() + (f * torch.tensor(up_e)).sum()).backward()
    close(ours_param.grad, theirs_param.grad)
    close(ours.enumerate_support().data, theirs.enumerate_support())
    half = Bernoulli(probs=cr.tensor([0.2, 0.5, 0.7]))
    close(half.mode.data, torch.distributions.Bernoulli(torch.tensor([0.2, 0.5, 0.7])).mode)


@needs_torch
def test_uniform_values_and_gradients_match_torch():
    low, high = leaf([0.0, -1.0, 2.0]), leaf([1.0, 3.0, 2.5])
    tlow, thigh = torch_leaf([0.0, -1.0, 2.0]), torch_leaf([1.0, 3.0, 2.5])
    ours, theirs = Uniform(low, high), torch.distributions.Uniform(tlow, thigh)
    x = np.array([[0.5, 0.0, 2.1], [0.9, -1.0, 2.4]])
    total, ttotal = 0, 0
    for method in ("log_prob", "cdf"):
        a, b = getattr(ours, method)(cr.tensor(x)), getattr(theirs, method)(torch.tensor(x))
        close(a.data, b)
        total, ttotal = total + a.sum(), ttotal + b.sum()
    close(ours.entropy().data, theirs.entropy())
    close(ours.icdf(cr.tensor(x * 0 + 0.3)).data, theirs.icdf(torch.tensor(x * 0 + 0.3)))
    (total + ours.entropy().sum() + ours.mean.sum() + ours.stddev.sum()).backward()
    (ttotal + theirs.entropy().sum() + theirs.mean.sum() + theirs.stddev.sum()).backward()
    close(low.grad, tlow.grad)
    close(high.grad, thigh.grad)


@needs_torch
def test_kl_divergence_matches_torch():
    t = torch.distributions
    pairs = [
        (Normal(cr.tensor(LOC), cr.tensor(SCALE)), Normal(cr.tensor(LOC * 2), 1.5),
         t.Normal(torch.tensor(LOC), torch.tensor(SCALE)), t.Normal(torch.tensor(LOC * 2), 1.5)),
        (Categorical(probs=cr.tensor(PROBS)), Categorical(logits=cr.tensor(LOGITS)),
         t.Categorical(probs=torch.tensor(PROBS)), t.Categorical(logits=torch.tensor(LOGITS))),
        (Bernoulli(probs=cr.tensor(P)), Bernoulli(logits=cr.tensor(P - 0.5)),
         t.Bernoulli(probs=torch.tensor(P)), t.Bernoulli(logits=torch.tensor(P - 0.5))),
        (Uniform(cr.tensor([0.0, 0.0]), cr.tensor([1.0, 3.0])),
         Uniform(cr.tensor([-1.0, 1.0]), cr.tensor([2.0, 4.0])),
         t.Uniform(torch.tensor([0.0, 0.0]), torch.tensor([1.0, 3.0])),
         t.Uniform(torch.tensor([-1.0, 1.0]), torch.tensor([2.0, 4.0]))),
    ]
    for p, q, tp, tq in pairs:
        close(kl_divergence(p, q).data, t.kl_divergence(tp, tq))


def test_kl_divergence_of_zero_probabilities_and_an_unknown_pair():
    p = Categorical(probs=cr.tensor([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0]]))
    q = Categorical(probs=cr.tensor([[0.25, 0.75, 0.0], [1.0, 0.0, 0.0]]))
    kl = kl_divergence(p, q).data
    assert kl[1] == math.inf
    np.testing.assert_allclose(kl[0], 0.5 * np.log(2) + 0.5 * np.log(0.5 / 0.75), rtol=1e-6)
    with pytest.raises(NotImplementedError, match="Normal and q type Categorical"):
        kl_divergence(Normal(0.0, 1.0), q)


# ------------------------------------------------------------------ float64 gradient checks


def test_gradcheck_normal():
    def fn(loc, scale, p):
        d = Normal(loc, scale)
        cr.manual_seed(0)
        return [d.log_prob(cr.tensor(X)), d.entropy(), d.cdf(cr.tensor(X)), d.icdf(p),
                d.rsample((2,))]

    for i in range(5):
        assert cr.gradcheck(lambda a, b, c, i=i: fn(a, b, c)[i],
                            [leaf(LOC), leaf(SCALE), leaf(RNG.uniform(0.01, 0.99, (3, 4)))])


def test_gradcheck_categorical_and_bernoulli():
    labels, coins = cr.tensor(LABELS), cr.tensor(COINS)
    assert cr.gradcheck(lambda p: Categorical(probs=p).log_prob(labels), [leaf(PROBS)])
    assert cr.gradcheck(lambda p: Categorical(probs=p).entropy(), [leaf(PROBS)])
    assert cr.gradcheck(lambda z: Categorical(logits=z).log_prob(labels), [leaf(LOGITS)])
    assert cr.gradcheck(lambda z: Categorical(logits=z).entropy(), [leaf(LOGITS)])
    assert cr.gradcheck(lambda p: Bernoulli(probs=p).log_prob(coins), [leaf(P)])
    assert cr.gradcheck(lambda z: Bernoulli(logits=z).entropy(), [leaf(LOGITS)])
    assert cr.gradcheck(lambda z: Bernoulli(logits=z).log_prob(coins), [leaf(LOGITS)])


def test_gradcheck_uniform_and_kl():
    def uniform_rsample(low, high):
        cr.manual_seed(1)
        return Uniform(low, high).rsample((3,))

    assert cr.gradcheck(uniform_rsample, [leaf([0.0, 1.0]), leaf([2.0, 1.5])])
    assert cr.gradcheck(lambda a, b, c, d: kl_divergence(Normal(a, b), Normal(c, d)),
                        [leaf(LOC), leaf(SCALE), leaf(LOC * 0.5 - 1), leaf(SCALE[::-1].copy())])
    assert cr.gradcheck(lambda z, y: kl_divergence(Categorical(logits=z), Categorical(logits=y)),
                        [leaf(LOGITS), leaf(LOGITS[::-1].copy())])


def test_cdf_and_icdf_at_the_ends_are_exact_with_finite_gradients():
    loc = leaf([0.0, 0.0, 0.0])
    d = Normal(loc, 1.0)
    cdf = d.cdf(cr.tensor([math.inf, -math.inf, 0.0]))
    np.testing.assert_array_equal(cdf.data, [1.0, 0.0, 0.5])
    cdf.sum().backward()
    np.testing.assert_allclose(loc.grad, [0.0, 0.0, -1 / math.sqrt(2 * math.pi)])
    for ends in ([0.0, 0.5], [1.0, 0.5]):  # apart: −inf + inf would be NaN in a sum
        p = leaf(ends)
        icdf = Normal(0.0, cr.tensor(np.ones(2))).icdf(p)
        np.testing.assert_array_equal(icdf.data, [math.inf if ends[0] else -math.inf, 0.0])
        icdf.sum().backward()
        assert p.grad[0] == np.finfo(np.float64).max  # torch: inf
        np.testing.assert_allclose(p.grad[1], math.sqrt(2 * math.pi))


def test_a_policy_gradient_reaches_the_network():
    cr.manual_seed(0)
    policy = cr.nn.Linear(3, 4)
    states = cr.randn(6, 3)
    dist = Categorical(logits=policy(states))
    actions = dist.sample()
    rewards = cr.randn(6)
    (-(dist.log_prob(actions) * rewards).sum()).backward()
    # d/dz of −Σ rₙ log softmax(zₙ)[aₙ] = −rₙ (onehot(aₙ) − pₙ), then through the Linear layer
    probs = np.exp(dist.logits.data)
    grad_z = -rewards.data[:, None] * (np.eye(4)[actions.data] - probs)
    np.testing.assert_allclose(policy.weight.grad, grad_z.T @ states.data, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(policy.bias.grad, grad_z.sum(0), rtol=1e-4, atol=1e-6)


# ------------------------------------------------------------------ sampling


def _all(batch):
    shape = batch + (4,)
    ones = np.ones(batch, np.float32)
    return [Normal(cr.tensor(ones), 2.0), Categorical(probs=cr.tensor(np.ones(shape, np.float32))),
            Bernoulli(probs=cr.tensor(np.full(batch, 0.3, np.float32))),
            Uniform(cr.tensor(np.zeros(batch, np.float32)), 1.0)]


@pytest.mark.parametrize("batch", [(), (3,), (2, 3)])
@pytest.mark.parametrize("sample_shape", [(), (5,), (4, 2), (0,)])
def test_sample_shapes_are_sample_shape_plus_batch_shape(batch, sample_shape):
    for d in _all(batch):
        assert d.batch_shape == batch and d.event_shape == ()
        draw = d.sample(sample_shape)
        assert draw.shape == sample_shape + batch, type(d).__name__
        assert draw.dtype == (np.int64 if isinstance(d, Categorical) else np.float32)
        assert not draw.requires_grad
        if d.has_rsample:
            assert d.rsample(sample_shape).shape == sample_shape + batch


def test_sample_statistics_are_within_five_standard_errors():
    cr.manual_seed(7)
    n = 40_000
    normal = Normal(cr.tensor([1.0, -3.0], dtype=cr.float64), cr.tensor([0.5, 2.0],
                                                                     dtype=cr.float64))
    x = normal.sample((n,)).data
    assert np.all(np.abs(x.mean(0) - [1.0, -3.0]) < 5 * np.array([0.5, 2.0]) / np.sqrt(n))
    # the sample variance's standard error is σ²·√(2/(n − 1))
    assert np.all(np.abs(x.var(0) - [0.25, 4.0]) < 5 * np.array([0.25, 4.0]) * np.sqrt(2 / n))
    p = np.array([0.1, 0.0, 0.6, 0.3])
    counts = np.bincount(Categorical(probs=cr.tensor(p)).sample((n,)).data, minlength=4) / n
    assert counts[1] == 0  # a category of probability 0 is never drawn
    assert np.all(np.abs(counts - p) < 5 * np.sqrt(p * (1 - p) / n) + 1e-12)
    coin = Bernoulli(probs=cr.tensor([0.05, 0.5])).sample((n,)).data.mean(0)
    assert np.all(np.abs(coin - [0.05, 0.5]) < 5 * np.sqrt(np.array([0.0475, 0.25]) / n))
    u = Uniform(2.0, 6.0).sample((n,)).data
    assert abs(u.mean() - 4.0) < 5 * (4 / np.sqrt(12)) / np.sqrt(n) and 2 <= u.min() < u.max() < 6


def test_sampling_follows_manual_seed_and_leaves_numpy_alone():
    before = np.random.get_state()[1].copy()
    draws = []
    for seed in (3, 3, 4):
        cr.manual_seed(seed)
        draws.append([d.sample((6,)).data for d in _all((2,))])
    for a, b in zip(draws[0], draws[1]):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(draws[0][0], draws[2][0])
    np.testing.assert_array_equal(np.random.get_state()[1], before)


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize(("make", "name"), [
    (lambda: Normal(0.0, -1.0), "scale"),
    (lambda: Normal(cr.tensor([0.0, 1.0]), 0.0), "scale"),
    (lambda: Normal(float("nan"), 1.0), "loc"),
    (lambda: Categorical(probs=cr.tensor([0.5, -0.1, 0.6])), "probs"),
    (lambda: Categorical(logits=cr.tensor([0.0, float("nan")])), "logits"),
    (lambda: Bernoulli(probs=cr.tensor([0.5, 1.5])), "probs"),
    (lambda: Bernoulli(probs=-0.1), "probs"),
    (lambda: Bernoulli(logits=float("nan")), "logits"),
])
def test_invalid_parameters_are_value_errors_naming_the_parameter(make, name):
    with pytest.raises(ValueError, match=f"Expected parameter {name} .* to satisfy the "
                                         "constraint"):
        make()


@needs_torch
def test_parameter_errors_read_like_torchs():
    with pytest.raises(ValueError) as ours:
        Normal(0.0, -1.0)
    with pytest.raises(ValueError) as theirs:
        torch.distributions.Normal(0.0, -1.0)
    prefix = "Expected parameter scale (Tensor of shape ()) of distribution Normal(loc: 0.0, " \
             "scale: -1.0) to satisfy the constraint GreaterThan(lower_bound=0.0)"
    assert str(ours.value).startswith(prefix) and str(theirs.value).startswith(prefix)


@pytest.mark.parametrize(("dist", "value", "fragment"), [
    (Categorical(probs=cr.ones(3)), cr.tensor([0, 3]), "IntegerInterval(lower_bound=0, "
                                                        "upper_bound=2)"),
    (Categorical(probs=cr.ones(3)), cr.tensor([-1]), "within the support"),
    (Categorical(probs=cr.ones(3)), cr.tensor([1.5]), "within the support"),
    (Bernoulli(probs=0.3), cr.tensor([0.5]), "Boolean()"),
    (Uniform(0.0, 1.0), cr.tensor([1.5]), "Interval(lower_bound=0.0, upper_bound=1.0)"),
    (Normal(0.0, 1.0), cr.tensor([float("nan")]), "Real()"),
    (Categorical(probs=cr.ones(2, 3)), cr.tensor([0, 1, 2]), "not broadcastable"),
    (Normal(cr.zeros(4), 1.0), cr.zeros(3), "not broadcastable"),
    (Normal(0.0, 1.0), 0.5, "must be a Tensor"),
])
def test_log_prob_of_a_value_outside_the_support_is_a_value_error(dist, value, fragment):
    with pytest.raises(ValueError) as err:
        dist.log_prob(value)
    assert fragment in str(err.value)


def test_validation_can_be_turned_off_per_distribution_and_by_default():
    assert Normal(0.0, -1.0, validate_args=False).scale.item() == -1.0
    assert Categorical(probs=cr.ones(3), validate_args=False).log_prob(cr.tensor([1])).shape \
        == (1,)
    Distribution.set_default_validate_args(False)
    try:
        assert Bernoulli(probs=1.5).probs.item() == 1.5
    finally:
        Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError, match="probs"):
        Bernoulli(probs=1.5)
    with pytest.raises(ValueError, match="expects a bool"):
        Distribution.set_default_validate_args("no")


@pytest.mark.parametrize(("make", "error", "fragment"), [
    (lambda: Categorical(), ValueError, "Either `probs` or `logits`"),
    (lambda: Categorical(probs=cr.ones(2), logits=cr.ones(2)), ValueError, "but not both"),
    (lambda: Bernoulli(), ValueError, "Either `probs` or `logits`"),
    (lambda: Categorical(probs=cr.tensor(1.0)), ValueError, "at least one-dimensional"),
    (lambda: Uniform(1.0, 1.0), ValueError, "low>= high"),
    (lambda: Normal(0.0, 1.0).sample(5), TypeError, "sample_shape must be a tuple"),
    (lambda: Normal(0.0, 1.0).sample((-1,)), ValueError, "non-negative"),
    (lambda: Categorical(probs=cr.ones(2)).rsample(), NotImplementedError, "rsample"),
])
def test_bad_arguments_name_the_problem(make, error, fragment):
    with pytest.raises(error, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        make()


def test_numbers_become_float32_tensors_and_graphs_are_kept():
    d = Normal(0.0, 1.0)
    assert d.loc.dtype == np.float32 and d.batch_shape == ()
    loc = cr.zeros(3, requires_grad=True)
    d = Normal(loc, 2.0)
    assert d.scale.shape == (3,) and d.mean is loc
    assert repr(d) == "Normal(loc: (3,), scale: (3,))"
    assert Categorical(logits=cr.tensor([[1, 2, 3]])).probs.dtype == np.float32
