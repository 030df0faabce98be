"""chainrule.distributions' multivariate and structured distributions (MultivariateNormal,
Independent, OneHotCategorical(StraightThrough), Multinomial, MixtureSameFamily) against
torch.distributions in float64: values and gradients, shapes under broadcasting, expand, KL
pairs; float64 gradient checks; sampling by shapes, support and moments; the error cases;
and a PyTorch script run through ``chainrule run``."""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pytest

import chainrule as cr
from chainrule import cli
from chainrule.distributions import (
    Categorical,
    Independent,
    MixtureSameFamily,
    Multinomial,
    MultivariateNormal,
    Normal,
    OneHotCategorical,
    OneHotCategoricalStraightThrough,
    kl_divergence,
)

from .optional import needs_torch, torch

pytestmark = needs_torch
TD = torch.distributions if torch is not None else None

RNG = np.random.default_rng(3)
N = 3
_A = RNG.standard_normal((2, N, N))
COV = _A @ _A.transpose(0, 2, 1) + np.eye(N)          # batch (2,)
LOC = RNG.standard_normal((4, 1, N))                  # batch (4, 1): broadcasts to (4, 2)
X = RNG.standard_normal((5, 4, 2, N))
MATRICES = {"covariance_matrix": COV, "precision_matrix": np.linalg.inv(COV),
            "scale_tril": np.linalg.cholesky(COV)}
PROBS = RNG.dirichlet(np.ones(4), (3,))
LOGITS = RNG.standard_normal((3, 4))


def leaf(array):
    return cr.tensor(np.array(array, dtype=np.float64), requires_grad=True)


def torch_leaf(array):
    return torch.tensor(np.array(array, dtype=np.float64), requires_grad=True)


def close(ours, theirs, rtol=1e-9, atol=1e-11):
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    ours = ours.detach().numpy() if hasattr(ours, "detach") else np.asarray(ours)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)


def grads_match(ours_fn, theirs_fn, arrays, rtol=1e-8):
    """The output and the gradients of sum(w·f) with respect to each array match torch."""
    ours_in, theirs_in = [leaf(a) for a in arrays], [torch_leaf(a) for a in arrays]
    ours, theirs = ours_fn(*ours_in), theirs_fn(*theirs_in)
    close(ours, theirs, rtol=rtol)
    w = RNG.standard_normal(tuple(theirs.shape))
    (ours * cr.tensor(w)).sum().backward()
    (theirs * torch.tensor(w)).sum().backward()
    for a, b in zip(ours_in, theirs_in):
        if b.grad is None:
            assert a.grad is None or not np.any(a.grad.numpy())
        else:
            close(a.grad, b.grad, rtol=rtol, atol=1e-10)


def attrs_match(ours, theirs, names, arrays):
    """``grads_match`` for each attribute (or method without arguments) in ``names`` of the
    distributions ``ours(*arrays)`` and ``theirs(*arrays)``."""
    def read(dist, name):
        value = getattr(dist, name)
        return value() if callable(value) else value

    for name in names:
        grads_match(lambda *a, n=name: read(ours(*a), n), lambda *a, n=name: read(theirs(*a), n),
                    arrays)


def spd(a):
    """A positive-definite matrix from any square a: a aᵀ + I (differentiable)."""
    return a @ a.mT + cr.tensor(np.eye(a.shape[-1]))


# ================================================================== MultivariateNormal


@pytest.mark.parametrize("name", sorted(MATRICES))
def test_mvn_values_and_gradients_match_torch(name):
    def ours(loc, m, x):
        return MultivariateNormal(loc, **{name: m})

    def theirs(loc, m, x):
        return TD.MultivariateNormal(loc, **{name: m})

    arrays = [LOC, MATRICES[name], X]
    grads_match(lambda *a: ours(*a).log_prob(a[2]), lambda *a: theirs(*a).log_prob(a[2]), arrays)
    grads_match(lambda *a: ours(*a).entropy(), lambda *a: theirs(*a).entropy(), arrays)
    attrs_match(ours, theirs, ("mean", "mode", "variance", "stddev", "covariance_matrix",
                               "precision_matrix", "scale_tril"), arrays)
    d, t = ours(*map(cr.tensor, arrays)), theirs(*map(torch.tensor, arrays))
    assert (d.batch_shape, d.event_shape) == (tuple(t.batch_shape), tuple(t.event_shape))
    assert repr(d) == repr(t).replace("torch.Size([", "(").replace("])", ")")
    e, te = d.expand((3, 4, 2)), t.expand((3, 4, 2))
    assert e.batch_shape == tuple(te.batch_shape) == (3, 4, 2)
    close(e.log_prob(cr.tensor(X[0])), te.log_prob(torch.tensor(X[0])))
    close(getattr(e, name), getattr(te, name))
    close(e.entropy(), te.entropy())


def test_mvn_shapes_for_unbatched_and_batched_loc():
    cases = [(np.zeros(N), COV[0]), (np.zeros((5, N)), COV[0]), (np.zeros(N), COV),
             (np.zeros((1, N)), COV)]
    for loc, cov in cases:
        d = MultivariateNormal(cr.tensor(loc), cr.tensor(cov))
        t = TD.MultivariateNormal(torch.tensor(loc), torch.tensor(cov))
        assert (d.batch_shape, d.event_shape) == (tuple(t.batch_shape), tuple(t.event_shape))
        assert d.sample((6,)).shape == (6, *t.batch_shape, N)
        close(d.entropy(), t.entropy())


@pytest.mark.parametrize("name", sorted(MATRICES))
def test_gradcheck_mvn(name):
    def dist(loc, a):
        if name == "scale_tril":
            lower = a.tril(-1) + (a.diagonal(dim1=-2, dim2=-1).exp()).diag_embed()
            return MultivariateNormal(loc, scale_tril=lower)
        return MultivariateNormal(loc, **{name: spd(a)})

    def rsample(loc, a):
        cr.manual_seed(0)
        return dist(loc, a).rsample((3,))

    inputs = [leaf(LOC[:2, 0]), leaf(_A)]
    assert cr.gradcheck(lambda loc, a: dist(loc, a).log_prob(cr.tensor(X[:, 0])), inputs)
    assert cr.gradcheck(lambda loc, a: dist(loc, a).entropy(), inputs)
    assert cr.gradcheck(rsample, inputs)
    x = leaf(X[:, 0])
    assert cr.gradcheck(lambda v: dist(cr.tensor(LOC[:2, 0]), cr.tensor(_A)).log_prob(v), [x])


def test_mvn_sample_moments():
    cr.manual_seed(11)
    loc, cov = np.array([1.0, -2.0, 0.5]), COV[0]
    draws = MultivariateNormal(cr.tensor(loc), cr.tensor(cov)).sample((40000,)).numpy()
    assert draws.shape == (40000, N) and draws.dtype == np.float64
    stderr = np.sqrt(np.diag(cov) / len(draws))
    assert np.all(np.abs(draws.mean(0) - loc) < 5 * stderr)
    # the sample covariance: entry (i, j) has standard error √((Σᵢᵢ Σⱼⱼ + Σᵢⱼ²)/n)
    se_cov = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov ** 2) / len(draws))
    assert np.all(np.abs(np.cov(draws.T) - cov) < 5 * se_cov)
    float32 = MultivariateNormal(cr.zeros(2), cr.eye(2)).sample((3,))
    assert float32.dtype == cr.float32 and not float32.requires_grad


def test_mvn_rsample_gradient_is_the_noise():
    loc, lower = leaf(np.zeros(2)), leaf(np.linalg.cholesky(COV[0][:2, :2]))
    cr.manual_seed(5)
    draws = MultivariateNormal(loc, scale_tril=lower).rsample((1000,))
    cr.manual_seed(5)
    noise = cr.randn(1000, 2, dtype=cr.float64).numpy()
    draws.sum().backward()
    # d Σ(μ + L ε)/dμ = count; d/dL_ij = Σ ε_j over draws, only below the diagonal read as L
    np.testing.assert_allclose(loc.grad.numpy(), [1000.0, 1000.0])
    np.testing.assert_allclose(draws.detach().numpy(), noise @ lower.detach().numpy().T)
    np.testing.assert_allclose(lower.grad.numpy(), np.tile(noise.sum(0), (2, 1)))


def test_mvn_kl_matches_torch_with_gradients():
    lq = np.linalg.cholesky(COV[1])

    def ours(lp, mp, mq):
        return kl_divergence(MultivariateNormal(lp, covariance_matrix=mp),
                             MultivariateNormal(mq, scale_tril=cr.tensor(lq)))

    def theirs(lp, mp, mq):
        return TD.kl_divergence(TD.MultivariateNormal(lp, covariance_matrix=mp),
                                TD.MultivariateNormal(mq, scale_tril=torch.tensor(lq)))

    grads_match(ours, theirs, [LOC, COV, LOC[0, 0]])
    with pytest.raises(ValueError, match="different event shapes"):
        kl_divergence(MultivariateNormal(cr.zeros(2), cr.eye(2)),
                      MultivariateNormal(cr.zeros(3), cr.eye(3)))


def test_mvn_errors():
    loc, cov = cr.zeros(N, dtype=cr.float64), cr.tensor(COV[0])
    with pytest.raises(ValueError, match="loc must be at least one-dimensional"):
        MultivariateNormal(cr.tensor(0.0), cov)
    with pytest.raises(ValueError, match="Exactly one of covariance_matrix or precision"):
        MultivariateNormal(loc)
    with pytest.raises(ValueError, match="Exactly one of covariance_matrix or precision"):
        MultivariateNormal(loc, cov, scale_tril=cov)
    with pytest.raises(ValueError, match="scale_tril matrix must be at least two-dim"):
        MultivariateNormal(loc, scale_tril=cr.ones(N))
    with pytest.raises(ValueError, match="precision_matrix must be at least two-dim"):
        MultivariateNormal(loc, precision_matrix=cr.ones(N))
    with pytest.raises(ValueError, match="must hold square matrices of the size of loc"):
        MultivariateNormal(loc, cr.eye(2))
    with pytest.raises(RuntimeError, match="cannot be broadcast to a single shape"):
        MultivariateNormal(cr.zeros(4, N), cr.tensor(COV))
    with pytest.raises(ValueError, match="covariance_matrix .* PositiveDefinite"):
        MultivariateNormal(loc, cr.tensor(-COV[0]))
    with pytest.raises(ValueError, match="precision_matrix .* PositiveDefinite"):
        MultivariateNormal(loc, precision_matrix=cr.tensor(_A[0]))
    with pytest.raises(ValueError, match="scale_tril .* LowerCholesky"):
        MultivariateNormal(loc, scale_tril=cov)
    with pytest.raises(ValueError, match="loc .* IndependentConstraint"):
        MultivariateNormal(cr.tensor([0.0, np.nan, 0.0]), cov)
    d = MultivariateNormal(loc, cov)
    with pytest.raises(ValueError, match="must match event_shape"):
        d.log_prob(cr.zeros(2, dtype=cr.float64))
    with pytest.raises(ValueError, match="within the support"):
        d.log_prob(cr.tensor([0.0, np.nan, 1.0]))
    MultivariateNormal(loc, scale_tril=cov, validate_args=False)  # not checked when asked


# ================================================================== Independent


def test_independent_matches_torch():
    loc, scale, x = RNG.standard_normal((2, 3, 4)), RNG.uniform(0.5, 2, (3, 4)), \
        RNG.standard_normal((5, 2, 3, 4))
    for ndims in (0, 1, 2):
        def ours(m, s, v, ndims=ndims):
            return Independent(Normal(m, s), ndims)

        def theirs(m, s, v, ndims=ndims):
            return TD.Independent(TD.Normal(m, s), ndims)

        arrays = [loc, scale, x]
        grads_match(lambda *a: ours(*a).log_prob(a[2]), lambda *a: theirs(*a).log_prob(a[2]),
                    arrays)
        grads_match(lambda *a: ours(*a).entropy(), lambda *a: theirs(*a).entropy(), arrays)
        attrs_match(ours, theirs, ("mean", "mode", "variance"), arrays)
        d, t = ours(*map(cr.tensor, arrays)), theirs(*map(torch.tensor, arrays))
        assert (d.batch_shape, d.event_shape) == (tuple(t.batch_shape), tuple(t.event_shape))
        assert repr(d.support) == repr(t.support) and d.has_rsample
        assert d.rsample((7,)).shape == (7, 2, 3, 4)
        assert repr(d) == repr(t).replace("torch.Size([", "(").replace("])", ")")


def test_independent_of_mvn_expand_and_enumerate():
    base = MultivariateNormal(cr.tensor(LOC), cr.tensor(COV))           # batch (4, 2)
    tbase = TD.MultivariateNormal(torch.tensor(LOC), torch.tensor(COV))
    d, t = Independent(base, 1), TD.Independent(tbase, 1)
    assert (d.batch_shape, d.event_shape) == ((4,), (2, N))
    close(d.log_prob(cr.tensor(X)), t.log_prob(torch.tensor(X)))
    e, te = d.expand((3, 4)), t.expand((3, 4))
    assert (e.batch_shape, e.event_shape) == (tuple(te.batch_shape), tuple(te.event_shape))
    close(e.log_prob(cr.tensor(X[:3])), te.log_prob(torch.tensor(X[:3])))
    assert e.sample((2,)).shape == (2, 3, 4, 2, N)
    cats = Independent(Categorical(cr.tensor(PROBS)), 0)
    assert cats.has_enumerate_support
    assert cats.enumerate_support().shape == (4, 3)
    assert not Independent(Categorical(cr.tensor(PROBS)), 1).has_enumerate_support
    with pytest.raises(NotImplementedError, match="Enumeration over cartesian product"):
        Independent(Categorical(cr.tensor(PROBS)), 1).enumerate_support()


def test_independent_kl_and_errors():
    p = [RNG.standard_normal((2, 3)), RNG.uniform(0.5, 2, (2, 3))]
    q = [RNG.standard_normal((2, 3)), RNG.uniform(0.5, 2, (2, 3))]
    grads_match(lambda a, b, c, e: kl_divergence(Independent(Normal(a, b), 2),
                                                 Independent(Normal(c, e), 2)),
                lambda a, b, c, e: TD.kl_divergence(TD.Independent(TD.Normal(a, b), 2),
                                                    TD.Independent(TD.Normal(c, e), 2)),
                p + q)
    normal = Normal(cr.zeros(2, 3), 1.0)
    with pytest.raises(NotImplementedError, match="equal reinterpreted_batch_ndims"):
        kl_divergence(Independent(normal, 1), Independent(normal, 2))
    with pytest.raises(ValueError, match="Expected reinterpreted_batch_ndims <= "
                                         r"len\(base_distribution.batch_shape\), actual 3 vs 2"):
        Independent(normal, 3)
    with pytest.raises(ValueError, match="within the support"):
        Independent(Normal(cr.zeros(3), 1.0), 1).log_prob(cr.tensor([0.0, np.nan, 0.0]))


# ================================================================== OneHotCategorical


@pytest.mark.parametrize("param", ["probs", "logits"])
def test_one_hot_categorical_matches_torch(param):
    values = np.eye(4)[RNG.integers(0, 4, (5, 3))]
    given = PROBS if param == "probs" else LOGITS

    def ours(g):
        return OneHotCategorical(**{param: g})

    def theirs(g):
        return TD.OneHotCategorical(**{param: g})

    grads_match(lambda g: ours(g).log_prob(cr.tensor(values)),
                lambda g: theirs(g).log_prob(torch.tensor(values)), [given])
    attrs_match(ours, theirs, ("entropy", "mean", "variance", "probs", "logits"), [given])
    d, t = ours(cr.tensor(given)), theirs(torch.tensor(given))
    close(d.mode, t.mode)
    close(d.enumerate_support(), t.enumerate_support())
    close(d.enumerate_support(expand=False), t.enumerate_support(expand=False))
    assert (d.batch_shape, d.event_shape, d.param_shape) == \
        (tuple(t.batch_shape), tuple(t.event_shape), tuple(t.param_shape))
    assert repr(d) == repr(t) and repr(d.support) == repr(t.support)
    e, te = d.expand((2, 3)), t.expand((2, 3))
    close(e.log_prob(cr.tensor(values[:2])), te.log_prob(torch.tensor(values[:2])))
    close(e.probs, te.probs)


def test_one_hot_categorical_sampling_and_errors():
    cr.manual_seed(2)
    probs = np.array([0.1, 0.2, 0.7])
    draws = OneHotCategorical(cr.tensor(probs)).sample((30000,)).numpy()
    assert draws.shape == (30000, 3) and draws.dtype == np.float64
    assert np.all(draws.sum(-1) == 1) and np.all((draws == 0) | (draws == 1))
    stderr = np.sqrt(probs * (1 - probs) / len(draws))
    assert np.all(np.abs(draws.mean(0) - probs) < 5 * stderr)
    d = OneHotCategorical(logits=cr.zeros(2, 3))
    with pytest.raises(ValueError, match="within the support"):
        d.log_prob(cr.tensor([[1.0, 1.0, 0.0], [0.0, 1.0, 0.0]]))
    with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified"):
        OneHotCategorical()
    with pytest.raises(ValueError, match="Simplex"):
        OneHotCategorical(probs=cr.tensor([-0.5, 1.5]))
    with pytest.raises(NotImplementedError, match="has no reparameterised sampler"):
        d.rsample()


def test_one_hot_straight_through_gradient_and_kl():
    weights = RNG.standard_normal((6, 3, 4))

    def ours(z):
        cr.manual_seed(0)
        sample = OneHotCategoricalStraightThrough(logits=z).rsample((6,))
        return (sample * cr.tensor(weights)).sum((0, -1))

    def theirs(z):  # the gradient does not depend on which one-hot vectors were drawn
        sample = TD.OneHotCategoricalStraightThrough(logits=z).rsample((6,))
        return (sample * torch.tensor(weights)).sum((0, -1))

    z, tz = leaf(LOGITS), torch_leaf(LOGITS)
    ours(z).sum().backward()
    theirs(tz).sum().backward()
    close(z.grad, tz.grad)
    draw = OneHotCategoricalStraightThrough(logits=cr.tensor(LOGITS)).rsample((2,)).numpy()
    assert np.all(draw.sum(-1) == 1) and np.all((draw == 0) | (draw == 1))
    assert OneHotCategoricalStraightThrough.has_rsample and not OneHotCategorical.has_rsample
    grads_match(lambda p, q: kl_divergence(OneHotCategorical(p), OneHotCategorical(logits=q)),
                lambda p, q: TD.kl_divergence(TD.OneHotCategorical(p),
                                              TD.OneHotCategorical(logits=q)),
                [PROBS, LOGITS])


# ================================================================== Multinomial


@pytest.mark.parametrize("param", ["probs", "logits"])
def test_multinomial_matches_torch(param):
    counts = RNG.multinomial(6, [0.1, 0.2, 0.3, 0.4], (5, 3)).astype(np.float64)
    given = PROBS if param == "probs" else LOGITS

    def ours(g, v):
        return Multinomial(6, **{param: g})

    def theirs(g, v):
        return TD.Multinomial(6, **{param: g})

    grads_match(lambda g, v: ours(g, v).log_prob(v), lambda g, v: theirs(g, v).log_prob(v),
                [given, counts])
    attrs_match(ours, theirs, ("mean", "variance"), [given, counts])
    # PyTorch takes log n! as lgamma of an int64 tensor, in float32 (off by ~8e-8 here)
    grads_match(lambda g, v: ours(g, v).entropy(), lambda g, v: theirs(g, v).entropy(),
                [given, counts], rtol=1e-7)
    close(ours(cr.tensor(given), None).entropy(),
          theirs(torch.tensor(given), None).entropy()
          + float(torch.lgamma(torch.tensor(6) + 1)) - math.lgamma(7.0), rtol=1e-12)
    d, t = ours(cr.tensor(given), None), theirs(torch.tensor(given), None)
    assert (d.batch_shape, d.event_shape) == (tuple(t.batch_shape), tuple(t.event_shape))
    assert repr(d) == repr(t) and repr(d.support) == repr(t.support)
    e, te = d.expand((2, 3)), t.expand((2, 3))
    close(e.log_prob(cr.tensor(counts[:2])), te.log_prob(torch.tensor(counts[:2])))


def test_multinomial_zero_probability_and_gradcheck():
    logits = np.array([0.0, -np.inf, 1.0])
    counts = np.array([[2.0, 0.0, 1.0], [0.0, 1.0, 2.0]])
    d = Multinomial(3, logits=cr.tensor(logits))
    t = TD.Multinomial(3, logits=torch.tensor(logits))
    close(d.log_prob(cr.tensor(counts)), t.log_prob(torch.tensor(counts)))
    counts = cr.tensor(RNG.multinomial(4, PROBS[0], (2, 3)).astype(np.float64))
    assert cr.gradcheck(lambda p: Multinomial(4, p).log_prob(counts), [leaf(PROBS)])
    assert cr.gradcheck(lambda z: Multinomial(4, logits=z).entropy(), [leaf(LOGITS)])


def test_multinomial_sampling_and_errors():
    cr.manual_seed(4)
    probs = np.array([[0.1, 0.6, 0.3], [0.5, 0.0, 0.5]])
    draws = Multinomial(10, cr.tensor(probs)).sample((20000,)).numpy()
    assert draws.shape == (20000, 2, 3) and draws.dtype == np.float64
    assert np.all(draws.sum(-1) == 10) and np.all(draws[..., 1, 1] == 0)
    stderr = np.sqrt(10 * probs * (1 - probs) / len(draws)) + 1e-12
    assert np.all(np.abs(draws.mean(0) - 10 * probs) < 5 * stderr)
    d = Multinomial(3, cr.tensor([0.5, 0.5]))
    with pytest.raises(ValueError, match="within the support"):
        d.log_prob(cr.tensor([4.0, 0.0]))
    with pytest.raises(ValueError, match="within the support"):
        d.log_prob(cr.tensor([-1.0, 2.0]))
    with pytest.raises(NotImplementedError, match="inhomogeneous total_count"):
        Multinomial(cr.tensor([1, 2]), cr.tensor([0.5, 0.5]))
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        Multinomial(3)


# ================================================================== MixtureSameFamily


def test_mixture_of_normals_matches_torch():
    mix, loc, scale = RNG.dirichlet(np.ones(3), (2,)), RNG.standard_normal((2, 3)), \
        RNG.uniform(0.5, 2, (2, 3))
    y = RNG.standard_normal((5, 2))

    def ours(w, m, s, v):
        return MixtureSameFamily(Categorical(w), Normal(m, s))

    def theirs(w, m, s, v):
        return TD.MixtureSameFamily(TD.Categorical(w), TD.Normal(m, s))

    arrays = [mix, loc, scale, y]
    grads_match(lambda *a: ours(*a).log_prob(a[3]), lambda *a: theirs(*a).log_prob(a[3]),
                arrays)
    grads_match(lambda *a: ours(*a).cdf(a[3]), lambda *a: theirs(*a).cdf(a[3]), arrays)
    attrs_match(ours, theirs, ("mean", "variance", "stddev"), arrays)
    d = ours(*map(cr.tensor, arrays))
    assert (d.batch_shape, d.event_shape) == ((2,), ())
    assert repr(d.support) == "MixtureSameFamilyConstraint(Real())"


def test_mixture_of_mvns_matches_torch_and_expands():
    mix, y = RNG.dirichlet(np.ones(2)), RNG.standard_normal((5, 4, N))

    def ours(w, m, c):
        return MixtureSameFamily(Categorical(logits=w), MultivariateNormal(m, c))

    def theirs(w, m, c):
        return TD.MixtureSameFamily(TD.Categorical(logits=w), TD.MultivariateNormal(m, c))

    arrays = [mix, LOC[:, 0:1].repeat(2, 1), COV]  # components: batch (4, 2), event (3,)
    grads_match(lambda *a: ours(*a).log_prob(cr.tensor(y)),
                lambda *a: theirs(*a).log_prob(torch.tensor(y)), arrays)
    attrs_match(ours, theirs, ("mean", "variance"), arrays)
    d, t = ours(*map(cr.tensor, arrays)), theirs(*map(torch.tensor, arrays))
    assert (d.batch_shape, d.event_shape) == (tuple(t.batch_shape), tuple(t.event_shape))
    e, te = d.expand((3, 4)), t.expand((3, 4))
    assert e.batch_shape == (3, 4)
    close(e.log_prob(cr.tensor(y[:3])), te.log_prob(torch.tensor(y[:3])))
    assert e.sample((2,)).shape == (2, 3, 4, N)


def test_mixture_sample_moments():
    cr.manual_seed(9)
    weights, loc, scale = np.array([0.3, 0.7]), np.array([[-2.0, 3.0], [0.0, 1.0]]), \
        np.array([[0.5, 1.0], [1.0, 2.0]])
    d = MixtureSameFamily(Categorical(cr.tensor(weights)), Normal(cr.tensor(loc),
                                                                  cr.tensor(scale)))
    draws = d.sample((40000,)).numpy()
    assert draws.shape == (40000, 2) and not d.has_rsample
    mean = (weights * loc).sum(-1)
    variance = (weights * (scale ** 2 + loc ** 2)).sum(-1) - mean ** 2
    assert np.all(np.abs(draws.mean(0) - mean) < 5 * np.sqrt(variance / len(draws)))
    fourth = np.array([np.mean((row - m) ** 4) for row, m in zip(draws.T, mean)])
    se_var = np.sqrt((fourth - variance ** 2) / len(draws))
    assert np.all(np.abs(draws.var(0) - variance) < 5 * se_var)
    close(d.mean, mean)
    close(d.variance, variance)


def test_mixture_gradcheck_and_errors():
    y = cr.tensor(RNG.standard_normal((4, 2)))
    assert cr.gradcheck(lambda w, m, s: MixtureSameFamily(Categorical(logits=w),
                                                          Normal(m, s)).log_prob(y),
                        [leaf(LOGITS[:2, :3]), leaf(RNG.standard_normal((2, 3))),
                         leaf(RNG.uniform(0.5, 2, (2, 3)))])
    normal = Normal(cr.zeros(2, 3), 1.0)
    with pytest.raises(ValueError, match="needs to be an  instance of"):
        MixtureSameFamily(OneHotCategorical(cr.ones(3)), normal)
    with pytest.raises(ValueError, match="Component distribution needs to be an instance"):
        MixtureSameFamily(Categorical(cr.ones(3)), "normal")
    with pytest.raises(ValueError, match=r"`mixture_distribution component` \(4\) does not"):
        MixtureSameFamily(Categorical(cr.ones(4)), normal)
    with pytest.raises(ValueError, match="is not compatible with `component_distribution"):
        MixtureSameFamily(Categorical(cr.ones(5, 3)), normal)
    with pytest.raises(ValueError, match="within the support"):
        MixtureSameFamily(Categorical(cr.ones(3)), normal).log_prob(cr.tensor([0.0, np.nan]))


# ================================================================== a PyTorch script


def test_a_pytorch_script_fits_a_mixture_through_chainrule_run(tmp_path, capsys):
    path = tmp_path / "gmm.py"
    path.write_text(textwrap.dedent("""
        import torch
        import torch.distributions as D
        from torch.distributions import constraints
        torch.manual_seed(0)
        data = torch.cat([torch.randn(200, 2) - 3, torch.randn(200, 2) + 3])
        logits = torch.zeros(2, requires_grad=True)
        loc = torch.tensor([[-1.0, 0.0], [1.0, 0.0]], requires_grad=True)
        opt = torch.optim.Adam([logits, loc], lr=0.1)
        for _ in range(150):
            comp = D.Independent(D.Normal(loc, torch.ones(2, 2)), 1)
            gmm = D.MixtureSameFamily(D.Categorical(logits=logits), comp)
            loss = -gmm.log_prob(data).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        mvn = D.MultivariateNormal(torch.zeros(2), scale_tril=torch.eye(2))
        print(type(gmm).__module__, constraints.positive_definite)
        print(sorted(round(v) for v in loc[:, 0].tolist()), tuple(mvn.sample((3,)).shape))
        """))
    status = cli.main(["run", str(path)])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    assert out.splitlines() == [
        "chainrule.distributions.mixture_same_family PositiveDefinite()", "[-3, 3] (3, 2)"]
