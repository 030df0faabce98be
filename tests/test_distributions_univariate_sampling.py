"""Sampling of chainrule.distributions' univariate families: shapes, support and moments of
many draws, seeding, float64 gradient checks of rsample and the closed forms, and the
implicit reparameterisation gradient of the gamma draws against finite differences of the
regularised incomplete gamma function."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.distributions as D
from chainrule.distributions.standard_gamma import standard_gamma_grad
from chainrule.special import gammainc

from .optional import needs_torch, torch

N = 40_000


def leaf(array):
    return cr.tensor(np.asarray(array, np.float64), requires_grad=True)


def f64(*values):
    return [cr.tensor(np.asarray(v, np.float64)) for v in values]


# (distribution, mean, variance) with finite moments, from their closed forms
def moment_cases():
    return [
        (D.Exponential(*f64([0.5, 2.0])), [2.0, 0.5], [4.0, 0.25]),
        (D.Laplace(*f64([1.0, -1.0], [0.5, 2.0])), [1.0, -1.0], [0.5, 8.0]),
        (D.HalfNormal(*f64([1.0, 3.0])), [math.sqrt(2 / math.pi), 3 * math.sqrt(2 / math.pi)],
         [1 - 2 / math.pi, 9 * (1 - 2 / math.pi)]),
        (D.Gumbel(*f64([0.0, 2.0], [1.0, 0.5])), [0.5772156649, 2 + 0.5 * 0.5772156649],
         [math.pi ** 2 / 6, math.pi ** 2 / 24]),
        (D.Gamma(*f64([0.3, 4.0], [2.0, 0.5])), [0.15, 8.0], [0.075, 16.0]),
        (D.Chi2(*f64([3.0])), [3.0], [6.0]),
        (D.Beta(*f64([0.5, 3.0], [2.0, 3.0])), [0.2, 0.5], [0.2 * 0.8 / 3.5, 0.25 / 7]),
        (D.StudentT(*f64([10.0], [1.0], [2.0])), [1.0], [4 * 10 / 8]),
        (D.Poisson(*f64([0.5, 7.0])), [0.5, 7.0], [0.5, 7.0]),
        (D.Binomial(10, probs=cr.tensor([0.2, 0.9], dtype=cr.float64)), [2.0, 9.0],
         [1.6, 0.9]),
        (D.Geometric(probs=cr.tensor([0.3, 0.9], dtype=cr.float64)), [7 / 3, 1 / 9],
         [0.7 / 0.09, 0.1 / 0.81]),
    ]


@pytest.mark.parametrize("index", range(len(moment_cases())))
def test_sample_moments_are_within_six_standard_errors(index):
    cr.manual_seed(index)
    dist, mean, variance = moment_cases()[index]
    draws = dist.sample((N,)).data
    assert draws.shape == (N,) + dist.batch_shape
    assert np.all(dist.support.check(draws))
    mean, variance = np.asarray(mean), np.asarray(variance)
    assert np.all(np.abs(draws.mean(0) - mean) < 6 * np.sqrt(variance / N))
    # the variance of s² is about (μ₄ − σ⁴)/N: bound it with the draws' own fourth moment
    fourth = ((draws - mean) ** 4).mean(0)
    assert np.all(np.abs(draws.var(0) - variance) < 6 * np.sqrt(fourth / N) + 1e-12)


def test_dirichlet_samples_lie_on_the_simplex_with_the_right_mean():
    cr.manual_seed(1)
    alpha = np.array([[0.5, 1.0, 3.0], [2.0, 2.0, 2.0]])
    draws = D.Dirichlet(cr.tensor(alpha)).sample((N,)).data
    assert draws.shape == (N, 2, 3)
    np.testing.assert_allclose(draws.sum(-1), 1.0, rtol=1e-12)
    mean = alpha / alpha.sum(-1, keepdims=True)
    variance = mean * (1 - mean) / (alpha.sum(-1, keepdims=True) + 1)
    assert np.all(np.abs(draws.mean(0) - mean) < 6 * np.sqrt(variance / N))


def test_cauchy_samples_have_the_right_quartiles():
    cr.manual_seed(2)
    draws = D.Cauchy(1.0, 2.0).sample((N,)).data
    quartiles = np.quantile(draws, [0.25, 0.5, 0.75])
    np.testing.assert_allclose(quartiles, [-1.0, 1.0, 3.0], atol=0.1)
    half = D.HalfCauchy(2.0).sample((N,)).data
    assert half.min() >= 0 and abs(np.median(half) - 2.0) < 0.1


@pytest.mark.parametrize("make", [lambda: D.Exponential(2.0), lambda: D.Gamma(2.0, 1.0),
                                  lambda: D.Poisson(3.0), lambda: D.Beta(2.0, 3.0),
                                  lambda: D.Binomial(4, probs=0.5)])
def test_sampling_follows_manual_seed_and_keeps_float32(make):
    cr.manual_seed(5)
    first = make().sample((3, 2))
    cr.manual_seed(5)
    again = make().sample((3, 2))
    np.testing.assert_array_equal(first.data, again.data)
    assert first.dtype == np.float32 and first.shape == (3, 2) and not first.requires_grad


def test_rsample_by_inverse_cdf_is_the_icdf_of_the_uniform_draw(monkeypatch):
    """With the uniform draws fixed, rsample is icdf(u): so its gradient is icdf's."""
    import chainrule.distributions._univariate as uni

    u = np.array([0.1, 0.5, 0.93])
    monkeypatch.setattr(uni, "open_uniform", lambda shape, dtype: cr.tensor(u.reshape(shape)))
    scale = leaf([1.0, 2.0, 0.5])
    for make in (lambda s: D.Exponential(s), lambda s: D.Laplace(0.3, s),
                 lambda s: D.Cauchy(0.3, s), lambda s: D.HalfNormal(s),
                 lambda s: D.HalfCauchy(s), lambda s: D.Gumbel(0.3, s)):
        d = make(scale)
        np.testing.assert_allclose(d.rsample().data, d.icdf(cr.tensor(u)).data, rtol=1e-14)


@pytest.mark.parametrize("name", ["Exponential", "Laplace", "Cauchy", "HalfNormal",
                                  "HalfCauchy", "Gumbel"])
def test_gradcheck_inverse_cdf_families(name):
    two = name in ("Laplace", "Cauchy", "Gumbel")
    params = [leaf([0.3, -0.5]), leaf([0.7, 1.6])] if two else [leaf([0.7, 1.6])]
    p = leaf([0.2, 0.85])
    x = np.array([0.4, 1.3])

    def outputs(*inputs):
        d = getattr(D, name)(*inputs[:-1])
        cr.manual_seed(0)
        return [d.log_prob(cr.tensor(x)), d.entropy(), d.cdf(cr.tensor(x)), d.icdf(inputs[-1]),
                d.rsample((3,))]

    for i in range(5):
        assert cr.gradcheck(lambda *a, i=i: outputs(*a)[i], params + [p])


def test_gradcheck_discrete_and_gamma_families():
    counts = cr.tensor([0.0, 2.0, 5.0], dtype=cr.float64)
    assert cr.gradcheck(lambda r: D.Poisson(r).log_prob(counts), [leaf([0.5, 2.0, 4.0])])
    assert cr.gradcheck(lambda p: D.Binomial(6, probs=p).log_prob(counts),
                        [leaf([0.2, 0.5, 0.7])])
    assert cr.gradcheck(lambda z: D.Binomial(6, logits=z).entropy(), [leaf([-1.0, 0.0, 2.0])])
    assert cr.gradcheck(lambda p: D.Geometric(probs=p).log_prob(counts), [leaf([0.2, 0.5, 0.7])])
    assert cr.gradcheck(lambda z: D.Geometric(logits=z).entropy(), [leaf([-1.0, 0.0, 2.0])])
    x = cr.tensor([0.3, 1.0, 2.5], dtype=cr.float64)
    assert cr.gradcheck(lambda a, b: D.Gamma(a, b).log_prob(x), [leaf([0.5, 2.0, 3.0]),
                                                                  leaf([1.0, 0.5, 2.0])])
    assert cr.gradcheck(lambda a, b: D.Gamma(a, b).entropy(), [leaf([0.5, 2.0, 3.0]),
                                                                leaf([1.0, 0.5, 2.0])])
    u = cr.tensor([0.3, 0.5, 0.9], dtype=cr.float64)
    assert cr.gradcheck(lambda a, b: D.Beta(a, b).log_prob(u), [leaf([0.5, 2.0, 3.0]),
                                                                 leaf([1.0, 0.5, 2.0])])
    assert cr.gradcheck(lambda a: D.Dirichlet(a).log_prob(cr.tensor([0.2, 0.3, 0.5])),
                        [leaf([0.5, 2.0, 3.0])])
    assert cr.gradcheck(lambda n, m, s: D.StudentT(n, m, s).log_prob(x),
                        [leaf([1.5, 4.0, 9.0]), leaf([0.0, 1.0, -1.0]), leaf([0.5, 1.0, 2.0])])


@pytest.mark.parametrize("alpha", [0.02, 0.4, 1.0, 3.0, 40.0, 2000.0])
def test_gamma_draw_gradient_is_minus_dP_dalpha_over_the_density(alpha):
    """dx/dα = −(∂P/∂α)/f, with ∂P/∂α from central differences of chainrule's gammainc."""
    rng = np.random.default_rng(int(alpha * 100))
    x = np.maximum(rng.standard_gamma(alpha, 300), 1e-300)
    a = np.full_like(x, alpha)
    density = np.exp((alpha - 1) * np.log(x) - x - math.lgamma(alpha))
    keep = density > 1e-200  # where f is representable, so the quotient is meaningful
    h = 1e-5 * alpha
    upper = gammainc(cr.tensor(a + h), cr.tensor(x)).data
    lower = gammainc(cr.tensor(a - h), cr.tensor(x)).data
    numeric = -(upper - lower) / (2 * h) / density
    ours = standard_gamma_grad(x, a)
    np.testing.assert_allclose(ours[keep], numeric[keep], rtol=2e-5, atol=1e-12)


@needs_torch
def test_gamma_draw_gradient_agrees_with_torchs_approximation():
    rng = np.random.default_rng(3)
    alpha = np.repeat([0.1, 1.0, 7.0, 300.0], 200)
    x = np.maximum(rng.standard_gamma(alpha), 1e-300)
    theirs = torch._standard_gamma_grad(torch.tensor(alpha), torch.tensor(x)).numpy()
    ok = np.isfinite(theirs)
    np.testing.assert_allclose(standard_gamma_grad(x, alpha)[ok], theirs[ok], rtol=2e-3)


def _mean_gradient(make, params, n=N):
    leaves = [leaf(p) for p in params]
    make(*leaves).rsample((n,)).mean(0).sum().backward()
    return [p.grad for p in leaves]


def test_rsample_gradients_are_those_of_the_mean():
    """d/dθ E[rsample] estimated from many draws, against the mean's closed-form gradient."""
    cr.manual_seed(11)
    alpha, rate = np.array([0.5, 3.0]), np.array([2.0, 0.5])
    grad_alpha, grad_rate = _mean_gradient(D.Gamma, [alpha, rate])
    # E = α/β: dE/dα = 1/β, dE/dβ = −α/β²; the estimate's spread is about sd(x)/√N·(a few)
    np.testing.assert_allclose(grad_alpha, 1 / rate, rtol=0.03)
    np.testing.assert_allclose(grad_rate, -alpha / rate ** 2, rtol=0.03)
    a, b = np.array([0.7, 4.0]), np.array([2.0, 1.5])
    grad_a, grad_b = _mean_gradient(D.Beta, [a, b])
    np.testing.assert_allclose(grad_a, b / (a + b) ** 2, rtol=0.05)
    np.testing.assert_allclose(grad_b, -a / (a + b) ** 2, rtol=0.05)
    concentration = leaf([1.0, 2.0, 3.0])
    D.Dirichlet(concentration).rsample((N,))[:, 0].mean().backward()
    # E[x₀] = α₀/Σα: ∂/∂α₀ = (Σα − α₀)/Σα², ∂/∂αⱼ = −α₀/Σα²
    np.testing.assert_allclose(concentration.grad, [5 / 36, -1 / 36, -1 / 36], rtol=0.06,
                               atol=2e-3)


def test_student_t_rsample_gradient_in_df_is_that_of_the_second_moment():
    cr.manual_seed(12)
    df, scale = leaf([8.0]), leaf([1.5])
    draws = D.StudentT(df, 0.0, scale).rsample((200_000,))
    (draws ** 2).mean().backward()
    # E[x²] = σ²ν/(ν − 2): ∂/∂ν = −2σ²/(ν − 2)², ∂/∂σ = 2σν/(ν − 2)
    np.testing.assert_allclose(df.grad, [-2 * 2.25 / 36], rtol=0.15)
    np.testing.assert_allclose(scale.grad, [2 * 1.5 * 8 / 6], rtol=0.05)


def test_sample_has_no_graph_and_rsample_has_one():
    alpha = leaf([2.0])
    assert not D.Gamma(alpha, 1.0).sample((2,)).requires_grad
    assert D.Gamma(alpha, 1.0).rsample((2,)).requires_grad
    assert not D.Poisson(leaf([2.0])).sample().requires_grad
    with pytest.raises(NotImplementedError, match="rsample"):
        D.Poisson(2.0).rsample()
