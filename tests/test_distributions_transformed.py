"""chainrule.distributions' TransformedDistribution, LogNormal, LogisticNormal,
RelaxedBernoulli and RelaxedOneHotCategorical against torch.distributions (float64): the
SAC tanh-Gaussian policy with the same base noise, log_prob/cdf/icdf/moments with their
gradients, shapes, expand, the KL pairs, sampling statistics, the errors, and a PyTorch
script through ``chainrule run``."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.distributions as D
from chainrule.distributions import transforms as T

from .optional import needs_torch, torch

pytestmark = needs_torch

RNG = np.random.default_rng(5)
MU = RNG.standard_normal((4, 2))
STD = RNG.uniform(0.3, 1.5, (4, 2))
NOISE = RNG.standard_normal((3, 4, 2)) * 2


def pair(*arrays):
    """The same float64 leaves for chainrule and torch."""
    ours = [cr.tensor(np.asarray(a, np.float64), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(np.asarray(a, np.float64), requires_grad=True) for a in arrays]
    return ours, theirs


def close(ours, theirs, rtol=1e-10, atol=1e-12):
    ours = np.asarray(ours.data if isinstance(ours, cr.Tensor) else ours)
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)


def same_gradients(out_o, out_t, leaves_o, leaves_t, rtol=1e-9):
    weights = RNG.standard_normal(tuple(out_t.shape))
    expected = torch.autograd.grad((out_t * torch.tensor(weights)).sum(), leaves_t,
                                   allow_unused=True)
    cr.autograd.backward((out_o * cr.tensor(weights)).sum())
    for leaf, g in zip(leaves_o, expected):
        if g is None:  # a leaf the result does not depend on
            assert leaf.grad is None or not np.any(np.asarray(leaf.grad))
        else:
            close(leaf.grad, g, rtol=rtol, atol=1e-11)


class FixedNormalNoise:
    """Stands in for chainrule's generator: standard_normal gives ``noise``."""

    def __init__(self, noise):
        self.noise = noise

    def standard_normal(self, shape):
        return np.broadcast_to(self.noise, shape).copy()


def fix_noise(monkeypatch, noise):
    monkeypatch.setattr("chainrule.distributions.normal.generator",
                        lambda: FixedNormalNoise(noise))
    monkeypatch.setattr(torch.distributions.normal, "_standard_normal",
                        lambda shape, dtype, device: torch.tensor(noise).to(dtype))


# ---------------------------------------------------------------------- SAC policy


@pytest.mark.parametrize("cache_size", [0, 1])
def test_sac_tanh_gaussian_matches_torch_with_the_same_noise(monkeypatch, cache_size):
    """action = tanh(μ + σε); loss = Σ w·(log π(action)) + Σ v·action, gradients in μ, σ."""
    fix_noise(monkeypatch, NOISE)
    (mu_o, std_o), (mu_t, std_t) = pair(MU, STD)
    pi_o = D.TransformedDistribution(D.Normal(mu_o, std_o), [T.TanhTransform(cache_size)])
    pi_t = torch.distributions.TransformedDistribution(
        torch.distributions.Normal(mu_t, std_t),
        [torch.distributions.transforms.TanhTransform(cache_size)])
    a_o, a_t = pi_o.rsample((3,)), pi_t.rsample((3,))
    close(a_o, a_t)
    logp_o, logp_t = pi_o.log_prob(a_o).sum(-1), pi_t.log_prob(a_t).sum(-1)
    close(logp_o, logp_t, rtol=1e-9 if cache_size else 1e-6)  # atanh of a rounded tanh
    v = RNG.standard_normal(a_t.shape)
    same_gradients(logp_o + (a_o * cr.tensor(v)).sum(-1),
                   logp_t + (a_t * torch.tensor(v)).sum(-1), [mu_o, std_o], [mu_t, std_t],
                   rtol=1e-9 if cache_size else 1e-5)


def test_sac_policy_with_a_saturated_action_stays_finite_when_cached(monkeypatch):
    fix_noise(monkeypatch, np.full((4, 2), 100.0))  # tanh(μ + 100σ) rounds to 1
    pi = D.TransformedDistribution(D.Normal(cr.tensor(MU), cr.tensor(STD)),
                                   [T.TanhTransform(cache_size=1)], validate_args=False)
    action = pi.rsample()
    assert np.all(action.data == 1.0) and np.all(np.isfinite(pi.log_prob(action).data))


def test_log_prob_of_given_values_and_shapes_match_torch():
    value = np.tanh(RNG.standard_normal((5, 4, 2)))
    (mu_o, std_o, v_o), (mu_t, std_t, v_t) = pair(MU, STD, value)
    d_o = D.TransformedDistribution(D.Normal(mu_o, std_o),
                                    [T.AffineTransform(0.0, 0.5), T.TanhTransform()])
    tt = torch.distributions.transforms
    d_t = torch.distributions.TransformedDistribution(
        torch.distributions.Normal(mu_t, std_t), [tt.AffineTransform(0.0, 0.5), tt.TanhTransform()])
    assert (d_o.batch_shape, d_o.event_shape) == (tuple(d_t.batch_shape), tuple(d_t.event_shape))
    out_o, out_t = d_o.log_prob(v_o * 0.9), d_t.log_prob(v_t * 0.9)
    close(out_o, out_t)
    same_gradients(out_o, out_t, [mu_o, std_o, v_o], [mu_t, std_t, v_t])


# the transforms, the base (loc, scale) shapes, and a value shape for log_prob
STRUCTURES = {
    "affine_event_dim_1": (lambda M, a: [M.transforms.AffineTransform(
        a, a.exp(), event_dim=1)], (3,), (4, 3)),
    "stick_breaking": (lambda M, a: [M.transforms.StickBreakingTransform()], (2, 3), (2, 4)),
    "reshape_then_exp": (lambda M, a: [M.transforms.ReshapeTransform((6,), (2, 3)),
                                       M.transforms.ExpTransform()], (6,), (2, 3)),
    "broadcasting_affine": (lambda M, a: [M.transforms.AffineTransform(a, 2.0)], (), (3,)),
}


@pytest.mark.parametrize("case", list(STRUCTURES))
def test_event_shapes_and_log_prob_under_structure_changing_transforms(case):
    build, base_shape, value_shape = STRUCTURES[case]
    (loc_o, scale_o, a_o), (loc_t, scale_t, a_t) = pair(
        RNG.standard_normal(base_shape), RNG.uniform(0.5, 1.5, base_shape),
        RNG.standard_normal(value_shape[-1:]))
    d_o = D.TransformedDistribution(D.Normal(loc_o, scale_o), build(D, a_o))
    d_t = torch.distributions.TransformedDistribution(
        torch.distributions.Normal(loc_t, scale_t), build(torch.distributions, a_t))
    assert (d_o.batch_shape, d_o.event_shape) == (tuple(d_t.batch_shape), tuple(d_t.event_shape))
    assert repr(d_o.support) == repr(d_t.support)
    with torch.no_grad():
        value = d_t.sample((2,)).numpy()
    assert d_o.sample((2,)).shape == value.shape
    out_o, out_t = d_o.log_prob(cr.tensor(value)), d_t.log_prob(torch.tensor(value))
    close(out_o, out_t)
    same_gradients(out_o, out_t, [loc_o, scale_o, a_o], [loc_t, scale_t, a_t])


@pytest.mark.parametrize("scale", [2.0, -2.0])
def test_cdf_and_icdf_through_monotone_transforms(scale):
    (loc_o, std_o), (loc_t, std_t) = pair(MU, STD)
    tt = torch.distributions.transforms
    d_o = D.TransformedDistribution(D.Normal(loc_o, std_o),
                                    [T.AffineTransform(1.0, scale), T.ExpTransform()])
    d_t = torch.distributions.TransformedDistribution(
        torch.distributions.Normal(loc_t, std_t),
        [tt.AffineTransform(1.0, scale), tt.ExpTransform()])
    value = RNG.uniform(0.2, 5.0, (4, 2))
    close(d_o.cdf(cr.tensor(value)), d_t.cdf(torch.tensor(value)))
    probs = RNG.uniform(0.05, 0.95, (4, 2))
    out_o, out_t = d_o.icdf(cr.tensor(probs)), d_t.icdf(torch.tensor(probs))
    close(out_o, out_t, rtol=1e-9)
    same_gradients(out_o, out_t, [loc_o, std_o], [loc_t, std_t], rtol=1e-8)


def test_expand_matches_torch():
    (loc_o, scale_o), (loc_t, scale_t) = pair([0.3, -0.2], [1.0, 2.0])
    d_o = D.LogNormal(loc_o, scale_o).expand((3, 2))
    d_t = torch.distributions.LogNormal(loc_t, scale_t).expand((3, 2))
    assert type(d_o) is D.LogNormal and d_o.batch_shape == (3, 2)
    value = RNG.uniform(0.5, 2.0, (3, 2))
    close(d_o.log_prob(cr.tensor(value)), d_t.log_prob(torch.tensor(value)))
    close(d_o.mean, d_t.mean)
    relaxed = D.RelaxedBernoulli(cr.tensor(0.5), probs=cr.tensor([0.2, 0.7])).expand((4, 2))
    assert relaxed.batch_shape == (4, 2) and relaxed.rsample().shape == (4, 2)
    categorical = D.RelaxedOneHotCategorical(cr.tensor(0.5), logits=cr.zeros(3)).expand((5,))
    assert categorical.batch_shape == (5,) and categorical.rsample((2,)).shape == (2, 5, 3)


def test_the_errors_torch_raises():
    base = D.Normal(cr.zeros(2), 1.0)
    with pytest.raises(ValueError, match="transforms must be a Transform or list, but was"):
        D.TransformedDistribution(base, (T.ExpTransform(),))
    with pytest.raises(ValueError, match="transforms must be a Transform or a list of"):
        D.TransformedDistribution(base, [T.ExpTransform(), "exp"])
    with pytest.raises(ValueError, match="base_distribution needs to have shape with size at "
                                         "least 2, but got"):
        D.TransformedDistribution(base, [T.ReshapeTransform((2, 1), (2,))])
    d = D.TransformedDistribution(base, [T.ExpTransform()])
    with pytest.raises(ValueError, match="to be within the support"):
        d.log_prob(cr.tensor([-1.0, 1.0]))
    with pytest.raises(ValueError, match="Expected parameter scale"):
        D.LogNormal(0.0, -1.0)
    with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified"):
        D.RelaxedBernoulli(cr.tensor(0.5))
    with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified"):
        D.RelaxedOneHotCategorical(cr.tensor(0.5), probs=cr.ones(2) / 2, logits=cr.zeros(2))
    with pytest.raises(ValueError, match="Expected parameter probs"):
        D.RelaxedBernoulli(cr.tensor(0.5), probs=cr.tensor([1.5]))
    with pytest.raises(NotImplementedError, match="different transforms"):
        D.kl_divergence(d, D.TransformedDistribution(base, [T.SigmoidTransform()]))


def test_torch_raises_the_same_errors():
    base = torch.distributions.Normal(torch.zeros(2), 1.0)
    tt = torch.distributions.transforms
    with pytest.raises(ValueError, match="transforms must be a Transform or list"):
        torch.distributions.TransformedDistribution(base, (tt.ExpTransform(),))
    with pytest.raises(ValueError, match="base_distribution needs to have shape"):
        torch.distributions.TransformedDistribution(
            base, [tt.ReshapeTransform(torch.Size((2, 1)), torch.Size((2,)))])
    d = torch.distributions.TransformedDistribution(base, [tt.ExpTransform()])
    with pytest.raises(ValueError, match="to be within the support"):
        d.log_prob(torch.tensor([-1.0, 1.0]))
    with pytest.raises(NotImplementedError):
        torch.distributions.kl_divergence(
            d, torch.distributions.TransformedDistribution(base, [tt.SigmoidTransform()]))


# ---------------------------------------------------------------------- LogNormal


@pytest.mark.parametrize("method", ["log_prob", "cdf", "icdf", "entropy", "mean", "mode",
                                    "variance", "stddev"])
def test_log_normal_matches_torch(method):
    (loc_o, scale_o), (loc_t, scale_t) = pair(MU, STD)
    d_o, d_t = D.LogNormal(loc_o, scale_o), torch.distributions.LogNormal(loc_t, scale_t)
    leaves_o, leaves_t = [loc_o, scale_o], [loc_t, scale_t]
    out_o, out_t = getattr(d_o, method), getattr(d_t, method)
    if callable(out_t):
        value = RNG.uniform(0.1, 0.9, (3, 4, 2)) if method == "icdf" else \
            RNG.uniform(0.2, 4.0, (3, 4, 2))
        (v_o,), (v_t,) = pair(value)
        out_o, out_t = (out_o(v_o), out_t(v_t)) if method != "entropy" else (out_o(), out_t())
        leaves_o, leaves_t = leaves_o + [v_o], leaves_t + [v_t]
    close(out_o, out_t, rtol=1e-9)
    if method == "entropy":
        leaves_o, leaves_t = leaves_o[:2], leaves_t[:2]
    same_gradients(out_o, out_t, leaves_o, leaves_t, rtol=1e-8)


def test_kl_log_normal_log_normal_matches_torch():
    (a, b, c, d), (at, bt, ct, dt) = pair(MU, STD, MU[::-1].copy(), STD[::-1].copy())
    out_o = D.kl_divergence(D.LogNormal(a, b), D.LogNormal(c, d))
    out_t = torch.distributions.kl_divergence(torch.distributions.LogNormal(at, bt),
                                              torch.distributions.LogNormal(ct, dt))
    close(out_o, out_t)
    same_gradients(out_o, out_t, [a, b, c, d], [at, bt, ct, dt])


def test_log_normal_draws_have_its_moments():
    cr.manual_seed(3)
    d = D.LogNormal(cr.tensor([0.2, -0.5], dtype=cr.float64), cr.tensor([0.4, 0.3],
                                                                         dtype=cr.float64))
    draws = d.sample((40000,)).data
    assert draws.shape == (40000, 2) and np.all(draws > 0)
    sem = np.sqrt(d.variance.data / 40000)
    assert np.all(np.abs(draws.mean(0) - d.mean.data) < 5 * sem)


def test_log_normal_rsample_gradient_is_the_pathwise_one(monkeypatch):
    """d/dμ E[e^(μ+σε)] = e^(μ+σε), d/dσ = ε·e^(μ+σε), for the patched ε."""
    eps = RNG.standard_normal((6,))
    monkeypatch.setattr("chainrule.distributions.normal.generator",
                        lambda: FixedNormalNoise(eps))
    loc, scale = cr.tensor(0.3, requires_grad=True), cr.tensor(0.7, requires_grad=True)
    D.LogNormal(loc, scale).rsample((6,)).sum().backward()
    y = np.exp(0.3 + 0.7 * eps)
    np.testing.assert_allclose([loc.grad.item(), scale.grad.item()],
                               [y.sum(), (eps * y).sum()], rtol=1e-6)


# ---------------------------------------------------------------------- relaxed


class FixedUniform:
    def __init__(self, u):
        self.u = u

    def random(self, shape):
        return np.broadcast_to(self.u, shape).copy()


@pytest.mark.parametrize("given", ["probs", "logits"])
def test_relaxed_bernoulli_matches_torch(monkeypatch, given):
    u = RNG.uniform(0.01, 0.99, (5, 3))
    monkeypatch.setattr("chainrule.distributions.relaxed.generator", lambda: FixedUniform(u))
    monkeypatch.setattr(torch, "rand", lambda shape, dtype, device: torch.tensor(u).to(dtype))
    param = RNG.uniform(0.1, 0.9, 3) if given == "probs" else RNG.standard_normal(3)
    (t_o, p_o), (t_t, p_t) = pair(0.7, param)
    d_o = D.RelaxedBernoulli(t_o, **{given: p_o})
    d_t = torch.distributions.RelaxedBernoulli(t_t, **{given: p_t})
    sample_o, sample_t = d_o.rsample((5,)), d_t.rsample((5,))
    close(sample_o, sample_t)
    out_o, out_t = d_o.log_prob(sample_o), d_t.log_prob(sample_t)
    close(out_o, out_t, rtol=1e-8)
    same_gradients(out_o, out_t, [t_o, p_o], [t_t, p_t], rtol=1e-7)


@pytest.mark.parametrize("given", ["probs", "logits"])
def test_relaxed_one_hot_categorical_matches_torch(monkeypatch, given):
    u = RNG.uniform(0.01, 0.99, (2, 3, 4))
    monkeypatch.setattr("chainrule.distributions.relaxed.generator", lambda: FixedUniform(u))
    monkeypatch.setattr(torch, "rand", lambda shape, dtype, device: torch.tensor(u).to(dtype))
    param = RNG.dirichlet(np.ones(4), 3) if given == "probs" else RNG.standard_normal((3, 4))
    (t_o, p_o), (t_t, p_t) = pair(0.6, param)
    d_o = D.RelaxedOneHotCategorical(t_o, **{given: p_o})
    d_t = torch.distributions.RelaxedOneHotCategorical(t_t, **{given: p_t})
    assert (d_o.batch_shape, d_o.event_shape) == (tuple(d_t.batch_shape), tuple(d_t.event_shape))
    sample_o, sample_t = d_o.rsample((2,)), d_t.rsample((2,))
    close(sample_o, sample_t)
    out_o, out_t = d_o.log_prob(sample_o), d_t.log_prob(sample_t)
    close(out_o, out_t, rtol=1e-8)
    same_gradients(out_o, out_t, [t_o, p_o], [t_t, p_t], rtol=1e-7)


def test_relaxed_draws_lie_in_the_support_and_argmax_is_categorical():
    """argmax of a Gumbel-softmax draw is a Categorical(p) draw at any temperature."""
    cr.manual_seed(0)
    probs = np.array([0.1, 0.6, 0.3])
    draws = D.RelaxedOneHotCategorical(cr.tensor(2.0), probs=cr.tensor(probs)).sample((20000,))
    assert np.allclose(draws.data.sum(-1), 1.0) and np.all(draws.data >= 0)
    counts = np.bincount(draws.data.argmax(-1), minlength=3) / 20000
    assert np.all(np.abs(counts - probs) < 5 * np.sqrt(probs * (1 - probs) / 20000))
    bern = D.RelaxedBernoulli(cr.tensor(0.3), probs=cr.tensor(0.25)).sample((20000,)).data
    assert bern.shape == (20000,) and np.all((bern > 0) & (bern < 1))
    # P(Y > ½) = P(logistic + logit p > 0) = p, for any temperature
    assert abs((bern > 0.5).mean() - 0.25) < 5 * np.sqrt(0.25 * 0.75 / 20000)


# ---------------------------------------------------------------------- LogisticNormal


def test_logistic_normal_matches_torch():
    (loc_o, scale_o), (loc_t, scale_t) = pair(MU[:, :2], STD[:, :2])
    d_o = D.LogisticNormal(loc_o, scale_o)
    d_t = torch.distributions.LogisticNormal(loc_t, scale_t)
    assert (d_o.batch_shape, d_o.event_shape) == (tuple(d_t.batch_shape), tuple(d_t.event_shape))
    value = RNG.dirichlet(np.ones(3), 4)
    out_o, out_t = d_o.log_prob(cr.tensor(value)), d_t.log_prob(torch.tensor(value))
    close(out_o, out_t)
    same_gradients(out_o, out_t, [loc_o, scale_o], [loc_t, scale_t])
    assert D.LogisticNormal(0.0, 1.0).event_shape == (2,)


# ---------------------------------------------------------------------- chainrule run


def test_a_pytorch_sac_script_runs_through_chainrule_run(tmp_path, capsys):
    from chainrule import cli
    path = tmp_path / "sac.py"
    path.write_text(
        "import torch\n"
        "from torch.distributions import Normal, TransformedDistribution\n"
        "from torch.distributions.transforms import TanhTransform\n"
        "import torch.distributions as dist\n"
        "mu = torch.zeros(4, 2, requires_grad=True)\n"
        "tanh = TanhTransform(cache_size=1)\n"
        "pi = TransformedDistribution(Normal(mu, torch.ones(4, 2)), [tanh])\n"
        "a = pi.rsample()\n"
        "pi.log_prob(a).sum().backward()\n"
        "ln = dist.LogNormal(torch.tensor(0.0), torch.tensor(1.0))\n"
        "print(tuple(a.shape), tuple(mu.grad.shape), round(ln.mean.item(), 4))\n")
    status = cli.main(["run", str(path)])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    assert out.strip() == "(4, 2) (4, 2) 1.6487"
