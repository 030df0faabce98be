"""chainrule.distributions' univariate families against torch.distributions (float64):
log_prob, cdf, icdf, entropy, mean, mode, variance, their gradients in the parameters and
the value, shapes under broadcasting, expand, and the constructors' signatures."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import chainrule as cr
import chainrule.distributions as D

from .optional import needs_torch, torch

pytestmark = needs_torch

RNG = np.random.default_rng(7)
LOC = RNG.standard_normal((3, 1))
SCALE = RNG.uniform(0.5, 2.0, (4,))
POSITIVE = RNG.uniform(0.5, 3.0, (2, 3, 4)) + 0.05   # values on x ≥ 0
REAL = RNG.standard_normal((2, 3, 4)) * 2
UNIT = RNG.uniform(0.05, 0.95, (2, 3, 4))
PROB = RNG.uniform(0.05, 0.95, (3, 4))
COUNTS = np.floor(RNG.uniform(0, 6, (2, 3, 4)))

# name: (parameters, values for log_prob/cdf, methods beyond log_prob/entropy/moments)
CONTINUOUS = {
    "Exponential": ((SCALE,), POSITIVE, ("cdf", "icdf")),
    "Laplace": ((LOC, SCALE), REAL, ("cdf", "icdf")),
    "Cauchy": ((LOC, SCALE), REAL, ("cdf", "icdf")),
    "HalfCauchy": ((SCALE,), POSITIVE, ("cdf", "icdf")),
    "HalfNormal": ((SCALE,), POSITIVE, ("cdf", "icdf")),
    "Gumbel": ((LOC, SCALE), REAL, ("cdf", "icdf")),
    "Gamma": ((SCALE + 0.7, SCALE[::-1].copy()), POSITIVE, ("cdf",)),
    "Chi2": ((SCALE * 3,), POSITIVE, ("cdf",)),
    "Beta": ((SCALE + 0.6, SCALE[::-1] + 0.2), UNIT, ()),
    "StudentT": ((SCALE * 3, LOC, SCALE), REAL, ()),
    "Poisson": ((SCALE * 3,), COUNTS, ()),
}
MOMENTS = ("mean", "mode", "variance", "stddev")


def leaves(arrays):
    return [cr.tensor(np.asarray(a, np.float64), requires_grad=True) for a in arrays]


def torch_leaves(arrays):
    return [torch.tensor(np.asarray(a, np.float64), requires_grad=True) for a in arrays]


def assert_same(ours, theirs, rtol=1e-10, atol=1e-12):
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    ours = ours.data if hasattr(ours, "data") and not isinstance(ours, np.ndarray) else ours
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, equal_nan=True)


def compare(name, params, method, value=None, kwargs=None, rtol=1e-10):
    """``method`` of chainrule's and torch's ``name`` on the same float64 parameters: the
    values, then the gradients of Σ w·result in every parameter (and the value)."""
    kwargs = kwargs or {}
    ours_in, theirs_in = leaves(params), torch_leaves(params)
    ours_d = getattr(D, name)(*ours_in, **kwargs)
    theirs_d = getattr(torch.distributions, name)(*theirs_in, **kwargs)
    args_o, args_t = [], []
    if value is not None:
        (v_o,), (v_t,) = leaves([value]), torch_leaves([value])
        args_o, args_t, ours_in, theirs_in = [v_o], [v_t], ours_in + [v_o], theirs_in + [v_t]
    out_o, out_t = getattr(ours_d, method), getattr(theirs_d, method)
    out_o, out_t = (out_o(*args_o), out_t(*args_t)) if callable(out_o) else (out_o, out_t)
    assert_same(out_o, out_t, rtol=rtol)
    if not out_t.requires_grad or not np.isfinite(out_t.detach().numpy()).all():
        return
    weights = RNG.standard_normal(out_t.shape)
    grads_t = torch.autograd.grad((out_t * torch.tensor(weights)).sum(), theirs_in,
                                  allow_unused=True)
    if not out_o.requires_grad:  # a piecewise-constant result (floor): torch's gradient is 0
        assert all(t is None or not t.any() for t in grads_t)
        return
    (out_o * cr.tensor(weights)).sum().backward()
    for o, t in zip(ours_in, grads_t):
        if t is None:
            assert o.grad is None or not np.any(o.grad)
        else:
            assert_same(o.grad, t, rtol=rtol * 100, atol=1e-10)


@pytest.mark.parametrize("name", sorted(CONTINUOUS))
def test_log_prob_entropy_and_moments_match_torch(name):
    params, values, _ = CONTINUOUS[name]
    compare(name, params, "log_prob", values, rtol=1e-9)
    if name != "Poisson":  # torch has no Poisson entropy (nor has chainrule)
        compare(name, params, "entropy", rtol=1e-9)
    for moment in MOMENTS:
        compare(name, params, moment)


@pytest.mark.parametrize("name", [n for n in sorted(CONTINUOUS) if CONTINUOUS[n][2]])
def test_cdf_and_icdf_match_torch(name):
    params, values, methods = CONTINUOUS[name]
    if "cdf" in methods:
        if name in ("Gamma", "Chi2"):  # no gradient in the concentration (as torch)
            params_o = [cr.tensor(p) for p in params]
            value = cr.tensor(values, requires_grad=True)
            theirs = getattr(torch.distributions, name)(*[torch.tensor(p) for p in params])
            t_value = torch.tensor(values, requires_grad=True)
            ours_cdf = getattr(D, name)(*params_o).cdf(value)
            assert_same(ours_cdf, theirs.cdf(t_value), rtol=1e-9)
            ours_cdf.sum().backward()
            theirs.cdf(t_value).sum().backward()
            assert_same(value.grad, t_value.grad, rtol=1e-9)
        else:
            compare(name, params, "cdf", values, rtol=1e-9)
    if "icdf" in methods:
        compare(name, params, "icdf", PROB, rtol=1e-9)


def test_gamma_cdf_refuses_a_gradient_in_the_concentration_as_torch():
    alpha = cr.tensor([2.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match="first argument"):
        D.Gamma(alpha, 1.0).cdf(cr.tensor([1.0])).sum().backward()


@pytest.mark.parametrize("kind", ["probs", "logits"])
def test_binomial_matches_torch(kind):
    param = PROB if kind == "probs" else PROB * 4 - 2
    counts = np.minimum(COUNTS, 5)
    for total in (5.0, np.array([[5.0], [7.0], [9.0]])):
        ours_p, theirs_p = leaves([param]), torch_leaves([param])
        ours = D.Binomial(cr.tensor(total), **{kind: ours_p[0]})
        theirs = torch.distributions.Binomial(torch.tensor(total), **{kind: theirs_p[0]})
        lp_o, lp_t = ours.log_prob(cr.tensor(counts)), theirs.log_prob(torch.tensor(counts))
        assert_same(lp_o, lp_t, rtol=1e-9)
        lp_o.sum().backward()
        lp_t.sum().backward()
        assert_same(ours_p[0].grad, theirs_p[0].grad, rtol=1e-8)
        for moment in ("mean", "mode", "variance"):
            assert_same(getattr(ours, moment), getattr(theirs, moment))
    ours = D.Binomial(6, **{kind: cr.tensor(param)})
    theirs = torch.distributions.Binomial(6, **{kind: torch.tensor(param)})
    assert_same(ours.entropy(), theirs.entropy(), rtol=1e-9)
    for expand in (True, False):
        assert_same(ours.enumerate_support(expand), theirs.enumerate_support(expand))


@pytest.mark.parametrize("kind", ["probs", "logits"])
def test_geometric_matches_torch(kind):
    param = np.append(PROB.ravel(), 1.0).reshape(13, 1) if kind == "probs" else PROB * 4 - 2
    value = np.append(COUNTS.ravel()[:12], 0.0).reshape(13, 1) if kind == "probs" else COUNTS
    ours_p, theirs_p = leaves([param]), torch_leaves([param])
    ours = D.Geometric(**{kind: ours_p[0]})
    theirs = torch.distributions.Geometric(**{kind: theirs_p[0]})
    lp_o, lp_t = ours.log_prob(cr.tensor(value)), theirs.log_prob(torch.tensor(value))
    assert_same(lp_o, lp_t)
    lp_o.sum().backward()
    lp_t.sum().backward()
    assert_same(ours_p[0].grad, theirs_p[0].grad, rtol=1e-9)
    keep = param < 1 if kind == "probs" else slice(None)  # entropy is 0/0 at p = 1
    assert_same(ours.entropy().data[keep], theirs.entropy().detach().numpy()[keep])
    for moment in ("mean", "mode", "variance"):
        assert_same(getattr(ours, moment), getattr(theirs, moment))


def test_dirichlet_matches_torch():
    alpha = RNG.uniform(0.3, 3.0, (2, 3))
    value = RNG.dirichlet(np.ones(3), (4, 2))
    compare("Dirichlet", [alpha], "log_prob", value, rtol=1e-9)
    compare("Dirichlet", [alpha], "entropy", rtol=1e-9)
    for moment in ("mean", "mode", "variance"):
        compare("Dirichlet", [alpha], moment)
    corners = np.array([[0.5, 0.5, 0.3], [2.0, 0.5, 0.5], [1.0, 1.0, 1.0]])
    compare("Dirichlet", [corners], "mode")


def test_beta_mode_at_the_corners_matches_torch():
    compare("Beta", [np.array([0.5, 0.5, 2.0, 1.0, 0.5]), np.array([0.5, 2.0, 0.5, 1.0, 0.3])],
            "mode")


def test_student_t_moments_for_small_df_match_torch():
    df = np.array([0.5, 1.0, 1.5, 2.0, 3.0])
    for moment in ("mean", "variance"):
        compare("StudentT", [df, np.zeros(5), np.ones(5)], moment)


@pytest.mark.parametrize("name", sorted(CONTINUOUS))
def test_broadcast_batch_shape_and_expand_match_torch(name):
    params, values, _ = CONTINUOUS[name]
    ours = getattr(D, name)(*[cr.tensor(p) for p in params])
    theirs = getattr(torch.distributions, name)(*[torch.tensor(p) for p in params])
    assert ours.batch_shape == tuple(theirs.batch_shape)
    assert ours.event_shape == tuple(theirs.event_shape)
    shape = (2,) + ours.batch_shape
    big_o, big_t = ours.expand(shape), theirs.expand(shape)
    assert big_o.batch_shape == shape == tuple(big_t.batch_shape)
    assert type(big_o) is type(ours)
    value = values.ravel()[:int(np.prod(ours.batch_shape))].reshape(ours.batch_shape)
    assert_same(big_o.log_prob(cr.tensor(value)), big_t.log_prob(torch.tensor(value)),
                rtol=1e-9)
    assert big_o.sample().shape == shape
    with pytest.raises(RuntimeError, match="expand"):
        ours.expand((5, 7))


def test_has_rsample_and_support_flags_match_torch():
    made = {"Binomial": (5, 0.3), "Geometric": (0.3,), "Dirichlet": (np.ones(3),)}
    for name in list(CONTINUOUS) + list(made):
        params = made.get(name) or CONTINUOUS[name][0]
        ours = getattr(D, name)(*[cr.tensor(p) for p in params])
        theirs = getattr(torch.distributions, name)(*[torch.tensor(p) for p in params])
        assert ours.has_rsample == theirs.has_rsample, name
        assert ours.has_enumerate_support == theirs.has_enumerate_support, name


@pytest.mark.parametrize("name", sorted(CONTINUOUS) + ["Binomial", "Geometric", "Dirichlet"])
def test_constructors_take_torchs_parameters_in_torchs_order(name):
    ours = list(inspect.signature(getattr(D, name).__init__).parameters.items())
    theirs = list(inspect.signature(getattr(torch.distributions, name).__init__)
                  .parameters.items())
    assert [n for n, _ in ours] == [n for n, _ in theirs]
    for (_, o), (_, t) in zip(ours, theirs):
        assert (o.default is inspect.Parameter.empty) == (t.default is inspect.Parameter.empty)
        if o.default is not inspect.Parameter.empty:
            assert o.default == t.default
    assert list(inspect.signature(getattr(D, name).expand).parameters) == \
        list(inspect.signature(getattr(torch.distributions, name).expand).parameters)
