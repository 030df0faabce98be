"""KL divergences registered for the univariate families (against torch, with gradients),
the parameter and value errors (as torch words them), and a PyTorch-style script that uses
``torch.distributions`` run through ``chainrule run``."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

import chainrule as cr
import chainrule.distributions as D
from chainrule import cli

from .optional import needs_torch, torch

RNG = np.random.default_rng(3)
POS_A, POS_B = RNG.uniform(0.5, 3.0, (2, 3)), RNG.uniform(0.5, 3.0, (2, 3))
REAL_A, REAL_B = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))
PROB_A, PROB_B = RNG.uniform(0.1, 0.9, (2, 3)), RNG.uniform(0.1, 0.9, (2, 3))

# name: positional parameters (two sets, one per side of the pair)
FAMILY = {
    "Exponential": ((POS_A,), (POS_B,)),
    "Gamma": ((POS_A, POS_B), (POS_B, POS_A)),
    "Beta": ((POS_A, POS_B), (POS_B, POS_A)),
    "Poisson": ((POS_A,), (POS_B,)),
    "Laplace": ((REAL_A, POS_A), (REAL_B, POS_B)),
    "Gumbel": ((REAL_A, POS_A), (REAL_B, POS_B)),
    "Cauchy": ((REAL_A, POS_A), (REAL_B, POS_B)),
    "HalfNormal": ((POS_A,), (POS_B,)),
    "Normal": ((REAL_A, POS_A), (REAL_B, POS_B)),
    "Uniform": ((PROB_A * 0.5, PROB_A * 0.5 + 0.4), (REAL_B - 3, REAL_B + 3)),
    "Bernoulli": ((PROB_A,), (PROB_B,)),
    "Geometric": ((PROB_A,), (PROB_B,)),
    "Dirichlet": ((POS_A,), (POS_B,)),
    "Chi2": ((POS_A,), (POS_B,)),
}
SAME = ["Exponential", "Gamma", "Beta", "Poisson", "Laplace", "Gumbel", "Cauchy",
        "HalfNormal", "Geometric", "Dirichlet", "Chi2"]
CROSS = [("Bernoulli", "Poisson"), ("Beta", "Exponential"), ("Beta", "Gamma"),
         ("Beta", "Normal"), ("Beta", "Uniform"), ("Exponential", "Gamma"),
         ("Exponential", "Gumbel"), ("Exponential", "Normal"), ("Gamma", "Exponential"),
         ("Gamma", "Gumbel"), ("Gamma", "Normal"), ("Gumbel", "Normal"), ("Laplace", "Normal"),
         ("Normal", "Gumbel"), ("Normal", "Laplace"), ("Uniform", "Beta"),
         ("Uniform", "Exponential"), ("Uniform", "Gamma"), ("Uniform", "Gumbel"),
         ("Uniform", "Normal"), ("Chi2", "Exponential"), ("Exponential", "Chi2")]
INFINITE = [("Exponential", "Beta"), ("Exponential", "Uniform"), ("Gamma", "Beta"),
            ("Gamma", "Uniform"), ("Gumbel", "Beta"), ("Gumbel", "Exponential"),
            ("Gumbel", "Gamma"), ("Gumbel", "Uniform"), ("Laplace", "Beta"),
            ("Laplace", "Exponential"), ("Laplace", "Gamma"), ("Laplace", "Uniform"),
            ("Normal", "Beta"), ("Normal", "Exponential"), ("Normal", "Gamma"),
            ("Normal", "Uniform"), ("Poisson", "Bernoulli")]


def _make(module, name, params, grad):
    kwargs = {"probs": params[0]} if name in ("Bernoulli", "Geometric") else {}
    if grad and module is torch:
        tensors = [torch.tensor(p, requires_grad=True) for p in params]
    elif module is torch:
        tensors = [torch.tensor(p) for p in params]
    else:
        tensors = [cr.tensor(p, requires_grad=grad) for p in params]
    family = getattr(torch.distributions if module is torch else D, name)
    if kwargs:
        return family(probs=tensors[0]), tensors
    return family(*tensors), tensors


def _compare_kl(p_name, q_name, rtol=1e-9):
    p_params, q_params = FAMILY[p_name][0], FAMILY[q_name][1]
    p_o, in_po = _make(cr, p_name, p_params, True)
    q_o, in_qo = _make(cr, q_name, q_params, True)
    p_t, in_pt = _make(torch, p_name, p_params, True)
    q_t, in_qt = _make(torch, q_name, q_params, True)
    ours, theirs = D.kl_divergence(p_o, q_o), torch.distributions.kl_divergence(p_t, q_t)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=rtol, atol=1e-12)
    finite = np.isfinite(theirs.detach().numpy())
    if not finite.any() or not theirs.requires_grad:
        return
    weights = np.where(finite, RNG.standard_normal(theirs.shape), 0.0)
    (ours * cr.tensor(weights)).sum().backward() if ours.requires_grad else None
    grads = torch.autograd.grad((theirs * torch.tensor(weights)).sum(), in_pt + in_qt,
                                allow_unused=True)
    for o, t in zip(in_po + in_qo, grads):
        expected = np.zeros(o.shape) if t is None else t.numpy()
        got = np.zeros(o.shape) if o.grad is None else o.grad
        np.testing.assert_allclose(got, expected, rtol=rtol * 100, atol=1e-10)


@needs_torch
@pytest.mark.parametrize("name", SAME)
def test_kl_within_a_family_matches_torch(name):
    _compare_kl(name, name)


@needs_torch
@pytest.mark.parametrize("pair", CROSS, ids="-".join)
def test_kl_across_families_matches_torch(pair):
    _compare_kl(*pair)


@needs_torch
@pytest.mark.parametrize("pair", INFINITE, ids="-".join)
def test_kl_where_q_misses_part_of_ps_support_is_infinite(pair):
    _compare_kl(*pair)
    assert np.all(np.isinf(D.kl_divergence(_make(cr, pair[0], FAMILY[pair[0]][0], False)[0],
                                           _make(cr, pair[1], FAMILY[pair[1]][1], False)[0])
                           .data))


@needs_torch
def test_kl_of_binomials_and_poisson_to_binomial_match_torch():
    n = np.array([[5.0], [7.0]])
    for p_count in (n, n + np.array([[0.0], [2.0]])):
        p = D.Binomial(cr.tensor(p_count), cr.tensor(PROB_A))
        q = D.Binomial(cr.tensor(n), cr.tensor(PROB_B))
        theirs = torch.distributions.kl_divergence(
            torch.distributions.Binomial(torch.tensor(p_count), torch.tensor(PROB_A)),
            torch.distributions.Binomial(torch.tensor(n), torch.tensor(PROB_B)))
        np.testing.assert_allclose(D.kl_divergence(p, q).data, theirs.numpy(), rtol=1e-10)
    with pytest.raises(NotImplementedError, match="q.total_count > p.total_count"):
        D.kl_divergence(D.Binomial(3, probs=0.5), D.Binomial(5, probs=0.5))
    poisson = D.Poisson(cr.tensor(POS_A))
    assert np.all(np.isinf(D.kl_divergence(poisson, D.Binomial(5, probs=0.5)).data))


@needs_torch
def test_kl_of_beta_to_a_narrow_uniform_is_infinite_as_torch():
    ours = D.kl_divergence(D.Beta(2.0, 3.0), D.Uniform(cr.tensor([0.0, 0.1]), 1.0))
    theirs = torch.distributions.kl_divergence(torch.distributions.Beta(2.0, 3.0),
                                               torch.distributions.Uniform(
                                                   torch.tensor([0.0, 0.1]), 1.0))
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-5)  # float32
    assert np.isinf(ours.data[1])


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize("make, name", [
    (lambda: D.Exponential(-1.0), "rate"), (lambda: D.Laplace(0.0, 0.0), "scale"),
    (lambda: D.Cauchy(float("nan"), 1.0), "loc"), (lambda: D.HalfNormal(-2.0), "scale"),
    (lambda: D.HalfCauchy(0.0), "scale"), (lambda: D.Gumbel(0.0, -1.0), "scale"),
    (lambda: D.Poisson(-0.5), "rate"), (lambda: D.Binomial(2.5, probs=0.5), "total_count"),
    (lambda: D.Binomial(3, probs=1.5), "probs"), (lambda: D.Geometric(probs=-0.1), "probs"),
    (lambda: D.Gamma(0.0, 1.0), "concentration"), (lambda: D.Gamma(1.0, -1.0), "rate"),
    (lambda: D.Chi2(-3.0), "df"), (lambda: D.Beta(1.0, 0.0), "concentration0"),
    (lambda: D.Dirichlet(cr.tensor([1.0, -1.0])), "concentration"),
    (lambda: D.StudentT(0.0), "df"), (lambda: D.StudentT(2.0, 0.0, -1.0), "scale"),
])
def test_invalid_parameters_are_value_errors_naming_the_parameter(make, name):
    with pytest.raises(ValueError, match=f"Expected parameter {name} "):
        make()


def test_the_other_constructor_errors_read_like_torchs():
    for family in (D.Binomial, D.Geometric):
        with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified"):
            family(probs=0.5, logits=0.0) if family is D.Geometric else family(1, 0.5, 0.0)
    with pytest.raises(ValueError, match="to be positive but found invalid values"):
        D.Geometric(probs=cr.tensor([0.5, 0.0]))
    with pytest.raises(ValueError, match="must be at least one-dimensional"):
        D.Dirichlet(cr.tensor(1.0))
    d = D.Binomial(cr.tensor([2.0, 3.0]), probs=0.5)
    for method in ("entropy", "enumerate_support"):
        with pytest.raises(NotImplementedError, match=f"Inhomogeneous total count not "
                                                      f"supported by `{method}`"):
            getattr(d, method)()
    assert D.Gamma(1.0, 1.0, validate_args=False).batch_shape == ()
    D.Exponential(-1.0, validate_args=False)  # no check when asked not to


@pytest.mark.parametrize("make, value", [
    (lambda: D.Exponential(1.0), -0.5), (lambda: D.HalfNormal(1.0), -1.0),
    (lambda: D.HalfCauchy(1.0), -1.0), (lambda: D.Gamma(2.0, 1.0), -0.1),
    (lambda: D.Beta(2.0, 2.0), 1.5), (lambda: D.Poisson(2.0), 1.5),
    (lambda: D.Binomial(3, probs=0.5), 4.0), (lambda: D.Geometric(probs=0.5), -1.0),
    (lambda: D.Dirichlet(cr.tensor([1.0, 2.0])), [0.7, 0.7]),
])
def test_values_outside_the_support_are_refused(make, value):
    with pytest.raises(ValueError, match="to be within the support"):
        make().log_prob(cr.tensor(value))


def test_a_value_that_is_not_a_tensor_is_refused_as_torch():
    with pytest.raises(ValueError, match="must be a Tensor"):
        D.Exponential(1.0).log_prob(0.5)
    assert D.Gamma(2.0, 1.0).log_prob(0.5).shape == ()  # Gamma converts it, as torch


# ------------------------------------------------------------------ a script


def test_a_pytorch_script_using_the_families_runs_through_chainrule_run(tmp_path, capsys):
    path = tmp_path / "vae_prior.py"
    path.write_text(textwrap.dedent("""
        import torch
        from torch.distributions import Gamma, Beta, kl_divergence
        import torch.distributions as dist

        torch.manual_seed(0)
        alpha = torch.tensor([2.0, 3.0], requires_grad=True)
        q = Gamma(alpha, torch.tensor([1.0, 2.0]))
        z = q.rsample((4,))
        loss = z.mean() + kl_divergence(q, Gamma(1.0, 1.0)).sum()
        loss.backward()
        lp = dist.Poisson(torch.tensor([3.0])).log_prob(torch.tensor([2.0]))
        print("ok", tuple(z.shape), alpha.grad.shape, round(lp.item(), 4),
              Beta(2.0, 2.0).mean.item())
    """))
    status = cli.main(["run", str(path)])
    out, err = capsys.readouterr()
    assert status == 0, err
    # log P(2; λ = 3) = 2·log 3 − 3 − log 2
    assert out.strip() == f"ok (4, 2) (2,) {round(2 * np.log(3) - 3 - np.log(2), 4)} 0.5"
